// Example: echo every command/data pair the A7 sends through the mailbox back to it.
#include "mt3620_rt.h"

static volatile uint32_t echoed;

void mbox_irq_handler(void) {
    const uint32_t mbox = MT3620_RT_MBOX_A7;
    MBOX_INT_STS(mbox) = MBOX_INT_RX;  // clear first: a push after this raises it again
    while (MBOX_FIFO_POP_CNT(mbox)) {
        const uint32_t data = MBOX_DATA_POP(mbox);  // data first: reading the command pops the pair
        const uint32_t cmd = MBOX_CMD_POP(mbox);
        mbox_send(mbox, cmd, data);
        echoed++;
    }
}

int main(void) {
    MBOX_INT_EN(MT3620_RT_MBOX_A7) = MBOX_INT_RX;
    nvic_enable(IRQ_MBOX_A7);
    uart_puts("mailbox echo ready\r\n");
    for (;;) wait_for_interrupt();
}

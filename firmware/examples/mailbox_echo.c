// Example: echo every command/data pair the A7 sends through the mailbox back to it.
#include "mt3620_rt.h"

static volatile uint32_t echoed;

void mbox_irq_handler(void) {
    const uint32_t mbox = MT3620_RT_MBOX_A7;
    while (MBOX_STATUS(mbox) & 0xFu) {
        const uint32_t data = MBOX_READ_DATA(mbox);  // data first: reading the command pops the pair
        const uint32_t cmd = MBOX_READ_CMD(mbox);
        while (((MBOX_STATUS(mbox) >> 4) & 0xFu) == 0) {
        }
        MBOX_WRITE_DATA(mbox) = data;
        MBOX_WRITE_CMD(mbox) = cmd;
        echoed++;
    }
    MBOX_INT_STS(mbox) = 1u;
}

int main(void) {
    MBOX_INT_EN(MT3620_RT_MBOX_A7) = 1u;
    nvic_enable(IRQ_MBOX_A7);
    uart_puts("mailbox echo ready\r\n");
    for (;;) wait_for_interrupt();
}

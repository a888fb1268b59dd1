// Example: the GPT's timer 0 interrupts through the NVIC at ~1 kHz; the core sleeps in WFI in
// between, at the PLL clock it switched to (IO_CM4_RGU). Every 10th tick the handler tells the
// A7 over the mailbox (command 0x71C, data = ticks) and the main loop prints a line on the UART
// (outside the handler: a line takes ~1.5 ms at 115200 baud, longer than a tick). After TICKS
// ticks the timer stops and the core sleeps for good.
#include "mt3620_rt.h"

#ifndef TICKS
#define TICKS 50u
#endif

static volatile uint32_t ticks;

void gpt_irq_handler(void) {
    GPT_ISR = 1u;  // acknowledge timer 0
    ++ticks;
    if (ticks % 10u == 0) mbox_send(MT3620_RT_MBOX_A7, 0x71Cu, ticks);
    if (ticks >= TICKS) GPT0_CTRL = 0;
}

int main(void) {
    boost_clock();
    uart_puts("gpt-tick: 1 kHz timer, sleeping in WFI\r\n");
    GPT0_ICNT = 1;   // one tick of 32768/33 Hz: ~1.007 ms
    GPT_IER = 1u;
    nvic_enable(IRQ_GPT);
    GPT0_CTRL = GPT_CTRL_EN | GPT_CTRL_REPEAT;
    uint32_t printed = 0;
    for (;;) {
        wait_for_interrupt();
        const uint32_t now = ticks;
        if (now / 10u != printed / 10u) {
            printed = now - now % 10u;
            uart_puts("tick ");
            uart_puthex(printed);
            uart_puts("\r\n");
        }
    }
}

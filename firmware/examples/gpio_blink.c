// Example: blink a GPIO pin from the GPT timer interrupt; the core sleeps in WFI in between.
#include "mt3620_rt.h"

#define LED_PIN 8u
static volatile uint32_t toggles;

void gpt_irq_handler(void) {
    GPT_ISR = 1u;  // acknowledge timer 0
    if (toggles++ & 1u) GPIO_DOUT_CLR = 1u << LED_PIN;
    else GPIO_DOUT_SET = 1u << LED_PIN;
}

int main(void) {
    GPIO_OE |= 1u << LED_PIN;
    GPT0_ICNT = 500;   // 500 ms at 1 kHz
    GPT_IER = 1u;
    GPT0_CTRL = 3u;    // enable, auto-restart
    nvic_enable(IRQ_GPT);
    for (;;) wait_for_interrupt();
}

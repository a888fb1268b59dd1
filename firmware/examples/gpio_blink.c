// Example: blink a GPIO pin from the GPT timer interrupt; the core sleeps in WFI in between.
// The pin's block (GPIO_PWM_2) must be assigned to this core in the firewall, as the OS does
// from an RT app's manifest; with the A7 owning it the first write is a BusFault.
#include "mt3620_rt.h"

#define LED_BIT 0u  // pin 8, the first of GPIO_PWM_2
static volatile uint32_t toggles;

void gpt_irq_handler(void) {
    GPT_ISR = 1u;  // acknowledge timer 0
    if (toggles++ & 1u) GPIO_DOUT_CLR(MT3620_GPIO_PWM2_BASE) = 1u << LED_BIT;
    else GPIO_DOUT_SET(MT3620_GPIO_PWM2_BASE) = 1u << LED_BIT;
}

int main(void) {
    GPIO_OE_SET(MT3620_GPIO_PWM2_BASE) = 1u << LED_BIT;
    GPT0_ICNT = 496;   // ~500 ms at 32768/33 Hz
    GPT_IER = 1u;
    GPT0_CTRL = GPT_CTRL_EN | GPT_CTRL_REPEAT;
    nvic_enable(IRQ_GPT);
    for (;;) wait_for_interrupt();
}

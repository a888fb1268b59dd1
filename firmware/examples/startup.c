// Start-up for the example RT-core firmware: the vector table (at the start of TCM, where the
// platform's boot sets VTOR), .data/.bss set-up, and a few UART helpers. Freestanding: no C
// library, nothing but the hardware.
#include "mt3620_rt.h"

extern uint32_t __stack_top, __data_load, __data_start, __data_end, __bss_start, __bss_end;
int main(void);

void default_handler(void) {
    for (;;) wait_for_interrupt();
}

void reset_handler(void) {
    uint32_t* src = &__data_load;
    for (uint32_t* dst = &__data_start; dst < &__data_end;) *dst++ = *src++;
    for (uint32_t* dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
    main();
    for (;;) wait_for_interrupt();
}

#define WEAK_ALIAS __attribute__((weak, alias("default_handler")))
void nmi_handler(void) WEAK_ALIAS;
void hardfault_handler(void) WEAK_ALIAS;
void memmanage_handler(void) WEAK_ALIAS;
void busfault_handler(void) WEAK_ALIAS;
void usagefault_handler(void) WEAK_ALIAS;
void svc_handler(void) WEAK_ALIAS;
void pendsv_handler(void) WEAK_ALIAS;
void systick_handler(void) WEAK_ALIAS;
void gpt_irq_handler(void) WEAK_ALIAS;
void uart_irq_handler(void) WEAK_ALIAS;
void mbox_irq_handler(void) WEAK_ALIAS;

typedef void (*vector_t)(void);
__attribute__((section(".vectors"), used)) const vector_t vector_table[16 + 32] = {
    [0] = (vector_t)&__stack_top,
    [1] = reset_handler,
    [2] = nmi_handler,
    [3] = hardfault_handler,
    [4] = memmanage_handler,
    [5] = busfault_handler,
    [6] = usagefault_handler,
    [11] = svc_handler,
    [14] = pendsv_handler,
    [15] = systick_handler,
    [16 + IRQ_GPT] = gpt_irq_handler,
    [16 + IRQ_UART] = uart_irq_handler,
    [16 + IRQ_MBOX_A7] = mbox_irq_handler,
};

void uart_putc(char c) {
    while (!(UART_LSR(MT3620_RT_UART_BASE) & UART_LSR_THRE)) {
    }
    UART_THR(MT3620_RT_UART_BASE) = (uint8_t)c;
}

void uart_puts(const char* s) {
    while (*s) uart_putc(*s++);
}

void uart_puthex(uint32_t v) {
    uart_puts("0x");
    for (int i = 28; i >= 0; i -= 4) uart_putc("0123456789abcdef"[(v >> i) & 0xF]);
}

// Example for scenario A11: a compromised RT firmware writes outside its TCM and SYSRAM, into
// the A7's SRAM at 0x80000000 (where the OS lives). The firewall gives that memory to the A7,
// the security core and the NIC only: the write is refused, the core takes a precise
// BusFault, and this firmware reports it on its own UART and to the A7 over the mailbox.
#include "mt3620_rt.h"

#define A7_SRAM 0x80000000u

void busfault_handler(void) {
    uart_puts("rogue-sram: BusFault, CFSR=");
    uart_puthex(SCB_CFSR);
    uart_puts(" BFAR=");
    uart_puthex(SCB_BFAR);
    uart_puts("\r\n");
    mbox_send(MT3620_RT_MBOX_A7, 0xBADu, SCB_BFAR);
    for (;;) wait_for_interrupt();
}

int main(void) {
    SCB_SHCSR |= 1u << 17;  // BusFault handler enabled (else it escalates to HardFault)
    uart_puts("rogue-sram: writing into the A7's SRAM\r\n");
    REG32(A7_SRAM + 0x1000u) = 0xDEADBEEFu;  // not ours
    uart_puts("rogue-sram: the write went through (no firewall?)\r\n");
    mbox_send(MT3620_RT_MBOX_A7, 0x600Du, 0);
    return 0;
}

// Example for scenario A10: a rogue RT firmware that touches a peripheral it does not own (the
// ISU0 UART, assigned to the A7 by the firewall). The firewall refuses the access; the core
// takes a precise BusFault, which this firmware reports on its own UART with the address.
#include "mt3620_rt.h"

void busfault_handler(void) {
    uart_puts("rogue: BusFault, CFSR=");
    uart_puthex(SCB_CFSR);
    uart_puts(" BFAR=");
    uart_puthex(SCB_BFAR);
    uart_puts("\r\n");
    for (;;) wait_for_interrupt();
}

int main(void) {
    SCB_SHCSR |= 1u << 17;  // BusFault handler enabled (else it escalates to HardFault)
    uart_puts("rogue: writing to ISU0's UART\r\n");
    UART_THR(MT3620_ISU_UART(0)) = 'X';  // not ours
    uart_puts("rogue: the write went through (no firewall?)\r\n");
    return 0;
}

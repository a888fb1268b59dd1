// Example: the first thing an RT core does — say hello on its own UART, then sleep.
#include "mt3620_rt.h"

int main(void) {
    UART_LCR(MT3620_RT_UART_BASE) = 0x03;  // 8 data bits, no parity, 1 stop bit
    uart_puts("Hello from the real-time core\r\n");
    return 0;
}

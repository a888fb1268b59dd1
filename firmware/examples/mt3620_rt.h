// What firmware on an MT3620-class real-time core (Cortex-M4F) sees: the address map of
// ../../../shared/DESIGN.md (from public MT3620 headers and device trees) and the registers of
// the peripherals it uses. The register layouts below are provisional: they are the ones the
// platform's peripheral models are expected to implement (16550-style UART, a simple GPT,
// GPIO data/set/clear, the A7 mailbox FIFO); align them with models/periph when those land.
#ifndef SVP_MT3620_RT_H
#define SVP_MT3620_RT_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t*)(addr))

// ---- RT core local blocks (DESIGN.md address map) ----
#define MT3620_TCM_BASE       0x00100000u  // 192 KiB, private to this core
#define MT3620_SYSRAM_BASE    0x22000000u  // 64 KiB
#define MT3620_RT_FLASH_BASE  0x10000000u  // XIP flash as the RT cores see it
#define MT3620_RT_WDT_BASE    0x21020000u
#define MT3620_RT_GPT_BASE    0x21030000u
#define MT3620_RT_UART_BASE   0x21040000u
#define MT3620_RT_MBOX_A7     0x21050000u  // mailbox between this core and the A7
#define MT3620_RT_MBOX_RT     0x21060000u  // mailbox to the other RT core
// ---- shared peripherals (owned through the firewall; one owner each) ----
#define MT3620_GPIO_BASE      0x30020000u
#define MT3620_ISU_BASE(n)    (0x38070000u + (n) * 0x10000u)
#define MT3620_ISU_UART(n)    (MT3620_ISU_BASE(n) + 0x500u)

// ---- RT core UART: 16550-compatible, registers on a 4-byte stride ----
#define UART_THR(b)  REG32((b) + 0x00)   // transmit holding (write) / receive buffer (read)
#define UART_IER(b)  REG32((b) + 0x04)
#define UART_LCR(b)  REG32((b) + 0x0C)
#define UART_LSR(b)  REG32((b) + 0x14)
#define UART_LSR_DR   (1u << 0)          // data ready
#define UART_LSR_THRE (1u << 5)          // transmit holding register empty

// ---- GPT: timer 0 counts at 1 kHz and interrupts when it reaches its compare value ----
#define GPT_ISR      REG32(MT3620_RT_GPT_BASE + 0x00)  // write one to clear
#define GPT_IER      REG32(MT3620_RT_GPT_BASE + 0x04)
#define GPT0_CTRL    REG32(MT3620_RT_GPT_BASE + 0x10)  // bit 0 enable, bit 1 auto-restart
#define GPT0_ICNT    REG32(MT3620_RT_GPT_BASE + 0x14)  // compare value in ticks

// ---- GPIO: one 32-pin bank ----
#define GPIO_DOUT    REG32(MT3620_GPIO_BASE + 0x00)
#define GPIO_DOUT_SET REG32(MT3620_GPIO_BASE + 0x04)
#define GPIO_DOUT_CLR REG32(MT3620_GPIO_BASE + 0x08)
#define GPIO_OE      REG32(MT3620_GPIO_BASE + 0x10)

// ---- Mailbox with the A7: FIFO of 15 command+data pairs per direction, an irq per direction ----
#define MBOX_WRITE_CMD(b)  REG32((b) + 0x00)   // writing the command pushes the pair
#define MBOX_WRITE_DATA(b) REG32((b) + 0x04)
#define MBOX_READ_CMD(b)   REG32((b) + 0x08)   // reading the command pops the pair
#define MBOX_READ_DATA(b)  REG32((b) + 0x0C)
#define MBOX_STATUS(b)     REG32((b) + 0x10)   // [3:0] entries to read, [7:4] free entries to write
#define MBOX_INT_EN(b)     REG32((b) + 0x14)   // bit 0: "not empty" interrupt
#define MBOX_INT_STS(b)    REG32((b) + 0x18)   // write one to clear

// ---- NVIC inputs of an RT core (provisional numbering, set by the platform variant) ----
#define IRQ_GPT       1
#define IRQ_UART      4
#define IRQ_MBOX_A7   11

#define NVIC_ISER0   REG32(0xE000E100u)
#define SCB_SHCSR    REG32(0xE000ED24u)
#define SCB_CFSR     REG32(0xE000ED28u)
#define SCB_BFAR     REG32(0xE000ED38u)

static inline void nvic_enable(unsigned irq) { NVIC_ISER0 = 1u << irq; }
static inline void wait_for_interrupt(void) { __asm volatile("wfi"); }

void uart_putc(char c);
void uart_puts(const char* s);
void uart_puthex(uint32_t v);

#endif

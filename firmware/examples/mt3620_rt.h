// What firmware on an MT3620-class real-time core (Cortex-M4F) sees: the address map of
// ../../../shared/DESIGN.md (from public MT3620 headers and device trees) and the registers of
// the peripherals it uses, as the platform's models implement them (models/periph: 16550 UART,
// MT3620 GPT, GPIO, mailbox; models/cpu/armv7m/clock_control.h: IO_CM4_RGU).
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
#define MT3620_ISU_BASE(n)    (0x38070000u + (n) * 0x10000u)
#define MT3620_ISU_UART(n)    (MT3620_ISU_BASE(n) + 0x500u)

// ---- RT core UART: 16550-compatible, registers on a 4-byte stride ----
#define UART_THR(b)  REG32((b) + 0x00)   // transmit holding (write) / receive buffer (read)
#define UART_IER(b)  REG32((b) + 0x04)
#define UART_LCR(b)  REG32((b) + 0x0C)
#define UART_LSR(b)  REG32((b) + 0x14)
#define UART_LSR_DR   (1u << 0)          // data ready
#define UART_LSR_THRE (1u << 5)          // transmit holding register empty

// ---- GPT (CodethinkLabs mt3620-m4-drivers mt3620/gpt.h; models/periph/gpt.h) ----
// GPT0/1 count down from ICNT at "1 kHz" (32768/33 Hz) or 32 kHz and interrupt at 0.
#define GPT_ISR      REG32(MT3620_RT_GPT_BASE + 0x00)  // write one to clear (bit n: GPTn)
#define GPT_IER      REG32(MT3620_RT_GPT_BASE + 0x04)
#define GPT0_CTRL    REG32(MT3620_RT_GPT_BASE + 0x10)  // bit 0 EN, 1 MODE repeat, 2 SPEED 32k, 3 RESTART
#define GPT0_ICNT    REG32(MT3620_RT_GPT_BASE + 0x14)  // count to run down, in ticks
#define GPT_CTRL_EN     (1u << 0)
#define GPT_CTRL_REPEAT (1u << 1)
#define GPT_CTRL_32K    (1u << 2)

// ---- core clock (IO_CM4_RGU; models/cpu/armv7m/clock_control.h) ----
#define IO_CM4_RGU   REG32(0x2101000Cu)                // [9:8] HCLK: 0 26 MHz, 2 the 197.6 MHz PLL
static inline void boost_clock(void) { IO_CM4_RGU = (IO_CM4_RGU & 0xFFFF00FFu) | 0x200u; }

// ---- GPIO block (CodethinkLabs mt3620/gpio.h; models/periph/gpio.h), e.g. GPIO_PWM_2 ----
#define MT3620_GPIO_PWM2_BASE 0x38030000u             // pins 8..11
#define GPIO_DOUT_SET(b) REG32((b) + 0x14)
#define GPIO_DOUT_CLR(b) REG32((b) + 0x18)
#define GPIO_OE_SET(b)   REG32((b) + 0x24)

// ---- Mailbox side (CodethinkLabs mt3620/mbox.h; models/periph/mailbox.h): 15 {cmd, data}
// pairs per direction. Push: DATA then CMD. Pop: DATA (no side effect) then CMD (pops). ----
#define MBOX_INT_EN(b)        REG32((b) + 0x38)  // bit 2 RX: the peer pushed
#define MBOX_INT_STS(b)       REG32((b) + 0x3C)  // write one to clear
#define MBOX_CMD_PUSH(b)      REG32((b) + 0x40)
#define MBOX_DATA_PUSH(b)     REG32((b) + 0x44)
#define MBOX_FIFO_PUSH_CNT(b) REG32((b) + 0x48)  // our entries the peer has not popped
#define MBOX_CMD_POP(b)       REG32((b) + 0x50)
#define MBOX_DATA_POP(b)      REG32((b) + 0x54)
#define MBOX_FIFO_POP_CNT(b)  REG32((b) + 0x58)  // entries waiting for us
#define MBOX_INT_RX           (1u << 2)
#define MBOX_FIFO_DEPTH       15u
static inline void mbox_send(uint32_t b, uint32_t cmd, uint32_t data) {
    while (MBOX_FIFO_PUSH_CNT(b) >= MBOX_FIFO_DEPTH) {
    }
    MBOX_DATA_PUSH(b) = data;
    MBOX_CMD_PUSH(b) = cmd;
}

// ---- NVIC inputs of an RT core (the variant's `nvic: wiring`, CodethinkLabs numbering) ----
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

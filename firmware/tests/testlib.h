// Helpers shared by the differential test programs (mps2-an386 / `spherevp iss run`):
// System Control Space registers by name (ARMv7-M ARM chapter B3) and small checks.
#ifndef SVP_FIRMWARE_TESTLIB_H
#define SVP_FIRMWARE_TESTLIB_H

#include <stdint.h>
#include <stdio.h>

#define REG32(addr) (*(volatile uint32_t*)(addr))
#define SCB_ICSR REG32(0xE000ED04)
#define SCB_VTOR REG32(0xE000ED08)
#define SCB_AIRCR REG32(0xE000ED0C)
#define SCB_SCR REG32(0xE000ED10)
#define SCB_CCR REG32(0xE000ED14)
#define SCB_SHPR(n) (*(volatile uint8_t*)(0xE000ED18 + (n) - 4))  /* system handler n priority */
#define SCB_SHCSR REG32(0xE000ED24)
#define SCB_CFSR REG32(0xE000ED28)
#define SCB_HFSR REG32(0xE000ED2C)
#define SCB_MMFAR REG32(0xE000ED34)
#define SCB_BFAR REG32(0xE000ED38)
#define SYST_CSR REG32(0xE000E010)
#define SYST_RVR REG32(0xE000E014)
#define SYST_CVR REG32(0xE000E018)
#define NVIC_ISER(n) REG32(0xE000E100 + 4 * (n))
#define NVIC_ICER(n) REG32(0xE000E180 + 4 * (n))
#define NVIC_ISPR(n) REG32(0xE000E200 + 4 * (n))
#define NVIC_ICPR(n) REG32(0xE000E280 + 4 * (n))
#define NVIC_IABR(n) REG32(0xE000E300 + 4 * (n))
#define NVIC_IPR(n) (*(volatile uint8_t*)(0xE000E400 + (n)))
#define NVIC_STIR REG32(0xE000EF00)
#define MPU_CTRL REG32(0xE000ED94)
#define MPU_RNR REG32(0xE000ED98)
#define MPU_RBAR REG32(0xE000ED9C)
#define MPU_RASR REG32(0xE000EDA0)

static inline uint32_t get_apsr(void) { uint32_t v; __asm volatile("mrs %0, apsr" : "=r"(v)); return v; }
static inline void set_apsr(uint32_t v) { __asm volatile("msr apsr_nzcvq, %0" ::"r"(v)); }
static inline uint32_t get_control(void) { uint32_t v; __asm volatile("mrs %0, control" : "=r"(v)); return v; }
static inline uint32_t get_ipsr(void) { uint32_t v; __asm volatile("mrs %0, ipsr" : "=r"(v)); return v; }
static inline void dsb_isb(void) { __asm volatile("dsb\n\tisb" ::: "memory"); }

static int failures __attribute__((unused));
#define CHECK(cond)                                                     \
    do {                                                                \
        if (!(cond)) {                                                  \
            printf("CHECK FAILED line %d: %s\n", __LINE__, #cond);      \
            failures++;                                                 \
        }                                                               \
    } while (0)

#endif

// A vector table in RAM, so tests can install their own exception and interrupt handlers
// (picolibc's semihosting crt0 owns the fault handlers of the table at address 0).
#define VECTORS 48  /* 16 system exceptions + 32 interrupts (mps2-an386) */
typedef void (*vector_fn)(void);
static vector_fn ram_vectors[VECTORS] __attribute__((aligned(256), unused));
static void __attribute__((unused)) use_ram_vectors(void) {
    const vector_fn* rom = (const vector_fn*)SCB_VTOR;
    for (int i = 0; i < VECTORS; ++i) ram_vectors[i] = i < 16 ? rom[i] : rom[15];
    SCB_VTOR = (uint32_t)ram_vectors;
    dsb_isb();
}
static void __attribute__((unused)) set_vector(int exception, vector_fn fn) { ram_vectors[exception] = fn; dsb_isb(); }

// A fault handler entry that passes the stacked frame (r0-r3, r12, lr, pc, xpsr) to C.
#define FAULT_ENTRY(name, c_handler)                                                              \
    __attribute__((naked)) static void name(void) {                                               \
        __asm volatile("tst lr, #4\n\tite eq\n\tmrseq r0, msp\n\tmrsne r0, psp\n\tmov r1, lr\n\tb " #c_handler); \
    }
// Advances a stacked return address past the faulting instruction (16- or 32-bit).
static inline void __attribute__((unused)) skip_faulting_instruction(uint32_t* frame) {
    const uint16_t hw = *(const uint16_t*)frame[6];
    frame[6] += (hw >> 11) >= 0x1D ? 4 : 2;
}

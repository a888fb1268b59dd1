// Differential test: faults and their status registers. Each fault handler records CFSR,
// HFSR, MMFAR/BFAR, skips the faulting instruction and returns, so the program carries on.
#include "testlib.h"

static volatile uint32_t last_cfsr, last_hfsr, last_addr, last_exc;
__attribute__((used)) static void fault_c(uint32_t* frame, uint32_t exc_return) {
    (void)exc_return;
    last_exc = get_ipsr();
    last_cfsr = SCB_CFSR;
    last_hfsr = SCB_HFSR;
    last_addr = (last_cfsr & 0x80) ? SCB_MMFAR : (last_cfsr & 0x8000) ? SCB_BFAR : 0;
    SCB_CFSR = 0xFFFFFFFF;  // write one to clear
    SCB_HFSR = 0xFFFFFFFF;
    if (last_cfsr & (1u << 17)) frame[7] |= 1u << 24;  // INVSTATE: return in Thumb state
    if ((frame[6] & 0xF0000000u) == 0x40000000u || (frame[6] & 0xF0000000u) == 0xF0000000u) {
        frame[6] = frame[5] & ~1u;  // an instruction fetch fault: return to the caller
    } else {
        skip_faulting_instruction(frame);
    }
}
FAULT_ENTRY(fault_entry, fault_c)

static void report(const char* what) {
    printf("%-22s exc=%lu cfsr=%08lx hfsr=%08lx addr=%08lx\n", what, (unsigned long)last_exc, (unsigned long)last_cfsr,
           (unsigned long)last_hfsr, (unsigned long)last_addr);
    last_exc = last_cfsr = last_hfsr = last_addr = 0;
}

static volatile uint32_t zero = 0;
static uint32_t words[4] __attribute__((aligned(8))) = {1, 2, 3, 4};
static uint8_t guarded[256] __attribute__((aligned(256)));

int main(void) {
    use_ram_vectors();
    for (int i = 2; i <= 6; ++i) set_vector(i, fault_entry);
    SCB_SHCSR |= (1u << 16) | (1u << 17) | (1u << 18);  // MemManage, BusFault, UsageFault enabled

    volatile uint32_t r;
    __asm volatile("udiv %0, %1, %2" : "=r"(r) : "r"(10u), "r"(zero));
    report("udiv by zero, no trap");
    SCB_CCR |= 1u << 4;  // DIV_0_TRP
    __asm volatile("sdiv %0, %1, %2" : "=r"(r) : "r"(10u), "r"(zero));
    report("sdiv by zero, trap");
    SCB_CCR &= ~(1u << 4);

    __asm volatile("udf #3");
    report("udf");
    __asm volatile(".short 0xde00");  // UDF encoding 1101 1110
    report("udf 16-bit");

    const uint8_t* bytes = (const uint8_t*)words;
    r = *(volatile const uint32_t*)(bytes + 1);
    report("unaligned, no trap");
    printf("unaligned value %08lx\n", (unsigned long)r);
    // (CCR.UNALIGN_TRP is covered by tests/iss: QEMU 7.2 does not trap right after the CCR
    // write, so it cannot be the reference for it.)
    __asm volatile("ldm %0, {r2, r3}" : : "r"(bytes + 2) : "r2", "r3");
    report("unaligned ldm");

    r = *(volatile uint32_t*)0x30000000;  // nothing mapped there
    report("bus error read");
    *(volatile uint32_t*)0x70000004 = 5;
    report("bus error write");

    // MPU: region 0 = all of RAM read-write, region 1 = `guarded` read-only; PRIVDEFENA for
    // the rest of the map.
    MPU_RNR = 0;
    MPU_RBAR = 0x20000000;
    MPU_RASR = (3u << 24) | (21u << 1) | 1;  // AP full access, 4 MiB, enabled
    MPU_RNR = 1;
    MPU_RBAR = (uint32_t)guarded;
    MPU_RASR = (6u << 24) | (7u << 1) | 1;   // AP read-only, 256 bytes
    MPU_CTRL = 5;  // ENABLE | PRIVDEFENA
    dsb_isb();
    r = guarded[3];
    report("mpu read allowed");
    guarded[5] = 1;
    report("mpu write refused");
    MPU_CTRL = 0;
    dsb_isb();
    guarded[5] = 2;
    report("mpu off");

    // Executing from the peripheral region (Execute Never in the default map).
    void (*fn)(void) = (void (*)(void))0x40004001;
    fn();
    report("execute never");

    // With UsageFault disabled the same fault escalates to HardFault (FORCED).
    SCB_SHCSR &= ~(1u << 18);
    __asm volatile("udf #4");
    report("escalated udf");
    SCB_SHCSR &= ~(1u << 17);
    r = *(volatile uint32_t*)0x30000008;
    report("escalated bus error");

    // A Thumb bit of 0 in a BX target: INVSTATE.
    SCB_SHCSR |= (1u << 18);
    __asm volatile("adr r0, 1f\n\tbx r0\n\t.align 2\n1:\n\tnop" ::: "r0");
    report("bx without thumb bit");
    printf("done\n");
    return 0;
}

// Differential test: the NVIC and SysTick. Handlers append to a log, so the printed log shows
// the order of preemption and tail-chaining; nothing printed depends on timing.
#include "testlib.h"

static char trace[256];
static int trace_len;
static void note(char c) { if (trace_len < (int)sizeof trace - 1) trace[trace_len++] = c; }
static void show(const char* what) {
    trace[trace_len] = 0;
    printf("%s: %s\n", what, trace);
    trace_len = 0;
}
static void pend(int irq) { NVIC_ISPR(irq / 32) = 1u << (irq % 32); dsb_isb(); }

static volatile int ticks;
static volatile float handler_acc;
static volatile int fp_in_handler;
static void systick_handler(void) {
    ticks++;
    if (fp_in_handler) {
        // FP in a handler: the interrupted context's S0-S15 and FPSCR come back from the
        // extended frame; the handler starts with FPSCR from FPDSCR (round towards zero here).
        float x = (float)ticks;
        for (int i = 0; i < 8; ++i) x = x * 1.0009765625f + 1.0f / 3.0f;
        handler_acc += x;
        uint32_t fpscr;
        __asm volatile("vmrs %0, fpscr" : "=r"(fpscr));
        if (((fpscr >> 22) & 3) != 3) handler_acc = -1.0f;
    }
}

// IRQ0 (low), IRQ1 (high), IRQ2 (lowest): IRQ0 pends IRQ1, which preempts it, and IRQ2, which
// waits and then runs tail-chained.
static void irq0(void) { note('a'); pend(1); note('b'); pend(2); note('c'); }
static void irq1(void) { note('H'); }
static void irq2(void) { note('z'); }
static void irq3(void) { note('3'); }
static void irq4(void) { note('4'); }
static void irq5(void) { note('5'); }
static void pendsv(void) { note('P'); }
static volatile uint32_t svc_number, svc_icsr;
__attribute__((used)) static void svc_c(uint32_t* frame, uint32_t exc_return) {
    (void)exc_return;
    svc_number = *(const uint8_t*)(frame[6] - 2);  // the immediate of the SVC instruction
    svc_icsr = SCB_ICSR & 0x1FF;
    note('S');
    SCB_ICSR = 1u << 28;  // pend PendSV: lower priority, runs once SVC returns
    note('s');
    if (svc_number == 2) {  // raise privilege: clear CONTROL.nPRIV for the caller
        __asm volatile("mrs r0, control\n\tbic r0, r0, #1\n\tmsr control, r0" ::: "r0");
    }
}
FAULT_ENTRY(svc_entry, svc_c)

static void test_systick(void) {
    ticks = 0;
    SYST_RVR = 24999;  // 1 ms at 25 MHz
    SYST_CVR = 0;
    SYST_CSR = 7;      // core clock, interrupt, enable
    while (ticks < 10) __asm volatile("wfi");
    SYST_CSR = 0;
    printf("systick: %d ticks, countflag read twice: %lu", ticks, (unsigned long)((SYST_CSR >> 16) & 1));
    printf(" %lu\n", (unsigned long)((SYST_CSR >> 16) & 1));
}

static void test_preemption(void) {
    NVIC_IPR(0) = 0x80;
    NVIC_IPR(1) = 0x40;
    NVIC_IPR(2) = 0xC0;
    NVIC_ISER(0) = 0x7;
    pend(0);
    show("preempt+tailchain");
}

static void test_masking(void) {
    __asm volatile("cpsid i");
    pend(1);
    note('-');
    printf("pending under PRIMASK: ispr=%08lx\n", (unsigned long)NVIC_ISPR(0));
    __asm volatile("cpsie i");
    __asm volatile("isb");
    note('+');
    // BASEPRI 0x80 blocks priorities 0x80 and lower, lets 0x40 through.
    __asm volatile("msr basepri, %0" ::"r"(0x80u));
    pend(0);  // priority 0x80: blocked
    pend(1);  // priority 0x40: runs
    note('|');
    __asm volatile("msr basepri, %0" ::"r"(0u));
    __asm volatile("isb");
    show("masking");
}

static void test_subpriority(void) {
    // PRIGROUP 5: priority bits [7:6] are the group, [5:0] the subpriority.
    SCB_AIRCR = (0x05FAu << 16) | (5u << 8);
    NVIC_IPR(3) = 0x60;  // group 1, sub 0x20
    NVIC_IPR(4) = 0x40;  // group 1, sub 0x00: taken first
    NVIC_IPR(5) = 0x00;  // group 0: first of all
    NVIC_ISER(0) = 0x38;
    __asm volatile("cpsid i");
    pend(3); pend(4); pend(5);
    __asm volatile("cpsie i");
    __asm volatile("isb");
    SCB_AIRCR = (0x05FAu << 16);
    show("subpriority order");
}

static void test_svc_pendsv(void) {
    SCB_SHPR(11) = 0x40;  // SVCall
    SCB_SHPR(14) = 0xE0;  // PendSV lowest
    note('<');
    __asm volatile("svc #7");
    note('>');
    show("svc+pendsv");
    printf("svc number %lu, ICSR.VECTACTIVE in handler %lu\n", (unsigned long)svc_number, (unsigned long)svc_icsr);
}

static uint32_t process_stack[256] __attribute__((aligned(8)));
static void test_unprivileged(void) {
    __asm volatile("msr psp, %0" ::"r"(process_stack + 256));
    __asm volatile("mrs r0, control\n\torr r0, r0, #3\n\tmsr control, r0\n\tisb" ::: "r0");  // PSP + unprivileged
    const uint32_t c1 = get_control();
    __asm volatile("mrs r0, control\n\tbic r0, r0, #1\n\tmsr control, r0\n\tisb" ::: "r0");  // ignored: unprivileged
    const uint32_t c2 = get_control();
    __asm volatile("svc #2");  // the handler grants privilege back
    const uint32_t c3 = get_control();
    __asm volatile("mrs r0, control\n\tbic r0, r0, #2\n\tmsr control, r0\n\tisb" ::: "r0");  // back to MSP
    trace_len = 0;
    printf("control: %lu %lu %lu %lu\n", (unsigned long)c1, (unsigned long)c2, (unsigned long)c3, (unsigned long)get_control());
}

static void test_wfi_masked(void) {
    // WFI wakes on a pending interrupt even under PRIMASK; the handler runs only after CPSIE.
    ticks = 0;
    __asm volatile("cpsid i");
    SYST_RVR = 999;
    SYST_CVR = 0;
    SYST_CSR = 7;
    __asm volatile("wfi");
    const int before = ticks;
    __asm volatile("cpsie i");
    __asm volatile("isb");
    SYST_CSR = 0;
    printf("wfi under primask: before=%d after=%d\n", before, ticks > 0);
}

static void test_fp_context(void) {
    REG32(0xE000EF3C) = 3u << 22;  // FPDSCR: handlers start rounding towards zero
    fp_in_handler = 1;
    ticks = 0;
    SYST_RVR = 300;
    SYST_CVR = 0;
    SYST_CSR = 7;
    volatile float acc = 0.0f;
    for (int i = 1; i <= 3000; ++i) {
        acc += 1.0f / (float)i;
        if (i % 100 == 0) __asm volatile("wfi");  // at least 30 interrupts, however fast the host
    }
    SYST_CSR = 0;
    fp_in_handler = 0;
    uint32_t fpscr;
    __asm volatile("vmrs %0, fpscr" : "=r"(fpscr));
    uint32_t a, h;
    float af = acc, hf = handler_acc;
    __builtin_memcpy(&a, &af, 4);
    __builtin_memcpy(&h, &hf, 4);
    printf("fp context: main %08lx handler %s, thread rounding mode %lu\n", (unsigned long)a,
           ticks >= 30 && hf > 0.0f ? "ok" : "WRONG", (unsigned long)((fpscr >> 22) & 3));
    (void)h;
}

int main(void) {
    use_ram_vectors();
    set_vector(11, svc_entry);
    set_vector(14, pendsv);
    set_vector(15, systick_handler);
    set_vector(16 + 0, irq0);
    set_vector(16 + 1, irq1);
    set_vector(16 + 2, irq2);
    set_vector(16 + 3, irq3);
    set_vector(16 + 4, irq4);
    set_vector(16 + 5, irq5);
    test_systick();
    test_preemption();
    test_masking();
    test_subpriority();
    test_svc_pendsv();
    test_unprivileged();
    test_wfi_masked();
    test_fp_context();
    return 0;
}

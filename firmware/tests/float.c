// Differential test: FPv4-SP. Results printed as exact bit patterns, plus the cumulative FPSCR
// exception flags; rounding modes, flush-to-zero, default NaN, NaN propagation, conversions.
#include <math.h>
#include <string.h>

#include "testlib.h"

static inline uint32_t bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t get_fpscr(void) { uint32_t v; __asm volatile("vmrs %0, fpscr" : "=r"(v)); return v; }
static inline void set_fpscr(uint32_t v) { __asm volatile("vmsr fpscr, %0" ::"r"(v)); }

static volatile uint32_t fvals[] = {
    0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x7F7FFFFF, 0x00800000, 0x00000001, 0x807FFFFF,
    0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800001, 0xFFC12345, 0x40490FDB, 0x3EAAAAAB, 0x4B800001,
    0xCF000000, 0x4F800000, 0x3F000000, 0x33800000};
#define NF (sizeof(fvals) / sizeof(fvals[0]))

#define F2(name, insn)                                                                          \
    static uint32_t name(uint32_t a, uint32_t b) {                                              \
        float r, x = from_bits(a), y = from_bits(b);                                            \
        __asm volatile(insn " %0, %1, %2" : "=t"(r) : "t"(x), "t"(y));                          \
        return bits(r);                                                                         \
    }
F2(vadd, "vadd.f32") F2(vsub, "vsub.f32") F2(vmul, "vmul.f32") F2(vdiv, "vdiv.f32") F2(vnmul, "vnmul.f32")
#define F3(name, insn)                                                                          \
    static uint32_t name(uint32_t a, uint32_t b) {                                              \
        float r = from_bits(0x3FC00000), x = from_bits(a), y = from_bits(b);                    \
        __asm volatile(insn " %0, %1, %2" : "+t"(r) : "t"(x), "t"(y));                          \
        return bits(r);                                                                         \
    }
F3(vmla, "vmla.f32") F3(vmls, "vmls.f32") F3(vnmla, "vnmla.f32") F3(vnmls, "vnmls.f32")
F3(vfma, "vfma.f32") F3(vfms, "vfms.f32") F3(vfnma, "vfnma.f32") F3(vfnms, "vfnms.f32")
static uint32_t vcmpe(uint32_t a, uint32_t b) {
    float x = from_bits(a), y = from_bits(b);
    uint32_t f;
    __asm volatile("vcmpe.f32 %1, %2\n\tvmrs APSR_nzcv, fpscr\n\tmrs %0, apsr" : "=r"(f) : "t"(x), "t"(y) : "cc");
    return f >> 28;
}
static uint32_t vcmp(uint32_t a, uint32_t b) {
    float x = from_bits(a), y = from_bits(b);
    uint32_t f;
    __asm volatile("vcmp.f32 %1, %2\n\tvmrs APSR_nzcv, fpscr\n\tmrs %0, apsr" : "=r"(f) : "t"(x), "t"(y) : "cc");
    return f >> 28;
}

static const struct { const char* name; uint32_t (*fn)(uint32_t, uint32_t); } ops[] = {
    {"vadd", vadd}, {"vsub", vsub}, {"vmul", vmul}, {"vdiv", vdiv}, {"vnmul", vnmul}, {"vmla", vmla},
    {"vmls", vmls}, {"vnmla", vnmla}, {"vnmls", vnmls}, {"vfma", vfma}, {"vfms", vfms}, {"vfnma", vfnma},
    {"vfnms", vfnms}, {"vcmp", vcmp}, {"vcmpe", vcmpe}};

static void arithmetic(uint32_t fpscr_mode, const char* label) {
    for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); ++o) {
        uint32_t h = 0;
        set_fpscr(fpscr_mode);
        for (unsigned i = 0; i < NF; ++i)
            for (unsigned j = 0; j < NF; ++j) h = h * 31 + ops[o].fn(fvals[i], fvals[j]);
        printf("%s %-6s %08lx fpscr=%08lx\n", label, ops[o].name, (unsigned long)h, (unsigned long)get_fpscr());
    }
}

static void unary_and_conversions(uint32_t fpscr_mode, const char* label) {
    uint32_t h = 0;
    set_fpscr(fpscr_mode);
    for (unsigned i = 0; i < NF; ++i) {
        float x = from_bits(fvals[i]), r;
        int32_t si;
        uint32_t ui;
        __asm volatile("vsqrt.f32 %0, %1" : "=t"(r) : "t"(x)); h = h * 37 + bits(r);
        __asm volatile("vabs.f32 %0, %1" : "=t"(r) : "t"(x)); h = h * 37 + bits(r);
        __asm volatile("vneg.f32 %0, %1" : "=t"(r) : "t"(x)); h = h * 37 + bits(r);
        __asm volatile("vcvt.s32.f32 %0, %2\n\tvmov %1, %0" : "=t"(r), "=r"(si) : "t"(x)); h = h * 37 + (uint32_t)si;
        __asm volatile("vcvtr.s32.f32 %0, %2\n\tvmov %1, %0" : "=t"(r), "=r"(si) : "t"(x)); h = h * 37 + (uint32_t)si;
        __asm volatile("vcvt.u32.f32 %0, %2\n\tvmov %1, %0" : "=t"(r), "=r"(ui) : "t"(x)); h = h * 37 + ui;
        __asm volatile("vcvtr.u32.f32 %0, %2\n\tvmov %1, %0" : "=t"(r), "=r"(ui) : "t"(x)); h = h * 37 + ui;
        __asm volatile("vmov %0, %1\n\tvcvt.f32.s32 %0, %0" : "=t"(r) : "r"(fvals[i])); h = h * 37 + bits(r);
        __asm volatile("vmov %0, %1\n\tvcvt.f32.u32 %0, %0" : "=t"(r) : "r"(fvals[i])); h = h * 37 + bits(r);
        r = x; __asm volatile("vcvt.s32.f32 %0, %0, #16" : "+t"(r)); h = h * 37 + bits(r);
        r = x; __asm volatile("vcvt.u16.f32 %0, %0, #4" : "+t"(r)); h = h * 37 + bits(r);
        r = from_bits(fvals[i]); __asm volatile("vcvt.f32.s16 %0, %0, #3" : "+t"(r)); h = h * 37 + bits(r);
        r = from_bits(0); __asm volatile("vcvtb.f16.f32 %0, %1" : "+t"(r) : "t"(x)); h = h * 37 + bits(r);
        __asm volatile("vcvtt.f16.f32 %0, %1" : "+t"(r) : "t"(x)); h = h * 37 + bits(r);
        float back;
        __asm volatile("vcvtb.f32.f16 %0, %1" : "=t"(back) : "t"(r)); h = h * 37 + bits(back);
        __asm volatile("vcvtt.f32.f16 %0, %1" : "=t"(back) : "t"(r)); h = h * 37 + bits(back);
        __asm volatile("vcmp.f32 %0, #0\n\tvmrs %1, fpscr" : : "t"(x), "r"(0) : "cc"); h = h * 37 + (get_fpscr() >> 28);
    }
    __asm volatile("vmov.f32 s0, #-1.25" ::: "s0");
    float imm;
    __asm volatile("vmov.f32 %0, s0" : "=t"(imm));
    h = h * 37 + bits(imm);
    printf("%s unary %08lx fpscr=%08lx\n", label, (unsigned long)h, (unsigned long)get_fpscr());
}

static void c_level(void) {
    set_fpscr(0);
    volatile float a = 1.0f / 3.0f, b = 2.5e-39f, c = 3.4e38f;
    volatile double d = 1.0 / 7.0;  // doubles run in software (FPv4-SP), through the integer unit
    printf("%.9g %.9g %.9g %.17g\n", (double)a, (double)(b * 0.5f), (double)(c * 2.0f), d);
    printf("%.9g %.9g %.9g %.9g\n", (double)sqrtf(a), (double)fmaf(a, 3.0f, -1.0f), (double)floorf(-2.5f), (double)roundf(2.5f));
    float acc = 0;
    for (int i = 1; i <= 1000; ++i) acc += 1.0f / (float)(i * i);
    printf("basel %.9g sinf %.9g expf %.9g logf %.9g\n", (double)acc, (double)sinf(1.0f), (double)expf(1.5f), (double)logf(10.0f));
    double dacc = 0;
    for (int i = 1; i <= 200; ++i) dacc += 1.0 / ((double)i * i);
    printf("basel64 %.17g\n", dacc);
}

static uint32_t first_word(const double* d) { uint32_t w; memcpy(&w, d, 4); return w; }

static void loads_stores(void) {
    static float arr[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static double dv = 3.25;
    float sum;
    __asm volatile(
        "vldmia %1, {s8-s15}\n\t"
        "vadd.f32 s8, s8, s9\n\tvadd.f32 s8, s8, s10\n\tvadd.f32 s8, s8, s15\n\t"
        "vpush {s8-s11}\n\tvpop {s12-s15}\n\t"
        "vmov.f32 %0, s12\n\t"
        : "=t"(sum) : "r"(arr) : "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15", "memory");
    uint32_t lo, hi;
    __asm volatile("vldr d5, [%2]\n\tvmov %0, %1, d5" : "=r"(lo), "=r"(hi) : "r"(&dv) : "d5");
    __asm volatile("vmov d6, %0, %1\n\tvstr d6, [%2]" : : "r"(hi), "r"(lo), "r"(&dv) : "d6", "memory");
    printf("vldm sum %08lx d5=%08lx:%08lx swapped=%08lx\n", (unsigned long)bits(sum), (unsigned long)hi,
           (unsigned long)lo, (unsigned long)first_word(&dv));
}

int main(void) {
    arithmetic(0, "rn");
    arithmetic(0x00C00000, "rz");        // round towards zero
    arithmetic(0x00400000, "rp");        // round towards +infinity
    arithmetic(0x03000000, "fz+dn");     // flush-to-zero and default NaN
    unary_and_conversions(0, "rn");
    unary_and_conversions(0x00800000, "rm");
    unary_and_conversions(0x03000000, "fz+dn");
    c_level();
    loads_stores();
    return 0;
}

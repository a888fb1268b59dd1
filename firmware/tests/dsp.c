// Differential test: the ARMv7E-M DSP extension — saturating arithmetic, SIMD add/subtract
// with GE flags and SEL, dual 16-bit multiplies, the Q flag.
#include "testlib.h"

static volatile uint32_t vals[] = {0, 1, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
                                   0x7F7F7F7F, 0x80808080, 0x01FF7F80, 0x12345678, 0xFEDCBA98, 0x00010001};
#define NV (sizeof(vals) / sizeof(vals[0]))

// r = OP(a, b); also returns APSR (Q and GE) after clearing it first.
#define BIN(name, insn)                                                                      \
    static uint32_t name(uint32_t a, uint32_t b, uint32_t* apsr) {                           \
        uint32_t r, f;                                                                       \
        set_apsr(0);                                                                         \
        __asm volatile("msr apsr_g, %4\n\t" insn " %0, %2, %3\n\tmrs %1, apsr"               \
                       : "=&r"(r), "=&r"(f) : "r"(a), "r"(b), "r"(0u) : "cc");               \
        *apsr = f;                                                                           \
        return r;                                                                            \
    }
BIN(qadd, "qadd") BIN(qsub, "qsub") BIN(qdadd, "qdadd") BIN(qdsub, "qdsub")
BIN(sadd16, "sadd16") BIN(uadd16, "uadd16") BIN(ssub16, "ssub16") BIN(usub16, "usub16")
BIN(sadd8, "sadd8") BIN(uadd8, "uadd8") BIN(ssub8, "ssub8") BIN(usub8, "usub8")
BIN(sasx, "sasx") BIN(ssax, "ssax") BIN(uasx, "uasx") BIN(usax, "usax")
BIN(qadd16, "qadd16") BIN(qsub8, "qsub8") BIN(uqadd8, "uqadd8") BIN(uqsub16, "uqsub16") BIN(qasx, "qasx")
BIN(shadd16, "shadd16") BIN(uhsub8, "uhsub8") BIN(shsax, "shsax") BIN(uhadd8, "uhadd8")
BIN(smuad, "smuad") BIN(smuadx, "smuadx") BIN(smusd, "smusd") BIN(smusdx, "smusdx")
BIN(smulbb, "smulbb") BIN(smultb, "smultb") BIN(smulbt, "smulbt") BIN(smultt, "smultt")
BIN(smulwb, "smulwb") BIN(smulwt, "smulwt") BIN(smmul, "smmul") BIN(smmulr, "smmulr")
BIN(usad8, "usad8") BIN(pkhbt, "pkhbt") BIN(sel_op, "sel")

static const struct { const char* name; uint32_t (*fn)(uint32_t, uint32_t, uint32_t*); } ops[] = {
    {"qadd", qadd}, {"qsub", qsub}, {"qdadd", qdadd}, {"qdsub", qdsub}, {"sadd16", sadd16}, {"uadd16", uadd16},
    {"ssub16", ssub16}, {"usub16", usub16}, {"sadd8", sadd8}, {"uadd8", uadd8}, {"ssub8", ssub8}, {"usub8", usub8},
    {"sasx", sasx}, {"ssax", ssax}, {"uasx", uasx}, {"usax", usax}, {"qadd16", qadd16}, {"qsub8", qsub8},
    {"uqadd8", uqadd8}, {"uqsub16", uqsub16}, {"qasx", qasx}, {"shadd16", shadd16}, {"uhsub8", uhsub8},
    {"shsax", shsax}, {"uhadd8", uhadd8}, {"smuad", smuad}, {"smuadx", smuadx}, {"smusd", smusd},
    {"smusdx", smusdx}, {"smulbb", smulbb}, {"smultb", smultb}, {"smulbt", smulbt}, {"smultt", smultt},
    {"smulwb", smulwb}, {"smulwt", smulwt}, {"smmul", smmul}, {"smmulr", smmulr}, {"usad8", usad8},
    {"pkhbt", pkhbt}, {"sel", sel_op}};

#define ACC(name, insn)                                                                      \
    static uint32_t name(uint32_t a, uint32_t b, uint32_t c, uint32_t* apsr) {               \
        uint32_t r, f;                                                                       \
        set_apsr(0);                                                                         \
        __asm volatile(insn " %0, %2, %3, %4\n\tmrs %1, apsr" : "=&r"(r), "=&r"(f) : "r"(a), "r"(b), "r"(c) : "cc"); \
        *apsr = f;                                                                           \
        return r;                                                                            \
    }
ACC(smlabb, "smlabb") ACC(smlatt, "smlatt") ACC(smlawb, "smlawb") ACC(smlad, "smlad") ACC(smladx, "smladx")
ACC(smlsd, "smlsd") ACC(smmla, "smmla") ACC(smmlsr, "smmlsr") ACC(usada8, "usada8") ACC(mla, "mla")

int main(void) {
    for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); ++o) {
        uint32_t h = 0, flags_or = 0;
        for (unsigned i = 0; i < NV; ++i)
            for (unsigned j = 0; j < NV; ++j) {
                uint32_t f;
                const uint32_t r = ops[o].fn(vals[i], vals[j], &f);
                h = h * 31 + r;
                h = h * 31 + (f >> 16);
                flags_or |= f;
            }
        printf("%-8s %08lx q=%lu\n", ops[o].name, (unsigned long)h, (unsigned long)((flags_or >> 27) & 1));
    }
    static const struct { const char* name; uint32_t (*fn)(uint32_t, uint32_t, uint32_t, uint32_t*); } accs[] = {
        {"smlabb", smlabb}, {"smlatt", smlatt}, {"smlawb", smlawb}, {"smlad", smlad}, {"smladx", smladx},
        {"smlsd", smlsd}, {"smmla", smmla}, {"smmlsr", smmlsr}, {"usada8", usada8}, {"mla", mla}};
    for (unsigned o = 0; o < sizeof(accs) / sizeof(accs[0]); ++o) {
        uint32_t h = 0, q = 0;
        for (unsigned i = 0; i < NV; ++i)
            for (unsigned j = 0; j < NV; j += 2)
                for (unsigned k = 0; k < NV; k += 3) {
                    uint32_t f;
                    h = h * 31 + accs[o].fn(vals[i], vals[j], vals[k], &f);
                    q |= f;
                }
        printf("%-8s %08lx q=%lu\n", accs[o].name, (unsigned long)h, (unsigned long)((q >> 27) & 1));
    }
    // Saturation instructions with shifts, and the long accumulating forms.
    uint32_t h = 0;
    for (unsigned i = 0; i < NV; ++i) {
        uint32_t a = vals[i], r, lo = a, hi = ~a;
        __asm volatile("ssat %0, #8, %1" : "=r"(r) : "r"(a)); h = h * 29 + r;
        __asm volatile("ssat %0, #16, %1, lsl #4" : "=r"(r) : "r"(a)); h = h * 29 + r;
        __asm volatile("usat %0, #7, %1, asr #3" : "=r"(r) : "r"(a)); h = h * 29 + r;
        __asm volatile("usat %0, #31, %1" : "=r"(r) : "r"(a)); h = h * 29 + r;
        __asm volatile("ssat16 %0, #9, %1" : "=r"(r) : "r"(a)); h = h * 29 + r;
        __asm volatile("usat16 %0, #4, %1" : "=r"(r) : "r"(a)); h = h * 29 + r;
        __asm volatile("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(a), "r"(a * 3)); h = h * 29 + r;
        __asm volatile("smlalbb %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(a), "r"(a + 5)); h = h * 29 + lo + hi;
        __asm volatile("smlald %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(a), "r"(~a)); h = h * 29 + lo + hi;
        __asm volatile("smlsldx %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(a), "r"(a << 3)); h = h * 29 + lo + hi;
    }
    printf("sat+long %08lx q=%lu\n", (unsigned long)h, (unsigned long)((get_apsr() >> 27) & 1));
    // A fixed-point FIR filter, the kind of loop the DSP extension exists for.
    static int16_t x[64], coef[8] = {1200, -3400, 5600, 32767, -32768, 5600, -3400, 1200};
    for (int i = 0; i < 64; ++i) x[i] = (int16_t)((i * 2731) ^ (i << 9));
    int32_t acc_total = 0;
    for (int n = 8; n < 64; ++n) {
        int32_t acc = 0;
        for (int k = 0; k < 8; k += 2) {
            uint32_t xs = (uint16_t)x[n - k] | ((uint32_t)(uint16_t)x[n - k - 1] << 16);
            uint32_t cs = (uint16_t)coef[k] | ((uint32_t)(uint16_t)coef[k + 1] << 16);
            __asm volatile("smlad %0, %1, %2, %0" : "+r"(acc) : "r"(xs), "r"(cs));
        }
        int32_t y;
        __asm volatile("ssat %0, #16, %1, asr #15" : "=r"(y) : "r"(acc));
        acc_total = acc_total * 7 + y;
    }
    printf("fir %ld\n", (long)acc_total);
    return 0;
}

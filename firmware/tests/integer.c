// Differential test: the integer instruction set. Every result is printed, so any divergence
// between the ISS and QEMU shows up as a differing line. Flags are read back with MRS.
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static volatile uint32_t vals[] = {0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x12345678, 0xFFFF0000, 0x8000, 31, 32, 33, 255, 256};
#define NV (sizeof(vals) / sizeof(vals[0]))

#define FLAGS_OP(name, insn)                                                             \
    static uint32_t name(uint32_t a, uint32_t b, uint32_t cin, uint32_t* res) {          \
        uint32_t r, f;                                                                   \
        set_apsr(cin ? 0x20000000u : 0);                                                 \
        __asm volatile(insn " %0, %2, %3\n\tmrs %1, apsr" : "=&r"(r), "=&r"(f) : "r"(a), "r"(b) : "cc"); \
        *res = r;                                                                        \
        return f >> 28;                                                                  \
    }
FLAGS_OP(op_adds, "adds")
FLAGS_OP(op_subs, "subs")
FLAGS_OP(op_adcs, "adcs")
FLAGS_OP(op_sbcs, "sbcs")
FLAGS_OP(op_rsbs, "rsbs")
FLAGS_OP(op_ands, "ands")
FLAGS_OP(op_eors, "eors")
FLAGS_OP(op_lsls, "lsls")
FLAGS_OP(op_lsrs, "lsrs")
FLAGS_OP(op_asrs, "asrs")
FLAGS_OP(op_rors, "rors")

static void flag_tests(void) {
    static const struct { const char* name; uint32_t (*fn)(uint32_t, uint32_t, uint32_t, uint32_t*); } ops[] = {
        {"adds", op_adds}, {"subs", op_subs}, {"adcs", op_adcs}, {"sbcs", op_sbcs}, {"rsbs", op_rsbs},
        {"ands", op_ands}, {"eors", op_eors}, {"lsls", op_lsls}, {"lsrs", op_lsrs}, {"asrs", op_asrs}, {"rors", op_rors}};
    uint32_t hash = 0;
    for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); ++o) {
        uint32_t h = 0;
        for (unsigned i = 0; i < NV; ++i)
            for (unsigned j = 0; j < NV; ++j)
                for (unsigned c = 0; c < 2; ++c) {
                    uint32_t r;
                    const uint32_t f = ops[o].fn(vals[i], vals[j], c, &r);
                    h = h * 31 + r;
                    h = h * 31 + f;
                }
        printf("%-5s %08lx\n", ops[o].name, (unsigned long)h);
        hash ^= h;
    }
    // A few spelled out: carry and overflow at the edges.
    uint32_t r, f;
    f = op_adds(0x7FFFFFFF, 1, 0, &r); printf("0x7fffffff+1 = %08lx nzcv=%lx\n", (unsigned long)r, (unsigned long)f);
    f = op_adds(0xFFFFFFFF, 1, 0, &r); printf("0xffffffff+1 = %08lx nzcv=%lx\n", (unsigned long)r, (unsigned long)f);
    f = op_subs(0, 1, 0, &r); printf("0-1 = %08lx nzcv=%lx\n", (unsigned long)r, (unsigned long)f);
    f = op_subs(0x80000000, 1, 0, &r); printf("0x80000000-1 = %08lx nzcv=%lx\n", (unsigned long)r, (unsigned long)f);
    f = op_lsls(1, 32, 0, &r); printf("1<<32 = %08lx nzcv=%lx\n", (unsigned long)r, (unsigned long)f);
    f = op_lsrs(0x80000000, 32, 0, &r); printf("0x80000000>>32 = %08lx nzcv=%lx\n", (unsigned long)r, (unsigned long)f);
    f = op_asrs(0x80000000, 40, 0, &r); printf("0x80000000 asr 40 = %08lx nzcv=%lx\n", (unsigned long)r, (unsigned long)f);
    f = op_rors(0x80000001, 32, 0, &r); printf("ror 32 = %08lx nzcv=%lx\n", (unsigned long)r, (unsigned long)f);
}

static void shift_immediates(void) {
    uint32_t h = 0;
    for (unsigned i = 0; i < NV; ++i) {
        uint32_t a = vals[i], r, f;
        __asm volatile("lsls %0, %2, #1\n\tmrs %1, apsr" : "=&r"(r), "=&r"(f) : "r"(a) : "cc"); h = h * 33 + r + f;
        __asm volatile("lsrs %0, %2, #32\n\tmrs %1, apsr" : "=&r"(r), "=&r"(f) : "r"(a) : "cc"); h = h * 33 + r + f;
        __asm volatile("asrs %0, %2, #32\n\tmrs %1, apsr" : "=&r"(r), "=&r"(f) : "r"(a) : "cc"); h = h * 33 + r + f;
        __asm volatile("movs.w %0, %2, ror #7\n\tmrs %1, apsr" : "=&r"(r), "=&r"(f) : "r"(a) : "cc"); h = h * 33 + r + f;
        set_apsr(0x20000000);
        __asm volatile("movs.w %0, %2, rrx\n\tmrs %1, apsr" : "=&r"(r), "=&r"(f) : "r"(a) : "cc"); h = h * 33 + r + f;
        __asm volatile("add.w %0, %2, %2, lsl #3" : "=&r"(r) : "r"(r), "r"(a)); h = h * 33 + r;
        __asm volatile("orrs.w %0, %2, #0xff000000\n\tmrs %1, apsr" : "=&r"(r), "=&r"(f) : "r"(a) : "cc"); h = h * 33 + r + f;
        __asm volatile("tst.w %1, #0x80000000\n\tmrs %0, apsr" : "=&r"(f) : "r"(a) : "cc"); h = h * 33 + f;
        __asm volatile("teq.w %1, %1, lsl #1\n\tmrs %0, apsr" : "=&r"(f) : "r"(a) : "cc"); h = h * 33 + f;
        __asm volatile("cmn.w %1, #1\n\tmrs %0, apsr" : "=&r"(f) : "r"(a) : "cc"); h = h * 33 + f;
    }
    printf("shift-imm %08lx\n", (unsigned long)h);
}

static void it_blocks(void) {
    uint32_t h = 0;
    for (unsigned i = 0; i < NV; ++i)
        for (unsigned j = 0; j < NV; ++j) {
            uint32_t a = vals[i], b = vals[j], r = 0;
            __asm volatile(
                "cmp %1, %2\n\t"
                "ite gt\n\tmovgt %0, #1\n\tmovle %0, #2\n\t"
                "itt lo\n\taddlo %0, %0, #16\n\tlsllo %0, %0, #1\n\t"
                "itete vs\n\torrvs %0, %0, #0x100\n\torrvc %0, %0, #0x200\n\teorvs %0, %0, #0x400\n\teorvc %0, %0, #0x800\n\t"
                "it mi\n\taddsmi %0, %0, #0x1000\n\t"  // flag-setting inside IT: 32-bit adds
                : "=&r"(r) : "r"(a), "r"(b) : "cc");
            h = h * 37 + r;
        }
    printf("it-blocks %08lx\n", (unsigned long)h);
}

static void multiply_divide(void) {
    uint32_t h = 0;
    for (unsigned i = 0; i < NV; ++i)
        for (unsigned j = 0; j < NV; ++j) {
            uint32_t a = vals[i], b = vals[j];
            uint64_t u = (uint64_t)a * b;
            int64_t s = (int64_t)(int32_t)a * (int32_t)b;
            h = h * 41 + (uint32_t)u + (uint32_t)(u >> 32) + (uint32_t)s + (uint32_t)((uint64_t)s >> 32);
            h = h * 41 + a * b + (a * b + j) - (b - a * 3);
            h = h * 41 + (b ? a / b : 0) + (b ? a % b : 0);
            if (!((int32_t)b == -1 && a == 0x80000000u) && b)
                h = h * 41 + (uint32_t)((int32_t)a / (int32_t)b) + (uint32_t)((int32_t)a % (int32_t)b);
            uint32_t q;
            __asm volatile("udiv %0, %1, %2" : "=r"(q) : "r"(a), "r"(b)); h = h * 41 + q;   // /0 gives 0
            __asm volatile("sdiv %0, %1, %2" : "=r"(q) : "r"(a), "r"(b)); h = h * 41 + q;   // INT_MIN/-1
            uint32_t lo = a, hi = b;
            __asm volatile("umlal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(a), "r"(b)); h = h * 41 + lo + hi;
            __asm volatile("smlal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(a), "r"(b)); h = h * 41 + lo + hi;
            __asm volatile("umaal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(a), "r"(b)); h = h * 41 + lo + hi;
            __asm volatile("mls %0, %1, %2, %3" : "=r"(q) : "r"(a), "r"(b), "r"(lo)); h = h * 41 + q;
        }
    printf("mul-div %08lx\n", (unsigned long)h);
    volatile int64_t x = -1234567890123LL, y = 98765;
    printf("64-bit: %lld %lld %llu\n", (long long)(x / y), (long long)(x % y), (unsigned long long)((uint64_t)x / 7u));
}

static void bit_ops(void) {
    uint32_t h = 0;
    for (unsigned i = 0; i < NV; ++i) {
        uint32_t a = vals[i], r;
        __asm volatile("clz %0, %1" : "=r"(r) : "r"(a)); h = h * 43 + r;
        __asm volatile("rbit %0, %1" : "=r"(r) : "r"(a)); h = h * 43 + r;
        __asm volatile("rev %0, %1" : "=r"(r) : "r"(a)); h = h * 43 + r;
        __asm volatile("rev16 %0, %1" : "=r"(r) : "r"(a)); h = h * 43 + r;
        __asm volatile("revsh %0, %1" : "=r"(r) : "r"(a)); h = h * 43 + r;
        r = 0xA5A5A5A5; __asm volatile("bfi %0, %1, #4, #12" : "+r"(r) : "r"(a)); h = h * 43 + r;
        __asm volatile("bfc %0, #0, #32" : "+r"(r)); h = h * 43 + r;
        __asm volatile("ubfx %0, %1, #3, #17" : "=r"(r) : "r"(a)); h = h * 43 + r;
        __asm volatile("sbfx %0, %1, #1, #31" : "=r"(r) : "r"(a)); h = h * 43 + r;
        __asm volatile("sxtb %0, %1, ror #8" : "=r"(r) : "r"(a)); h = h * 43 + r;
        __asm volatile("uxtah %0, %1, %2, ror #16" : "=r"(r) : "r"(a), "r"(a * 7)); h = h * 43 + r;
        __asm volatile("sxtab16 %0, %1, %2" : "=r"(r) : "r"(a), "r"(a ^ 0x80808080)); h = h * 43 + r;
        __asm volatile("uxtb16 %0, %1, ror #24" : "=r"(r) : "r"(a)); h = h * 43 + r;
        __asm volatile("movw %0, #0xBEEF\n\tmovt %0, #0xDEAD" : "=r"(r)); h = h * 43 + r;
        __asm volatile("orn %0, %1, #0xFF" : "=r"(r) : "r"(a)); h = h * 43 + r;
        __asm volatile("mvn %0, %1, asr #3" : "=r"(r) : "r"(a)); h = h * 43 + r;
    }
    printf("bit-ops %08lx\n", (unsigned long)h);
}

static int classify(int x) {  // a dense switch: GCC emits TBB/TBH
    switch (x) {
    case 0: return 11; case 1: return 7; case 2: return 3; case 3: return 19; case 4: return 23;
    case 5: return 2; case 6: return 41; case 7: return 5; case 8: return 13; case 9: return 17;
    case 10: return 29; case 11: return 31; case 12: return 37; case 13: return 43; default: return -1;
    }
}

struct __attribute__((packed)) Packed { uint8_t a; uint32_t b; uint16_t c; uint32_t d; };

static int cmp_u32(const void* a, const void* b) {
    const uint32_t x = *(const uint32_t*)a, y = *(const uint32_t*)b;
    return x < y ? -1 : x > y;
}

static void memory_ops(void) {
    static uint32_t table[64];
    uint32_t seed = 12345;
    for (int i = 0; i < 64; ++i) { seed = seed * 1103515245 + 12345; table[i] = seed; }
    qsort(table, 64, sizeof table[0], cmp_u32);
    uint32_t h = 0;
    for (int i = 0; i < 64; ++i) h = h * 47 + table[i];
    printf("qsort %08lx first %08lx last %08lx\n", (unsigned long)h, (unsigned long)table[0], (unsigned long)table[63]);

    static uint8_t buf[97];
    for (int i = 0; i < 97; ++i) buf[i] = (uint8_t)(i * 7);
    volatile struct Packed* p = (volatile struct Packed*)(buf + 1);  // unaligned fields
    printf("unaligned %02x %08lx %04x %08lx\n", p->a, (unsigned long)p->b, p->c, (unsigned long)p->d);
    p->b = 0xCAFEBABE;
    p->c = 0x1234;
    printf("after store %08lx %04x\n", (unsigned long)p->b, p->c);
    int sum = 0;
    for (int i = -2; i < 16; ++i) sum = sum * 3 + classify(i);
    printf("switch %d\n", sum);
    char s[64];
    snprintf(s, sizeof s, "%d|%5.3s|%-6x|%+ld|%%", -42, "abcdef", 0xbeefu, 123456789L);
    printf("%s len=%u cmp=%d\n", s, (unsigned)strlen(s), strcmp(s, "-42|"));
    memmove(buf + 3, buf, 40);
    h = 0;
    for (int i = 0; i < 97; ++i) h = h * 31 + buf[i];
    printf("memmove %08lx\n", (unsigned long)h);
    // CRC-32 (bitwise), a classic of embedded code.
    uint32_t crc = 0xFFFFFFFF;
    for (int i = 0; i < 97; ++i) {
        crc ^= buf[i];
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
    }
    printf("crc32 %08lx\n", (unsigned long)~crc);
}

static void exclusives(void) {
    static atomic_uint counter;
    for (int i = 0; i < 10; ++i) atomic_fetch_add(&counter, 3);
    unsigned prev = atomic_exchange(&counter, 7);
    unsigned expected = 7;
    int ok = atomic_compare_exchange_strong(&counter, &expected, 9);
    printf("atomic %u %d %u\n", prev, ok, (unsigned)atomic_load(&counter));
    // A STREX without a matching LDREX fails; CLREX clears the monitor.
    static uint32_t word = 5;
    uint32_t status, v;
    __asm volatile("ldrex %1, [%2]\n\tclrex\n\tstrex %0, %3, [%2]" : "=&r"(status), "=&r"(v) : "r"(&word), "r"(99u) : "memory");
    printf("strex after clrex: status=%lu word=%lu\n", (unsigned long)status, (unsigned long)word);
    uint16_t half = 0x1111;
    uint16_t hv;
    __asm volatile("ldrexh %1, [%2]\n\tadd %1, %1, #1\n\tstrexh %0, %1, [%2]" : "=&r"(status), "=&r"(hv) : "r"(&half) : "memory");
    printf("strexh status=%lu half=%04x\n", (unsigned long)status, half);
}

static void bitband(void) {
    static volatile uint32_t word __attribute__((aligned(4))) = 0;
    const uint32_t addr = (uint32_t)&word;
    volatile uint32_t* alias = (volatile uint32_t*)(0x22000000u + (addr - 0x20000000u) * 32 + 5 * 4);
    *alias = 1;
    printf("bitband set bit5: %08lx read %lu\n", (unsigned long)word, (unsigned long)*alias);
}

int main(void) {
    flag_tests();
    shift_immediates();
    it_blocks();
    multiply_divide();
    bit_ops();
    memory_ops();
    exclusives();
    bitband();
    printf("failures %d\n", failures);
    return 0;
}

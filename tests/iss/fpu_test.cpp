// FPv4-SP arithmetic with the ARM rules the host FPU does not share: the default NaN, NaN
// propagation order, flush-to-zero, rounding modes and the cumulative exception flags.
#include <catch2/catch.hpp>

#include <cstring>

#include "models/cpu/armv7m/fpu.h"

using namespace svp::armv7m;

namespace {
constexpr u32 kOne = 0x3F800000, kTwo = 0x40000000, kThird = 0x3EAAAAAB, kInf = 0x7F800000;
constexpr u32 kQNaN1 = 0x7FC00001, kSNaN2 = 0x7F800002, kDefaultNaN = 0x7FC00000;
constexpr u32 kMinNormal = 0x00800000, kDenormal = 0x00000001;
constexpr u32 kIOC = 1, kDZC = 2, kOFC = 4, kUFC = 8, kIXC = 16, kIDC = 128;
constexpr u32 kFZ = 1u << 24, kDN = 1u << 25;
constexpr u32 rmode(u32 m) { return m << 22; }  // 0 nearest, 1 +inf, 2 -inf, 3 zero
}  // namespace

TEST_CASE("inf - inf is an Invalid Operation giving the ARM default NaN (positive, quiet)", "[iss][fpu]") {
    u32 fpscr = 0;
    CHECK(fp_sub(kInf, kInf, fpscr) == kDefaultNaN);  // x86 would produce the negative NaN
    CHECK(fpscr == kIOC);
}

TEST_CASE("A signalling NaN operand wins over a quiet one and is quietened", "[iss][fpu][nan]") {
    u32 fpscr = 0;
    CHECK(fp_add(kQNaN1, kSNaN2, fpscr) == (kSNaN2 | 0x00400000));
    CHECK(fpscr == kIOC);
    fpscr = 0;
    CHECK(fp_mul(kQNaN1, kOne, fpscr) == kQNaN1);  // quiet NaN passes through silently
    CHECK(fpscr == 0);
    fpscr = kDN;
    CHECK(fp_mul(kQNaN1, kOne, fpscr) == kDefaultNaN);  // FPSCR.DN replaces it
}

TEST_CASE("A NaN subtrahend keeps its sign", "[iss][fpu][nan]") {
    u32 fpscr = 0;
    CHECK(fp_sub(kOne, kQNaN1, fpscr) == kQNaN1);
}

TEST_CASE("Rounding modes round 1/3 the four ways", "[iss][fpu][rounding]") {
    u32 f_rn = rmode(0), f_rp = rmode(1), f_rm = rmode(2), f_rz = rmode(3);
    const u32 rn = fp_div(kOne, 0x40400000, f_rn), rp = fp_div(kOne, 0x40400000, f_rp);
    const u32 rm = fp_div(kOne, 0x40400000, f_rm), rz = fp_div(kOne, 0x40400000, f_rz);
    CHECK(rn == kThird);          // 0x3EAAAAAB: nearest rounds up here
    CHECK(rp == 0x3EAAAAAB);
    CHECK(rm == 0x3EAAAAAA);
    CHECK(rz == 0x3EAAAAAA);
    CHECK((f_rn & kIXC) != 0);
}

TEST_CASE("Flush-to-zero: denormal inputs read as zero (IDC), tiny results become zero (UFC)", "[iss][fpu][denormal]") {
    u32 fpscr = kFZ;
    CHECK(fp_add(kDenormal, 0, fpscr) == 0);
    CHECK((fpscr & kIDC) != 0);
    fpscr = kFZ;
    CHECK(fp_mul(kMinNormal, 0x3F000000, fpscr) == 0);  // min normal * 0.5 underflows
    CHECK((fpscr & kUFC) != 0);
    fpscr = 0;
    CHECK(fp_mul(kMinNormal, 0x3F000000, fpscr) == 0x00400000);  // without FZ: a denormal
}

TEST_CASE("Overflow and divide by zero set OFC and DZC", "[iss][fpu]") {
    u32 fpscr = 0;
    CHECK(fp_mul(0x7F7FFFFF, kTwo, fpscr) == kInf);
    CHECK((fpscr & kOFC) != 0);
    fpscr = 0;
    CHECK(fp_div(kOne, 0, fpscr) == kInf);
    CHECK(fpscr == kDZC);
}

TEST_CASE("Float to integer conversion saturates and signals Invalid; NaN gives 0", "[iss][fpu][conversion]") {
    u32 fpscr = 0;
    CHECK(fp_to_int(0x4F800000 /* 2^32 */, true, true, fpscr) == 0x7FFFFFFF);
    CHECK(fpscr == kIOC);
    fpscr = 0;
    CHECK(fp_to_int(0xBF800000 /* -1 */, false, true, fpscr) == 0);
    CHECK(fpscr == kIOC);
    fpscr = 0;
    CHECK(fp_to_int(kQNaN1, true, true, fpscr) == 0);
    CHECK(fpscr == kIOC);
    fpscr = 0;
    CHECK(fp_to_int(0x40200000 /* 2.5 */, true, false, fpscr) == 2);  // nearest-even
    CHECK(fpscr == kIXC);
}

TEST_CASE("Fused multiply-add rounds once; a quiet-NaN addend with inf*0 is still Invalid", "[iss][fpu]") {
    u32 fpscr = 0;
    // (1 + 2^-23) * (1 - 2^-23) - 1 = -2^-46: exact only when fused
    CHECK(fp_muladd(0xBF800000, 0x3F800001, 0x3F7FFFFE, fpscr) == 0xA8800000);
    fpscr = 0;
    CHECK(fp_muladd(kQNaN1, kInf, 0, fpscr) == kDefaultNaN);
    CHECK(fpscr == kIOC);
}

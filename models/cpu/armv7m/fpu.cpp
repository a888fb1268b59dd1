#include "models/cpu/armv7m/fpu.h"

#include <cfenv>
#include <cmath>
#include <cstring>

namespace svp::armv7m {

namespace {

// FPSCR fields (A2.5.3).
constexpr u32 kIOC = 1u << 0, kDZC = 1u << 1, kOFC = 1u << 2, kUFC = 1u << 3, kIXC = 1u << 4, kIDC = 1u << 7;
constexpr u32 kFZ = 1u << 24, kDN = 1u << 25, kAHP = 1u << 26;
constexpr u32 kDefaultNaN = 0x7FC00000u;
constexpr u32 kFpscrWritable = 0xF7C0009Fu;

float as_float(u32 v) { float f; std::memcpy(&f, &v, 4); return f; }
u32 as_bits(float f) { u32 v; std::memcpy(&v, &f, 4); return v; }
bool is_nan(u32 v) { return (v & 0x7F800000u) == 0x7F800000u && (v & 0x007FFFFFu); }
bool is_snan(u32 v) { return is_nan(v) && !(v & 0x00400000u); }
bool is_denormal(u32 v) { return (v & 0x7F800000u) == 0 && (v & 0x007FFFFFu); }
bool is_inf(u32 v) { return (v & 0x7FFFFFFFu) == 0x7F800000u; }
bool is_zero(u32 v) { return (v & 0x7FFFFFFFu) == 0; }

// Input flushing (FPUnpack with FPSCR.FZ): denormals read as zero and set IDC.
u32 flush_in(u32 v, u32& fpscr) {
    if ((fpscr & kFZ) && is_denormal(v)) {
        fpscr |= kIDC;
        return v & 0x80000000u;
    }
    return v;
}

// FPProcessNaN: quiet the NaN (or the default NaN when DN); an SNaN signals Invalid.
u32 process_nan(u32 v, u32& fpscr) {
    if (is_snan(v)) fpscr |= kIOC;
    return (fpscr & kDN) ? kDefaultNaN : (v | 0x00400000u);
}

// FPProcessNaNs(3): the first signalling NaN wins, then the first quiet NaN.
bool process_nans(const u32* ops, unsigned n, u32& result, u32& fpscr) {
    for (unsigned i = 0; i < n; ++i)
        if (is_snan(ops[i])) { result = process_nan(ops[i], fpscr); return true; }
    for (unsigned i = 0; i < n; ++i)
        if (is_nan(ops[i])) { result = process_nan(ops[i], fpscr); return true; }
    return false;
}

// Runs `op` on the host under the FPSCR rounding mode and folds host exceptions into FPSCR.
template <typename F>
u32 host_round(u32& fpscr, F op) {
    static constexpr int kModes[4] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
    const int mode = kModes[(fpscr >> 22) & 3];
    if (mode != FE_TONEAREST) std::fesetround(mode);
    std::feclearexcept(FE_ALL_EXCEPT);
    volatile float r = op();
    const int ex = std::fetestexcept(FE_ALL_EXCEPT);
    if (mode != FE_TONEAREST) std::fesetround(FE_TONEAREST);
    u32 bits = as_bits(r);
    u32 flags = 0;
    if (ex & FE_INVALID) flags |= kIOC;
    if (ex & FE_DIVBYZERO) flags |= kDZC;
    if (ex & FE_OVERFLOW) flags |= kOFC;
    if (ex & FE_INEXACT) flags |= kIXC;
    if (ex & FE_UNDERFLOW) flags |= kUFC;
    if (is_nan(bits)) {
        fpscr |= flags;
        return kDefaultNaN;  // a NaN made from numbers is the default NaN
    }
    if ((fpscr & kFZ) && is_denormal(bits)) {
        // Output flush (FPRound with FZ): a tiny result becomes zero and signals Underflow only.
        fpscr |= kUFC;
        return bits & 0x80000000u;
    }
    fpscr |= flags;
    return bits;
}

u32 neg(u32 v) { return v ^ 0x80000000u; }

}  // namespace

u32 fp_add(u32 a, u32 b, u32& fpscr) {
    a = flush_in(a, fpscr);
    b = flush_in(b, fpscr);
    const u32 ops[2] = {a, b};
    u32 r;
    if (process_nans(ops, 2, r, fpscr)) return r;
    return host_round(fpscr, [&] { return as_float(a) + as_float(b); });
}

// FPSub: NaN operands propagate as they are (the subtrahend's sign is not flipped first).
u32 fp_sub(u32 a, u32 b, u32& fpscr) {
    a = flush_in(a, fpscr);
    b = flush_in(b, fpscr);
    const u32 ops[2] = {a, b};
    u32 r;
    if (process_nans(ops, 2, r, fpscr)) return r;
    return host_round(fpscr, [&] { return as_float(a) - as_float(b); });
}

u32 fp_mul(u32 a, u32 b, u32& fpscr) {
    a = flush_in(a, fpscr);
    b = flush_in(b, fpscr);
    const u32 ops[2] = {a, b};
    u32 r;
    if (process_nans(ops, 2, r, fpscr)) return r;
    return host_round(fpscr, [&] { return as_float(a) * as_float(b); });
}

u32 fp_div(u32 a, u32 b, u32& fpscr) {
    a = flush_in(a, fpscr);
    b = flush_in(b, fpscr);
    const u32 ops[2] = {a, b};
    u32 r;
    if (process_nans(ops, 2, r, fpscr)) return r;
    return host_round(fpscr, [&] { return as_float(a) / as_float(b); });
}

u32 fp_muladd(u32 addend, u32 a, u32 b, u32& fpscr) {
    addend = flush_in(addend, fpscr);
    a = flush_in(a, fpscr);
    b = flush_in(b, fpscr);
    // FPMulAdd: a quiet-NaN addend with inf * 0 is still an Invalid Operation.
    const bool inf_zero = (is_inf(a) && is_zero(b)) || (is_zero(a) && is_inf(b));
    if (is_nan(addend) && !is_snan(addend) && inf_zero) {
        fpscr |= kIOC;
        return kDefaultNaN;
    }
    const u32 ops[3] = {addend, a, b};
    u32 r;
    if (process_nans(ops, 3, r, fpscr)) return r;
    return host_round(fpscr, [&] { return std::fmaf(as_float(a), as_float(b), as_float(addend)); });
}

u32 fp_sqrt(u32 a, u32& fpscr) {
    a = flush_in(a, fpscr);
    if (is_nan(a)) return process_nan(a, fpscr);
    return host_round(fpscr, [&] { return std::sqrt(as_float(a)); });
}

namespace {
// FPToFixed with `frac` fraction bits into a `width`-bit integer; `rz` rounds toward zero,
// else the FPSCR mode. Out-of-range values saturate and signal Invalid (A2.5.7).
u32 fp_to_fixed(u32 a, unsigned width, unsigned frac, bool is_signed, bool rz, u32& fpscr) {
    a = flush_in(a, fpscr);
    if (is_nan(a)) {
        fpscr |= kIOC;
        return 0;
    }
    const double x = static_cast<double>(as_float(a)) * std::ldexp(1.0, static_cast<int>(frac));
    double r;
    if (rz) {
        r = std::trunc(x);
    } else {
        switch ((fpscr >> 22) & 3) {
        case 0: r = std::nearbyint(x); break;  // host default: round to nearest, ties to even
        case 1: r = std::ceil(x); break;
        case 2: r = std::floor(x); break;
        default: r = std::trunc(x); break;
        }
    }
    const double lo = is_signed ? -std::ldexp(1.0, static_cast<int>(width) - 1) : 0.0;
    const double hi = is_signed ? std::ldexp(1.0, static_cast<int>(width) - 1) - 1 : std::ldexp(1.0, static_cast<int>(width)) - 1;
    if (r < lo) { fpscr |= kIOC; r = lo; }
    else if (r > hi) { fpscr |= kIOC; r = hi; }
    else if (r != x) fpscr |= kIXC;
    const s64 v = static_cast<s64>(r);
    return static_cast<u32>(v);
}

u32 fixed_to_fp(u32 v, unsigned width, unsigned frac, bool is_signed, u32& fpscr) {
    double x;
    if (width == 16) x = is_signed ? static_cast<double>(static_cast<int16_t>(v & 0xFFFF)) : static_cast<double>(v & 0xFFFF);
    else x = is_signed ? static_cast<double>(static_cast<s32>(v)) : static_cast<double>(v);
    x = std::ldexp(x, -static_cast<int>(frac));
    return host_round(fpscr, [&] { return static_cast<float>(x); });
}

// Single to IEEE half precision with the FPSCR rounding mode (AHP = 0), and back.
u16 to_half(u32 a, u32& fpscr) {
    a = flush_in(a, fpscr);
    const u32 sign = (a >> 16) & 0x8000u;
    if (is_nan(a)) {
        const u32 q = process_nan(a, fpscr);
        if (fpscr & kDN) return 0x7E00;
        return static_cast<u16>(sign | 0x7E00u | ((q >> 13) & 0x3FFu));
    }
    if (is_inf(a)) return static_cast<u16>(sign | 0x7C00u);
    if (is_zero(a)) return static_cast<u16>(sign);
    const double x = std::fabs(static_cast<double>(as_float(a)));
    int e;
    std::frexp(x, &e);  // x = m * 2^e, m in [0.5, 1)
    int exp = e - 1;    // x = 1.f * 2^exp
    // Quantum of the result: normal halves have 10 fraction bits; subnormals a fixed 2^-24.
    int q = exp < -14 ? -24 : exp - 10;
    double scaled = std::ldexp(x, -q);
    double r;
    switch ((fpscr >> 22) & 3) {
    case 0: r = std::nearbyint(scaled); break;
    case 1: r = sign ? std::floor(scaled) : std::ceil(scaled); break;
    case 2: r = sign ? std::ceil(scaled) : std::floor(scaled); break;
    default: r = std::trunc(scaled); break;
    }
    if (r != scaled) fpscr |= kIXC;
    double value = std::ldexp(r, q);
    if (value >= 65520.0 || (value > 65504.0)) {
        fpscr |= kOFC | kIXC;
        const bool to_inf = ((fpscr >> 22) & 3) == 0 || (((fpscr >> 22) & 3) == 1 && !sign) || (((fpscr >> 22) & 3) == 2 && sign);
        return static_cast<u16>(sign | (to_inf ? 0x7C00u : 0x7BFFu));
    }
    if (value < std::ldexp(1.0, -14)) {
        if (r != scaled) fpscr |= kUFC;
        return static_cast<u16>(sign | static_cast<u32>(r));  // subnormal (or rounded up to min normal)
    }
    std::frexp(value, &e);
    exp = e - 1;
    const u32 mant = static_cast<u32>(std::ldexp(value, -exp) * 1024.0) & 0x3FFu;
    return static_cast<u16>(sign | (static_cast<u32>(exp + 15) << 10) | mant);
}

u32 from_half(u16 h, u32& fpscr) {
    const u32 sign = u32{h & 0x8000u} << 16;
    const u32 e = (h >> 10) & 0x1F, m = h & 0x3FFu;
    if (e == 0x1F && !(fpscr & kAHP)) {
        if (m == 0) return sign | 0x7F800000u;
        if (!(m & 0x200)) fpscr |= kIOC;  // signalling NaN
        if (fpscr & kDN) return kDefaultNaN;
        return sign | 0x7FC00000u | (m << 13);
    }
    if (e == 0) {
        if (m == 0) return sign;
        if (fpscr & kFZ) { /* half denormals are not flushed (A2.5.7) */ }
        const float v = std::ldexp(static_cast<float>(m), -24);
        return sign | as_bits(v);
    }
    return sign | ((e + 112) << 23) | (m << 13);
}

void compare(ArchState& s, u32 a, u32 b, bool signal_qnan) {
    u32& fpscr = s.fpscr;
    a = flush_in(a, fpscr);
    b = flush_in(b, fpscr);
    u32 nzcv;
    if (is_nan(a) || is_nan(b)) {
        nzcv = 0x3;
        if (signal_qnan || is_snan(a) || is_snan(b)) fpscr |= kIOC;
    } else {
        const float x = as_float(a), y = as_float(b);
        nzcv = x == y ? 0x6 : (x < y ? 0x8 : 0x2);
    }
    fpscr = (fpscr & 0x0FFFFFFFu) | (nzcv << 28);
}

}  // namespace

u32 fp_to_int(u32 a, bool is_signed, bool round_to_zero, u32& fpscr) {
    return fp_to_fixed(a, 32, 0, is_signed, round_to_zero, fpscr);
}

void fp_execute(ArchState& s, const DecodedInsn& d) {
    u32* S = s.s;
    u32& fpscr = s.fpscr;
    namespace f = insn_flag;
    switch (d.op) {
    case Opcode::VADD: S[d.rd] = fp_add(S[d.rn], S[d.rm], fpscr); break;
    case Opcode::VSUB: S[d.rd] = fp_sub(S[d.rn], S[d.rm], fpscr); break;
    case Opcode::VMUL: S[d.rd] = fp_mul(S[d.rn], S[d.rm], fpscr); break;
    case Opcode::VNMUL: S[d.rd] = neg(fp_mul(S[d.rn], S[d.rm], fpscr)); break;
    case Opcode::VDIV: S[d.rd] = fp_div(S[d.rn], S[d.rm], fpscr); break;
    case Opcode::VSQRT: S[d.rd] = fp_sqrt(S[d.rm], fpscr); break;
    // Chained (not fused) multiply-accumulate: the product is rounded first (A7.7.233 ff.).
    case Opcode::VMLA: S[d.rd] = fp_add(S[d.rd], fp_mul(S[d.rn], S[d.rm], fpscr), fpscr); break;
    case Opcode::VMLS: S[d.rd] = fp_add(S[d.rd], neg(fp_mul(S[d.rn], S[d.rm], fpscr)), fpscr); break;
    case Opcode::VNMLA: S[d.rd] = fp_add(neg(S[d.rd]), neg(fp_mul(S[d.rn], S[d.rm], fpscr)), fpscr); break;
    case Opcode::VNMLS: S[d.rd] = fp_add(neg(S[d.rd]), fp_mul(S[d.rn], S[d.rm], fpscr), fpscr); break;
    case Opcode::VFMA: S[d.rd] = fp_muladd(S[d.rd], S[d.rn], S[d.rm], fpscr); break;
    case Opcode::VFMS: S[d.rd] = fp_muladd(S[d.rd], neg(S[d.rn]), S[d.rm], fpscr); break;
    case Opcode::VFNMA: S[d.rd] = fp_muladd(neg(S[d.rd]), neg(S[d.rn]), S[d.rm], fpscr); break;
    case Opcode::VFNMS: S[d.rd] = fp_muladd(neg(S[d.rd]), S[d.rn], S[d.rm], fpscr); break;
    case Opcode::VABS: S[d.rd] = S[d.rm] & 0x7FFFFFFFu; break;
    case Opcode::VNEG: S[d.rd] = S[d.rm] ^ 0x80000000u; break;
    case Opcode::VMOV_IMM: S[d.rd] = d.imm; break;
    case Opcode::VMOV_REG: S[d.rd] = S[d.rm]; break;
    case Opcode::VCMP: compare(s, S[d.rd], (d.flags & f::y) ? 0u : S[d.rm], d.flags & f::x); break;
    case Opcode::VCVT_FROM_INT:
        S[d.rd] = host_round(fpscr, [&] {
            return (d.flags & f::x) ? static_cast<float>(static_cast<s32>(S[d.rm])) : static_cast<float>(S[d.rm]);
        });
        break;
    case Opcode::VCVT_TO_INT: S[d.rd] = fp_to_int(S[d.rm], d.flags & f::x, d.flags & f::y, fpscr); break;
    case Opcode::VCVT_FIXED: {
        const bool is_signed = d.flags & f::x;
        if (d.flags & f::y) {
            u32 v = fp_to_fixed(S[d.rd], d.shift_n, d.imm, is_signed, true, fpscr);
            if (d.shift_n == 16) v = is_signed ? sign_extend(v, 16) : (v & 0xFFFF);
            S[d.rd] = v;
        } else {
            S[d.rd] = fixed_to_fp(S[d.rd], d.shift_n, d.imm, is_signed, fpscr);
        }
        break;
    }
    case Opcode::VCVT_HALF:
        if (d.flags & f::x) {  // single -> half, into the top or bottom of Sd
            const u16 h = to_half(S[d.rm], fpscr);
            S[d.rd] = (d.flags & f::y) ? ((S[d.rd] & 0xFFFFu) | (u32{h} << 16)) : ((S[d.rd] & 0xFFFF0000u) | h);
        } else {
            const u16 h = static_cast<u16>((d.flags & f::y) ? S[d.rm] >> 16 : S[d.rm]);
            S[d.rd] = from_half(h, fpscr);
        }
        break;
    case Opcode::VMOV_TO_S: S[d.rn] = s.r[d.rd]; break;
    case Opcode::VMOV_FROM_S: s.r[d.rd] = S[d.rn]; break;
    case Opcode::VMOV_TO_2S: S[d.rm] = s.r[d.rd]; S[d.rm + 1] = s.r[d.ra]; break;
    case Opcode::VMOV_FROM_2S: s.r[d.rd] = S[d.rm]; s.r[d.ra] = S[d.rm + 1]; break;
    case Opcode::VMRS:
        if (d.rd == 15) {  // VMRS APSR_nzcv, FPSCR
            s.nf = fpscr & 0x80000000u;
            s.zf = (fpscr >> 30) & 1 ? 0 : 1;
            s.cf = (fpscr >> 29) & 1;
            s.vf = ((fpscr >> 28) & 1) << 31;
        } else {
            s.r[d.rd] = fpscr;
        }
        break;
    case Opcode::VMSR: fpscr = s.r[d.rd] & kFpscrWritable; break;
    default: break;
    }
}

}  // namespace svp::armv7m

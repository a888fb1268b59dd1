// ARMv7-M architectural helpers and register state, named after the pseudocode of the
// ARMv7-M Architecture Reference Manual (ARM DDI 0403E, "ARM ARM" below) so the executor can
// be read side by side with it: AddWithCarry, Shift_C, ThumbExpandImm_C, SignedSatQ ...
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

static_assert(std::endian::native == std::endian::little,
              "the ISS reads guest memory with host loads: a little-endian host is required");

namespace svp::armv7m {

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;
using s32 = std::int32_t;
using s64 = std::int64_t;

constexpr u32 bits(u32 x, unsigned hi, unsigned lo) { return (x >> lo) & ((2u << (hi - lo)) - 1u); }
constexpr u32 bit(u32 x, unsigned n) { return (x >> n) & 1u; }
constexpr u32 sign_extend(u32 x, unsigned width) {
    const u32 m = 1u << (width - 1);
    x &= (width == 32) ? 0xFFFFFFFFu : ((1u << width) - 1u);
    return (x ^ m) - m;
}
constexpr u32 ror(u32 x, unsigned n) { return std::rotr(x, static_cast<int>(n & 31)); }

// Shift types as encoded in the instruction (ARM ARM A7.4.2, DecodeImmShift).
enum ShiftType : u8 { kLSL = 0, kLSR = 1, kASR = 2, kROR = 3, kRRX = 4 };

struct ShiftResult {
    u32 value;
    u32 carry;
};

// Shift_C(value, type, amount, carry_in), ARM ARM A7.4.2. `amount` may exceed 32 (register
// shifts use the bottom byte of a register); amount 0 returns the value and the carry unchanged.
inline ShiftResult shift_c(u32 v, unsigned type, u32 amount, u32 carry_in) {
    if (amount == 0 && type != kRRX) return {v, carry_in};
    switch (type) {
    case kLSL:
        if (amount < 32) return {v << amount, (v >> (32 - amount)) & 1u};
        if (amount == 32) return {0, v & 1u};
        return {0, 0};
    case kLSR:
        if (amount < 32) return {v >> amount, (v >> (amount - 1)) & 1u};
        if (amount == 32) return {0, v >> 31};
        return {0, 0};
    case kASR:
        if (amount < 32) return {static_cast<u32>(static_cast<s32>(v) >> amount), (v >> (amount - 1)) & 1u};
        return {static_cast<u32>(static_cast<s32>(v) >> 31), v >> 31};
    case kROR: {
        const u32 r = ror(v, amount & 31);
        return {r, r >> 31};
    }
    default:  // RRX: one bit, through the carry
        return {(carry_in << 31) | (v >> 1), v & 1u};
    }
}
inline u32 shift(u32 v, unsigned type, u32 amount, u32 carry_in) { return shift_c(v, type, amount, carry_in).value; }

// ThumbExpandImm_C (A5.3.2): the 12-bit modified immediate; carry_out < 0 means "unchanged".
struct ExpandedImm {
    u32 value;
    int carry_out;
};
inline ExpandedImm thumb_expand_imm_c(u32 imm12) {
    if (bits(imm12, 11, 10) == 0) {
        const u32 b = imm12 & 0xFF;
        switch (bits(imm12, 9, 8)) {
        case 0: return {b, -1};
        case 1: return {(b << 16) | b, -1};
        case 2: return {(b << 24) | (b << 8), -1};
        default: return {(b << 24) | (b << 16) | (b << 8) | b, -1};
        }
    }
    const u32 v = ror(0x80u | (imm12 & 0x7F), bits(imm12, 11, 7));
    return {v, static_cast<int>(v >> 31)};
}

// Saturation (A2.2.1): SignedSatQ / UnsignedSatQ to `n` bits; `sat` reports clipping.
inline s32 signed_sat_q(s64 x, unsigned n, bool& sat) {
    const s64 hi = (s64{1} << (n - 1)) - 1, lo = -(s64{1} << (n - 1));
    if (x > hi) { sat = true; return static_cast<s32>(hi); }
    if (x < lo) { sat = true; return static_cast<s32>(lo); }
    return static_cast<s32>(x);
}
inline u32 unsigned_sat_q(s64 x, unsigned n, bool& sat) {
    const s64 hi = (n >= 32) ? s64{0xFFFFFFFF} : (s64{1} << n) - 1;
    if (x > hi) { sat = true; return static_cast<u32>(hi); }
    if (x < 0) { sat = true; return 0; }
    return static_cast<u32>(x);
}

// Exception numbers (B1.5.2).
enum Exception : u32 {
    kReset = 1, kNmi = 2, kHardFault = 3, kMemManage = 4, kBusFault = 5, kUsageFault = 6,
    kSvCall = 11, kDebugMonitor = 12, kPendSv = 14, kSysTick = 15, kFirstIrq = 16,
};

// Configurable Fault Status Register bits (B3.2.15), as one 32-bit register.
namespace cfsr {
inline constexpr u32 IACCVIOL = 1u << 0, DACCVIOL = 1u << 1, MUNSTKERR = 1u << 3, MSTKERR = 1u << 4,
                     MLSPERR = 1u << 5, MMARVALID = 1u << 7;
inline constexpr u32 IBUSERR = 1u << 8, PRECISERR = 1u << 9, IMPRECISERR = 1u << 10,
                     UNSTKERR = 1u << 11, STKERR = 1u << 12, LSPERR = 1u << 13, BFARVALID = 1u << 15;
inline constexpr u32 UNDEFINSTR = 1u << 16, INVSTATE = 1u << 17, INVPC = 1u << 18, NOCP = 1u << 19,
                     UNALIGNED = 1u << 24, DIVBYZERO = 1u << 25;
}  // namespace cfsr

// The register file and status registers of one core (B1.4). Flags are stored the way fast
// interpreters store them (QEMU does the same): N is bit 31 of `nf`, Z is set when `zf` is 0,
// C is `cf` (0/1), V is bit 31 of `vf`. That makes a flag-setting add four plain stores.
struct ArchState {
    u32 r[16] = {};
    u32 nf = 0, zf = 1, cf = 0, vf = 0;
    u32 qf = 0;       // sticky saturation (APSR.Q)
    u32 ge = 0;       // APSR.GE[3:0], SIMD greater-or-equal
    u32 itstate = 0;  // ITSTATE (IT[7:0]); 0 outside an IT block
    bool thumb = true; // EPSR.T: cleared only by a BX to an even address (then INVSTATE)
    u32 ipsr = 0;     // exception number of the running handler; 0 in Thread mode
    // CONTROL (B1.4.4): nPRIV, SPSEL, FPCA.
    bool npriv = false, spsel = false, fpca = false;
    bool primask = false, faultmask = false;
    u32 basepri = 0;
    u32 other_sp = 0;  // the banked SP not currently in r[13] (PSP when SPSEL=0 in Thread mode...)
    // FP extension (FPv4-SP): S0..S31 overlay D0..D15.
    u32 s[32] = {};
    u32 fpscr = 0;

    bool handler_mode() const { return ipsr != 0; }
    bool privileged() const { return handler_mode() || !npriv; }
    // Which stack pointer is live: Handler mode always uses MSP.
    bool using_psp() const { return !handler_mode() && spsel; }

    u32 apsr() const {
        return (nf & 0x80000000u) | (zf == 0 ? 1u << 30 : 0) | (cf << 29) | ((vf >> 31) << 28) |
               (qf << 27) | (ge << 16);
    }
    void set_nzcvq(u32 v) {
        nf = v & 0x80000000u;
        zf = (v >> 30) & 1 ? 0 : 1;
        cf = (v >> 29) & 1;
        vf = ((v >> 28) & 1) << 31;
        qf = (v >> 27) & 1;
    }
    void set_ge(u32 v) { ge = (v >> 16) & 0xF; }
    // xPSR as stacked on exception entry and shown to debuggers: APSR | EPSR (T, ICI/IT) | IPSR.
    u32 xpsr() const {
        return apsr() | (thumb ? 1u << 24 : 0u) | ((itstate & 0x3) << 25) | ((itstate >> 2) << 10) | ipsr;
    }
    u32 msp() const { return using_psp() ? other_sp : r[13]; }
    u32 psp() const { return using_psp() ? r[13] : other_sp; }
    void set_msp(u32 v) { (using_psp() ? other_sp : r[13]) = v & ~3u; }
    void set_psp(u32 v) { (using_psp() ? r[13] : other_sp) = v & ~3u; }
    u32 control() const { return (npriv ? 1u : 0) | (spsel ? 2u : 0) | (fpca ? 4u : 0); }
};

// Condition codes (A7.3.1). `cond` 14 and 15 always pass.
inline bool condition_passed(const ArchState& s, unsigned cond) {
    bool r;
    switch (cond >> 1) {
    case 0: r = s.zf == 0; break;                                        // EQ / NE
    case 1: r = s.cf != 0; break;                                        // CS / CC
    case 2: r = (s.nf >> 31) != 0; break;                                // MI / PL
    case 3: r = (s.vf >> 31) != 0; break;                                // VS / VC
    case 4: r = s.cf != 0 && s.zf != 0; break;                           // HI / LS
    case 5: r = ((s.nf ^ s.vf) >> 31) == 0; break;                       // GE / LT
    case 6: r = ((s.nf ^ s.vf) >> 31) == 0 && s.zf != 0; break;          // GT / LE
    default: return true;                                                // AL
    }
    return (cond & 1) ? !r : r;
}

// ITSTATE advance (A7.3.3, ITAdvance).
constexpr u32 it_advance(u32 it) {
    if ((it & 0x7) == 0) return 0;
    return (it & 0xE0) | ((it << 1) & 0x1F);
}
constexpr bool in_it_block(u32 it) { return (it & 0xF) != 0; }
constexpr bool last_in_it_block(u32 it) { return (it & 0xF) == 0x8; }

}  // namespace svp::armv7m

// ARMv7E-M DSP helpers: the SIMD parallel add/subtract family and the saturating halfword
// forms (ARM ARM A7.7, e.g. SADD16, UQSUB8, SHASX). Lanes are processed in C++ integers.
#pragma once

#include "models/cpu/armv7m/arch.h"

namespace svp::armv7m {

// PARALLEL's immediate: (variant << 3) | kind, as the decoder packs it.
// kind: 0 ADD8, 1 ADD16, 2 ASX, 4 SUB8, 5 SUB16, 6 SAX (A5.3.13 op1).
// variant: bit 2 unsigned; bits 1:0: 0 plain (sets GE), 1 saturating, 2 halving.
inline u32 parallel_add_sub(u32 op, u32 a, u32 b, u32& ge) {
    const u32 kind = op & 7, variant = op >> 3;
    const bool uns = variant & 4;
    const unsigned mode = variant & 3;  // 0 plain, 1 saturating, 2 halving
    auto lane16 = [&](u32 x, unsigned i) -> s64 {
        const u32 v = (x >> (16 * i)) & 0xFFFF;
        return uns ? s64(v) : s64(static_cast<int16_t>(v));
    };
    auto lane8 = [&](u32 x, unsigned i) -> s64 {
        const u32 v = (x >> (8 * i)) & 0xFF;
        return uns ? s64(v) : s64(static_cast<int8_t>(v));
    };
    u32 out = 0, g = 0;
    auto set_ge16 = [&](unsigned i, bool v) { if (v) g |= 3u << (2 * i); };
    auto set_ge8 = [&](unsigned i, bool v) { if (v) g |= 1u << i; };
    auto put = [&](s64 r, unsigned width, unsigned i) {
        u32 lane;
        if (mode == 1) {
            bool sat = false;
            lane = uns ? unsigned_sat_q(r, width, sat) : static_cast<u32>(signed_sat_q(r, width, sat));
        } else if (mode == 2) {
            lane = static_cast<u32>(r >> 1);
        } else {
            lane = static_cast<u32>(r);
        }
        const u32 m = width == 16 ? 0xFFFFu : 0xFFu;
        out |= (lane & m) << (width * i);
    };
    switch (kind) {
    case 1: case 5: case 2: case 6: {  // 16-bit lanes
        s64 r0, r1;
        bool add0, add1;
        if (kind == 1) { r0 = lane16(a, 0) + lane16(b, 0); r1 = lane16(a, 1) + lane16(b, 1); add0 = add1 = true; }
        else if (kind == 5) { r0 = lane16(a, 0) - lane16(b, 0); r1 = lane16(a, 1) - lane16(b, 1); add0 = add1 = false; }
        else if (kind == 2) { r0 = lane16(a, 0) - lane16(b, 1); r1 = lane16(a, 1) + lane16(b, 0); add0 = false; add1 = true; }  // ASX
        else { r0 = lane16(a, 0) + lane16(b, 1); r1 = lane16(a, 1) - lane16(b, 0); add0 = true; add1 = false; }               // SAX
        put(r0, 16, 0);
        put(r1, 16, 1);
        if (mode == 0) {
            set_ge16(0, uns ? (add0 ? r0 >= 0x10000 : r0 >= 0) : r0 >= 0);
            set_ge16(1, uns ? (add1 ? r1 >= 0x10000 : r1 >= 0) : r1 >= 0);
            ge = g;
        }
        return out;
    }
    case 0: case 4: {  // 8-bit lanes
        for (unsigned i = 0; i < 4; ++i) {
            const s64 r = kind == 0 ? lane8(a, i) + lane8(b, i) : lane8(a, i) - lane8(b, i);
            put(r, 8, i);
            if (mode == 0) set_ge8(i, uns ? (kind == 0 ? r >= 0x100 : r >= 0) : r >= 0);
        }
        if (mode == 0) ge = g;
        return out;
    }
    default:
        return 0;
    }
}

}  // namespace svp::armv7m

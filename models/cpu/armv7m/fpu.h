// FPv4-SP: the single-precision floating-point instructions of the Cortex-M4F (ARM ARM A6 and
// the FP pseudocode of A2.5). Arithmetic runs on the host FPU (IEEE 754 binary32, like the
// target) under the FPSCR rounding mode; what differs between ARM and x86 is done here in
// software: NaN propagation and the default NaN, flush-to-zero, the cumulative exception bits
// and saturating conversions.
#pragma once

#include "models/cpu/armv7m/arch.h"
#include "models/cpu/armv7m/insn.h"

namespace svp::armv7m {

// Executes one FP data-processing or register-transfer instruction (not loads/stores).
void fp_execute(ArchState& s, const DecodedInsn& d);

// Exposed for tests: one arithmetic step with ARM semantics, updating fpscr's flags.
u32 fp_add(u32 a, u32 b, u32& fpscr);
u32 fp_sub(u32 a, u32 b, u32& fpscr);
u32 fp_mul(u32 a, u32 b, u32& fpscr);
u32 fp_div(u32 a, u32 b, u32& fpscr);
u32 fp_muladd(u32 addend, u32 a, u32 b, u32& fpscr);  // fused
u32 fp_sqrt(u32 a, u32& fpscr);
u32 fp_to_int(u32 a, bool is_signed, bool round_to_zero, u32& fpscr);

}  // namespace svp::armv7m

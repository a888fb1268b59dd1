// The cycle model: one row per instruction class, read from the Cortex-M4 Technical Reference
// Manual (ARM 100166_0001_00, table 3-1 "Processor instruction set summary", and table 7-1 for
// the FPU). Architects change a row here (or in a CycleTable they pass to the core) to explore
// a different pipeline; memory wait states come from the memories, not from this table.
//
// Abbreviations of the TRM: P = pipeline refill (1 to 3 cycles, depending on the alignment and
// width of the branch target; one number here), N = registers in a load/store multiple list,
// B = barrier cycles (0 minimum for DMB/DSB; an ISB costs a refill), W = cycles waiting for an
// event (WFI/WFE: the core sleeps until the event, see CortexM4::run).
#pragma once

#include <array>
#include <string_view>

#include "models/cpu/armv7m/insn.h"

namespace svp::armv7m {

struct CycleTable {
    struct Row {
        unsigned cycles;      // fixed part
        unsigned refills;     // how many P to add
        bool per_register;    // add N (registers transferred)
        const char* what;     // TRM row
    };
    std::array<Row, static_cast<unsigned>(TimingClass::count_)> rows{};
    unsigned refill = 2;  // P: the TRM gives 1-3; 2 is the common case (aligned 32-bit target)

    // Exception timing (TRM 3.3.x "Exception handling" / Yiu, Definitive Guide ch. 8):
    unsigned exception_entry = 12;  // stacking 8 words and fetching the vector
    unsigned exception_return = 10;
    unsigned tail_chain = 6;
    unsigned fp_frame_extra = 17;   // stacking S0-S15 + FPSCR when the FP context is active

    // Neighbouring load/store single instructions pipeline their address and data phases, so
    // the second of a pair completes in 1 cycle (TRM table 3-1, note b).
    bool pipeline_load_store = true;

    // SDIV/UDIV: 2 to 12 cycles with early termination on the operands' leading zeros/ones.
    // The TRM gives no formula; we charge 2 + one cycle per 4 bits of quotient, capped at 12.
    static unsigned divide_cycles(u32 dividend_magnitude, u32 divisor_magnitude);

    const Row& row(TimingClass c) const { return rows[static_cast<unsigned>(c)]; }
    // Static cycles of one instruction (without memory wait states, taken-branch refills of
    // conditional branches, divide early termination, or the pipelining of neighbours).
    unsigned static_cycles(const DecodedInsn& d) const;

    static CycleTable cortex_m4();

    // The classes by name ("alu", "load", "fp_div", ...), for variant files that change a row:
    // set("load", 3) makes every single load 3 cycles. Returns false for an unknown name.
    bool set(std::string_view class_name, unsigned cycles);
    static std::string_view class_name(TimingClass c);
};

}  // namespace svp::armv7m

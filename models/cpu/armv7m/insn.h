// A decoded Thumb instruction: what the decoder produces and the executor consumes. The
// executor never looks at encoding bits again; PC-relative operands are resolved at decode.
#pragma once

#include <string_view>

#include "models/cpu/armv7m/arch.h"

namespace svp::armv7m {

enum class Opcode : u16 {
#define SVP_OPCODE(name, cls, ends) name,
#include "models/cpu/armv7m/opcodes.def"
#undef SVP_OPCODE
    count_
};
inline constexpr unsigned kOpcodeCount = static_cast<unsigned>(Opcode::count_);

// Instruction classes of the cycle table (timing.h).
enum class TimingClass : u8 {
    alu, alu_pc, mul, div, load, load_pc, store, load_dual, store_dual, ldm, ldm_pc, stm,
    exclusive, branch, branch_cond, table_branch, hint, sleep, barrier, isb, system, exception,
    fp_alu, fp_mac, fp_div, fp_load, fp_store, fp_ldm, fp_stm, fp_move, fp_move2, none,
    count_
};

std::string_view opcode_name(Opcode op);
TimingClass timing_class(Opcode op);
bool ends_block(Opcode op);
// Instructions that may write the PC: only allowed as the last instruction of an IT block.
bool writes_pc(Opcode op);

// Flag bits of DecodedInsn::flags.
namespace insn_flag {
inline constexpr u8 carry_valid = 1 << 0;  // immediate forms: the expanded immediate sets C ...
inline constexpr u8 carry_value = 1 << 1;  // ... to this
inline constexpr u8 index = 1 << 2;        // P: offset applied before the access
inline constexpr u8 add = 1 << 3;          // U: offset added (else subtracted)
inline constexpr u8 wback = 1 << 4;        // W: base register written back
inline constexpr u8 x = 1 << 5;            // DSP: exchange halves / round (SMMULR); FP: variant bit
inline constexpr u8 y = 1 << 6;            // DSP: top half of the second operand; FP: second variant bit
inline constexpr u8 dbl = 1 << 7;          // FP load/store: 64-bit (D) registers
}  // namespace insn_flag

// Access kinds of single loads/stores (MEM_UNPRIV, LDR_PC).
enum MemKind : u8 { kMemWord, kMemByte, kMemHalf, kMemSByte, kMemSHalf };

struct DecodedInsn {
    const void* handler = nullptr;  // executor's dispatch target, filled in when a block is prepared
    u32 pc = 0;                     // address of this instruction
    u32 imm = 0;                    // immediate, target address, register list ...
    Opcode op = Opcode::UDF;
    u8 rd = 0, rn = 0, rm = 0, ra = 0;  // ra doubles as RdHi / Rt2 / Ra
    u8 shift_type = 0, shift_n = 0;  // shift; also the register count of LDM/STM
    u8 cond = 14;        // condition (14 = always); set inside IT blocks and for B<c>
    u8 size = 2;         // 2 or 4 bytes
    u8 itstate = 0;      // ITSTATE while this instruction executes (stacked if it faults)
    u8 cycles = 1;       // static cycles from the timing table
    u8 flags = 0;        // insn_flag bits
    u8 insns_before = 0; // instructions before this one in its block
    u16 cycles_before = 0;
    u32 raw = 0;         // the encoding (hw1 in the low half for 16-bit, hw1:hw2 for 32-bit)

    u32 next_pc() const { return pc + size; }
};

// Decodes the instruction whose first halfword is hw1 (hw2 is read only for 32-bit encodings)
// at `pc` under ITSTATE `itstate`. Never fails: undefined encodings decode to UDF.
DecodedInsn decode_thumb(u16 hw1, u16 hw2, u32 pc, u32 itstate);
inline bool is_32bit_thumb(u16 hw1) { return (hw1 >> 11) >= 0x1D; }

}  // namespace svp::armv7m

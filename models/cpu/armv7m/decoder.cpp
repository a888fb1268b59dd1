// Thumb / Thumb-2 decoder for ARMv7E-M with the FPv4-SP extension. The structure follows the
// encoding tables of the ARMv7-M ARM (DDI 0403E) chapter A5 (A5.2 16-bit, A5.3 32-bit) and
// A6 (floating point); each branch names the table or instruction section it implements.
// UNPREDICTABLE encodings that real code does not contain decode to UDF (a UsageFault), which
// is what QEMU does for most of them, so a test program never silently does something odd.
#include "models/cpu/armv7m/insn.h"


namespace svp::armv7m {
namespace {

using enum Opcode;
namespace f = insn_flag;

constexpr Opcode plus(Opcode base, unsigned n) { return static_cast<Opcode>(static_cast<unsigned>(base) + n); }
// The six data-processing forms are declared in the order _I, S_I, _R, S_R, _RS, S_RS.
enum Form : unsigned { kImm = 0, kReg = 1, kRegShift = 2 };
constexpr Opcode dp(Opcode base_i, Form form, bool s) { return plus(base_i, form * 2 + (s ? 1 : 0)); }
constexpr Opcode cmp(Opcode base_i, Form form) { return plus(base_i, form); }
// Single loads/stores: _I, _R, _PRE, _POST, _LIT.
enum MemForm : unsigned { kOffset = 0, kRegOffset = 1, kPre = 2, kPost = 3, kLiteral = 4 };
constexpr Opcode mem(Opcode base_i, MemForm form) { return plus(base_i, form); }

DecodedInsn& udf(DecodedInsn& d, u32 why = cfsr::UNDEFINSTR) {
    d.op = UDF;
    d.imm = why;
    return d;
}

// DecodeImmShift (A7.4.2) applied to a register operand: picks the _R or _RS form.
Form reg_operand(DecodedInsn& d, u32 type, u32 imm5) {
    if (type == kLSL && imm5 == 0) return kReg;
    d.shift_type = static_cast<u8>(type);
    d.shift_n = static_cast<u8>(imm5);
    if ((type == kLSR || type == kASR) && imm5 == 0) d.shift_n = 32;
    if (type == kROR && imm5 == 0) { d.shift_type = kRRX; d.shift_n = 1; }
    return kRegShift;
}

void set_imm_carry(DecodedInsn& d, const ExpandedImm& e) {
    d.imm = e.value;
    if (e.carry_out >= 0) d.flags |= f::carry_valid | (e.carry_out ? f::carry_value : 0);
}

u32 align4(u32 v) { return v & ~3u; }
// BadReg (A5.1.2): SP and PC are UNPREDICTABLE in most register fields of 32-bit encodings.
constexpr bool bad(u32 r) { return r == 13 || r == 15; }

// ---- 16-bit encodings (A5.2) ----------------------------------------------------------------
DecodedInsn& decode16(DecodedInsn& d, u32 hw) {
    const bool s = !in_it_block(d.itstate);  // most 16-bit ALU encodings set flags outside IT
    const u32 op6 = bits(hw, 15, 10);
    const u8 r0 = static_cast<u8>(bits(hw, 2, 0)), r3 = static_cast<u8>(bits(hw, 5, 3)),
             r6 = static_cast<u8>(bits(hw, 8, 6)), r8 = static_cast<u8>(bits(hw, 10, 8));
    const u32 pc4 = d.pc + 4;

    if ((op6 >> 4) == 0) {  // A5.2.1 shift (immediate), add, subtract, move, compare
        const u32 opc = bits(hw, 13, 9);
        const u32 imm5 = bits(hw, 10, 6);
        switch (opc >> 2) {
        case 0: case 1: case 2: {  // LSL / LSR / ASR (immediate); LSL #0 is MOVS Rd, Rm
            d.rd = r0; d.rn = r3; d.rm = r3;
            d.op = dp(MOV_I, reg_operand(d, opc >> 2, imm5), s);
            return d;
        }
        case 3:
            switch (opc & 3) {
            case 0: d.rd = r0; d.rn = r3; d.rm = r6; d.op = dp(ADD_I, kReg, s); return d;
            case 1: d.rd = r0; d.rn = r3; d.rm = r6; d.op = dp(SUB_I, kReg, s); return d;
            case 2: d.rd = r0; d.rn = r3; d.imm = r6; d.op = dp(ADD_I, kImm, s); return d;
            default: d.rd = r0; d.rn = r3; d.imm = r6; d.op = dp(SUB_I, kImm, s); return d;
            }
        case 4: d.rd = r8; d.imm = bits(hw, 7, 0); d.op = dp(MOV_I, kImm, s); return d;
        case 5: d.rn = r8; d.imm = bits(hw, 7, 0); d.op = CMP_I; return d;
        case 6: d.rd = d.rn = r8; d.imm = bits(hw, 7, 0); d.op = dp(ADD_I, kImm, s); return d;
        default: d.rd = d.rn = r8; d.imm = bits(hw, 7, 0); d.op = dp(SUB_I, kImm, s); return d;
        }
    }
    if (op6 == 0x10) {  // A5.2.2 data processing
        d.rd = d.rn = r0;
        d.rm = r3;
        switch (bits(hw, 9, 6)) {
        case 0x0: d.op = dp(AND_I, kReg, s); break;
        case 0x1: d.op = dp(EOR_I, kReg, s); break;
        case 0x2: d.shift_type = kLSL; d.op = s ? MOVS_RR : MOV_RR; break;
        case 0x3: d.shift_type = kLSR; d.op = s ? MOVS_RR : MOV_RR; break;
        case 0x4: d.shift_type = kASR; d.op = s ? MOVS_RR : MOV_RR; break;
        case 0x5: d.op = dp(ADC_I, kReg, s); break;
        case 0x6: d.op = dp(SBC_I, kReg, s); break;
        case 0x7: d.shift_type = kROR; d.op = s ? MOVS_RR : MOV_RR; break;
        case 0x8: d.op = TST_R; break;
        case 0x9: d.rn = r3; d.imm = 0; d.op = dp(RSB_I, kImm, s); break;  // NEG = RSBS Rd, Rn, #0
        case 0xA: d.op = CMP_R; break;
        case 0xB: d.op = CMN_R; break;
        case 0xC: d.op = dp(ORR_I, kReg, s); break;
        case 0xD: d.rn = r3; d.rm = r0; d.op = s ? MULS : MUL; break;
        case 0xE: d.op = dp(BIC_I, kReg, s); break;
        default: d.op = dp(MVN_I, kReg, s); break;
        }
        return d;
    }
    if (op6 == 0x11) {  // A5.2.3 special data instructions and branch and exchange
        const u8 rdn = static_cast<u8>((bit(hw, 7) << 3) | r0);
        const u8 rm = static_cast<u8>(bits(hw, 6, 3));
        switch (bits(hw, 9, 8)) {
        case 0:  // ADD (register) T2, no flags
            if (rdn == 15 && rm == 15) return udf(d);
            if (rdn == 15) { d.rm = rm; d.imm = pc4; d.op = BR_ADD; return d; }
            d.rd = d.rn = rdn;
            if (rm == 15) { d.imm = pc4; d.op = ADD_I; return d; }
            d.rm = rm; d.op = ADD_R; return d;
        case 1:  // CMP (register) T2
            if (rdn == 15) return udf(d);
            d.rn = rdn;
            if (rm == 15) { d.imm = pc4; d.op = CMP_I; return d; }
            d.rm = rm; d.op = CMP_R; return d;
        case 2:  // MOV (register) T1, no flags
            if (rdn == 15) {
                if (rm == 15) { d.imm = pc4; d.op = B; return d; }
                d.rm = rm; d.op = BR_MOV; return d;
            }
            d.rd = rdn;
            if (rm == 15) { d.imm = pc4; d.op = MOV_I; return d; }
            d.rm = rm; d.op = MOV_R; return d;
        default:  // BX / BLX (register)
            if (bits(hw, 2, 0) != 0) return udf(d);
            if (rm == 15) return udf(d, bit(hw, 7) ? cfsr::UNDEFINSTR : cfsr::INVSTATE);
            d.rm = rm;
            d.op = bit(hw, 7) ? BLX : BX;
            return d;
        }
    }
    if ((op6 >> 1) == 0x09) {  // LDR (literal) T1
        d.rd = r8; d.imm = align4(pc4) + bits(hw, 7, 0) * 4; d.op = LDR_LIT; return d;
    }
    const u32 opa = bits(hw, 15, 12), opb = bits(hw, 11, 9);
    if (opa == 0x5) {  // A5.2.4 load/store single data item, register offset
        static constexpr Opcode kOps[8] = {STR_I, STRH_I, STRB_I, LDRSB_I, LDR_I, LDRH_I, LDRB_I, LDRSH_I};
        d.rd = r0; d.rn = r3; d.rm = r6; d.op = mem(kOps[opb], kRegOffset); return d;
    }
    if (opa >= 0x6 && opa <= 0x9) {  // load/store immediate offset, SP-relative
        const bool load = bit(hw, 11);
        d.rd = r0; d.rn = r3;
        const u32 imm5 = bits(hw, 10, 6);
        switch (opa) {
        case 0x6: d.imm = imm5 * 4; d.op = load ? LDR_I : STR_I; break;
        case 0x7: d.imm = imm5; d.op = load ? LDRB_I : STRB_I; break;
        case 0x8: d.imm = imm5 * 2; d.op = load ? LDRH_I : STRH_I; break;
        default: d.rd = r8; d.rn = 13; d.imm = bits(hw, 7, 0) * 4; d.op = load ? LDR_I : STR_I; break;
        }
        return d;
    }
    if (opa == 0xA) {  // ADR / ADD (SP plus immediate)
        d.rd = r8;
        if (!bit(hw, 11)) { d.imm = align4(pc4) + bits(hw, 7, 0) * 4; d.op = MOV_I; return d; }
        d.rn = 13; d.imm = bits(hw, 7, 0) * 4; d.op = ADD_I; return d;
    }
    if (opa == 0xB) {  // A5.2.5 miscellaneous 16-bit instructions
        const u32 op7 = bits(hw, 11, 5);
        if ((op7 >> 2) == 0x00) { d.rd = d.rn = 13; d.imm = bits(hw, 6, 0) * 4; d.op = ADD_I; return d; }
        if ((op7 >> 2) == 0x01) { d.rd = d.rn = 13; d.imm = bits(hw, 6, 0) * 4; d.op = SUB_I; return d; }
        if ((op7 >> 3) == 0x1 || (op7 >> 3) == 0x3 || (op7 >> 3) == 0x9 || (op7 >> 3) == 0xB) {  // CB{N}Z
            d.rn = r0;
            d.imm = pc4 + ((bit(hw, 9) << 6) | (bits(hw, 7, 3) << 1));
            d.op = bit(hw, 11) ? CBNZ : CBZ;
            return d;
        }
        if ((op7 >> 3) == 0x2) {  // SXTH SXTB UXTH UXTB
            static constexpr Opcode kExt[4] = {SXTH, SXTB, UXTH, UXTB};
            d.rd = r0; d.rm = r3; d.op = kExt[bits(hw, 7, 6)]; return d;
        }
        if ((op7 >> 4) == 0x2) {  // PUSH = STMDB SP!, list
            d.rn = 13; d.imm = (bit(hw, 8) << 14) | bits(hw, 7, 0);
            if (d.imm == 0) return udf(d);
            d.flags = f::index | f::wback; d.op = STM; return d;
        }
        if (op7 == 0x33) {  // CPS
            if (bit(hw, 3) || bit(hw, 2)) return udf(d);
            d.imm = bit(hw, 4); d.shift_n = static_cast<u8>(bits(hw, 1, 0)); d.op = CPS; return d;
        }
        if ((op7 >> 1) == 0x28) { d.rd = r0; d.rm = r3; d.op = REV; return d; }
        if ((op7 >> 1) == 0x29) { d.rd = r0; d.rm = r3; d.op = REV16; return d; }
        if ((op7 >> 1) == 0x2B) { d.rd = r0; d.rm = r3; d.op = REVSH; return d; }
        if ((op7 >> 4) == 0x6) {  // POP = LDMIA SP!, list
            d.rn = 13; d.imm = (bit(hw, 8) << 15) | bits(hw, 7, 0);
            if (d.imm == 0) return udf(d);
            d.flags = f::wback; d.op = bit(hw, 8) ? LDM_PC : LDM; return d;
        }
        if ((op7 >> 3) == 0xE) { d.imm = bits(hw, 7, 0); d.op = BKPT; return d; }
        if ((op7 >> 3) == 0xF) {  // IT and hints
            const u32 firstcond = bits(hw, 7, 4), mask = bits(hw, 3, 0);
            if (mask != 0) {
                if (firstcond == 0xF || (firstcond == 0xE && std::popcount(mask) != 1) ||
                    in_it_block(d.itstate))
                    return udf(d);
                d.imm = bits(hw, 7, 0); d.op = IT; return d;
            }
            switch (firstcond) {
            case 1: d.op = YIELD; return d;
            case 2: d.op = WFE; return d;
            case 3: d.op = WFI; return d;
            case 4: d.op = SEV; return d;
            default: d.op = NOP; return d;
            }
        }
        return udf(d);
    }
    if (opa == 0xC) {  // STM / LDM (T1)
        d.rn = r8; d.imm = bits(hw, 7, 0);
        if (d.imm == 0) return udf(d);
        if (!bit(hw, 11)) { d.flags = f::wback; d.op = STM; return d; }
        d.flags = (d.imm >> r8) & 1 ? 0 : f::wback;  // no writeback when Rn is in the list
        d.op = LDM;
        return d;
    }
    if (opa == 0xD) {  // A5.2.6 conditional branch, SVC, UDF
        const u32 cond = bits(hw, 11, 8);
        if (cond == 0xE) return udf(d);  // permanently undefined
        if (cond == 0xF) { d.imm = bits(hw, 7, 0); d.op = SVC; return d; }
        if (in_it_block(d.itstate)) return udf(d);
        d.cond = static_cast<u8>(cond);
        d.imm = pc4 + sign_extend(bits(hw, 7, 0) << 1, 9);
        d.op = B_COND;
        return d;
    }
    if (bits(hw, 15, 11) == 0x1C) {  // B T2
        d.imm = pc4 + sign_extend(bits(hw, 10, 0) << 1, 12);
        d.op = B;
        return d;
    }
    return udf(d);
}

// ---- 32-bit encodings (A5.3) ----------------------------------------------------------------

// A5.3.1 data processing (modified immediate)
DecodedInsn& dp_modified_imm(DecodedInsn& d, u32 hw1, u32 hw2) {
    const u32 op = bits(hw1, 8, 5), rn = bits(hw1, 3, 0), rd = bits(hw2, 11, 8);
    const bool s = bit(hw1, 4);
    const auto e = thumb_expand_imm_c((bit(hw1, 10) << 11) | (bits(hw2, 14, 12) << 8) | bits(hw2, 7, 0));
    d.rd = static_cast<u8>(rd); d.rn = static_cast<u8>(rn);
    const bool logical = op <= 4;
    if (logical) set_imm_carry(d, e); else d.imm = e.value;
    auto test_form = [&](Opcode t, Opcode normal) -> DecodedInsn& {
        if (rd == 15 && s) {
            if (rn == 15) return udf(d);
            d.op = t;
            return d;
        }
        if (rd == 13 && normal != ADD_I && normal != SUB_I) return udf(d);
        if (rd == 15 || rn == 15) return udf(d);
        d.op = dp(normal, kImm, s);
        return d;
    };
    switch (op) {
    case 0x0: return test_form(TST_I, AND_I);
    case 0x1: if (bad(rd) || rn == 15) return udf(d); d.op = dp(BIC_I, kImm, s); return d;
    case 0x2:
        if (bad(rd)) return udf(d);
        d.op = rn == 15 ? dp(MOV_I, kImm, s) : dp(ORR_I, kImm, s);
        return d;
    case 0x3:
        if (bad(rd)) return udf(d);
        d.op = rn == 15 ? dp(MVN_I, kImm, s) : dp(ORN_I, kImm, s);
        return d;
    case 0x4: return test_form(TEQ_I, EOR_I);
    case 0x8: return test_form(CMN_I, ADD_I);
    case 0xA: if (bad(rd) || bad(rn)) return udf(d); d.op = dp(ADC_I, kImm, s); return d;
    case 0xB: if (bad(rd) || bad(rn)) return udf(d); d.op = dp(SBC_I, kImm, s); return d;
    case 0xD: return test_form(CMP_I, SUB_I);
    case 0xE: if (bad(rd) || bad(rn)) return udf(d); d.op = dp(RSB_I, kImm, s); return d;
    default: return udf(d);
    }
}

// A5.3.3 data processing (plain binary immediate)
DecodedInsn& dp_plain_imm(DecodedInsn& d, u32 hw1, u32 hw2) {
    const u32 op = bits(hw1, 8, 4), rn = bits(hw1, 3, 0), rd = bits(hw2, 11, 8);
    const u32 imm12 = (bit(hw1, 10) << 11) | (bits(hw2, 14, 12) << 8) | bits(hw2, 7, 0);
    const u32 imm3_2 = (bits(hw2, 14, 12) << 2) | bits(hw2, 7, 6);
    d.rd = static_cast<u8>(rd); d.rn = static_cast<u8>(rn);
    if (rd == 15 || (rd == 13 && op != 0x00 && op != 0x0A)) return udf(d);
    switch (op) {
    case 0x00:  // ADDW / ADR T3
        if (rn == 15) { d.imm = align4(d.pc + 4) + imm12; d.op = MOV_I; return d; }
        d.imm = imm12; d.op = ADD_I; return d;
    case 0x0A:  // SUBW / ADR T2
        if (rn == 15) { d.imm = align4(d.pc + 4) - imm12; d.op = MOV_I; return d; }
        d.imm = imm12; d.op = SUB_I; return d;
    case 0x04: d.imm = (bits(hw1, 3, 0) << 12) | imm12; d.op = MOV_I; return d;  // MOVW
    case 0x0C: d.imm = (bits(hw1, 3, 0) << 12) | imm12; d.op = MOVT; return d;
    case 0x10: case 0x12:  // SSAT, SSAT16
        if (bad(rn)) return udf(d);
        if (op == 0x12 && imm3_2 == 0) { d.imm = bits(hw2, 3, 0) + 1; d.op = SSAT16; return d; }
        d.imm = bits(hw2, 4, 0) + 1;
        d.shift_type = bit(hw1, 5) ? kASR : kLSL;
        d.shift_n = static_cast<u8>((bit(hw1, 5) && imm3_2 == 0) ? 32 : imm3_2);
        d.op = SSAT;
        return d;
    case 0x18: case 0x1A:  // USAT, USAT16
        if (bad(rn)) return udf(d);
        if (op == 0x1A && imm3_2 == 0) { d.imm = bits(hw2, 3, 0); d.op = USAT16; return d; }
        d.imm = bits(hw2, 4, 0);
        d.shift_type = bit(hw1, 5) ? kASR : kLSL;
        d.shift_n = static_cast<u8>((bit(hw1, 5) && imm3_2 == 0) ? 32 : imm3_2);
        d.op = USAT;
        return d;
    case 0x14: case 0x1C:  // SBFX, UBFX: lsb in shift_n, width in imm
        if (bad(rn)) return udf(d);
        d.shift_n = static_cast<u8>(imm3_2);
        d.imm = bits(hw2, 4, 0) + 1;
        if (d.shift_n + d.imm > 32) return udf(d);
        d.op = op == 0x14 ? SBFX : UBFX;
        return d;
    case 0x16: {  // BFI, BFC: lsb in shift_n, msb in imm
        d.shift_n = static_cast<u8>(imm3_2);
        d.imm = bits(hw2, 4, 0);
        if (d.imm < d.shift_n) return udf(d);
        if (rn == 13) return udf(d);
        d.op = rn == 15 ? BFC : BFI;
        return d;
    }
    default: return udf(d);
    }
}

// A5.3.4 branches and miscellaneous control
DecodedInsn& branch_misc(DecodedInsn& d, u32 hw1, u32 hw2) {
    const u32 op1 = bits(hw2, 14, 12), op = bits(hw1, 10, 4);
    const u32 sgn = bit(hw1, 10), j1 = bit(hw2, 13), j2 = bit(hw2, 11);
    if ((op1 & 0x5) == 0x0) {
        if ((op & 0x38) != 0x38) {  // B T3 (conditional)
            if (in_it_block(d.itstate)) return udf(d);
            const u32 imm = (sgn << 20) | (j2 << 19) | (j1 << 18) | (bits(hw1, 5, 0) << 12) | (bits(hw2, 10, 0) << 1);
            d.cond = static_cast<u8>(bits(hw1, 9, 6));
            d.imm = d.pc + 4 + sign_extend(imm, 21);
            d.op = B_COND;
            return d;
        }
        if ((op >> 1) == 0x1C) {  // MSR (register)
            d.rn = static_cast<u8>(bits(hw1, 3, 0));
            d.imm = bits(hw2, 7, 0);
            d.shift_n = static_cast<u8>(bits(hw2, 11, 10));  // mask
            if (bad(d.rn)) return udf(d);
            d.op = MSR;
            return d;
        }
        if (op == 0x3A) {  // hints
            if (bits(hw2, 10, 8) != 0) return udf(d);
            switch (bits(hw2, 7, 0)) {
            case 0: d.op = NOP; return d;
            case 1: d.op = YIELD; return d;
            case 2: d.op = WFE; return d;
            case 3: d.op = WFI; return d;
            case 4: d.op = SEV; return d;
            default: d.op = NOP; return d;  // DBG and unallocated hints execute as NOP
            }
        }
        if (op == 0x3B) {  // miscellaneous control
            switch (bits(hw2, 7, 4)) {
            case 0x2: d.op = CLREX; return d;
            case 0x4: d.op = DSB; return d;
            case 0x5: d.op = DMB; return d;
            case 0x6: d.op = ISB; return d;
            default: return udf(d);
            }
        }
        if ((op >> 1) == 0x1F) {  // MRS
            d.rd = static_cast<u8>(bits(hw2, 11, 8));
            d.imm = bits(hw2, 7, 0);
            if (bad(d.rd)) return udf(d);
            d.op = MRS;
            return d;
        }
        return udf(d);  // includes UDF.W (op1 = 010, op = 1111111)
    }
    const u32 i1 = (~(j1 ^ sgn)) & 1, i2 = (~(j2 ^ sgn)) & 1;
    const u32 imm = (sgn << 24) | (i1 << 23) | (i2 << 22) | (bits(hw1, 9, 0) << 12) | (bits(hw2, 10, 0) << 1);
    const u32 target = d.pc + 4 + sign_extend(imm, 25);
    if ((op1 & 0x5) == 0x1) { d.imm = target; d.op = B; return d; }         // B T4
    if ((op1 & 0x5) == 0x5) { d.imm = target; d.op = BL; return d; }        // BL
    return udf(d);                                                           // BLX (imm): no ARM state
}

// A5.3.5 load/store multiple
DecodedInsn& ldm_stm(DecodedInsn& d, u32 hw1, u32 hw2) {
    const u32 op = bits(hw1, 8, 7);
    const bool load = bit(hw1, 4), w = bit(hw1, 5);
    d.rn = static_cast<u8>(bits(hw1, 3, 0));
    d.imm = hw2;
    if (op == 0 || op == 3 || d.rn == 15) return udf(d);
    if (bit(hw2, 13)) return udf(d);  // SP in the list
    if (std::popcount(d.imm) < 2 && !(d.rn == 13 && w)) return udf(d);
    d.flags = (op == 2 ? f::index : 0) | (w ? f::wback : 0);
    if (w && ((d.imm >> d.rn) & 1)) {
        if (!load) return udf(d);  // STM with the written-back base in the list
        d.flags &= static_cast<u8>(~f::wback);  // LDM loads it; UNPREDICTABLE, load wins
    }
    if (load) {
        if (bit(hw2, 15) && bit(hw2, 14)) return udf(d);  // PC and LR both loaded
        d.op = bit(hw2, 15) ? LDM_PC : LDM;
    } else {
        if (bit(hw2, 15)) return udf(d);
        d.op = STM;
    }
    return d;
}

// A5.3.6 load/store dual or exclusive, table branch
DecodedInsn& dual_exclusive(DecodedInsn& d, u32 hw1, u32 hw2) {
    const u32 op1 = bits(hw1, 8, 7), op2 = bits(hw1, 5, 4), op3 = bits(hw2, 7, 4);
    const u8 rn = static_cast<u8>(bits(hw1, 3, 0)), rt = static_cast<u8>(bits(hw2, 15, 12)),
             rt2 = static_cast<u8>(bits(hw2, 11, 8)), r0 = static_cast<u8>(bits(hw2, 3, 0));
    if (op1 == 0 && op2 == 0) {  // STREX Rd, Rt, [Rn, #imm]
        d.rd = rt2; d.ra = rt; d.rn = rn; d.imm = bits(hw2, 7, 0) * 4;
        if (bad(rt2) || bad(rt) || rn == 15 || rt2 == rn || rt2 == rt) return udf(d);
        d.op = STREX; return d;
    }
    if (op1 == 0 && op2 == 1) {  // LDREX Rt, [Rn, #imm]
        d.rd = rt; d.rn = rn; d.imm = bits(hw2, 7, 0) * 4;
        if (bad(rt) || rn == 15) return udf(d);
        d.op = LDREX; return d;
    }
    if ((op1 & 2) || (op2 & 2)) {  // LDRD / STRD (immediate, literal)
        const bool p = bit(hw1, 8), u = bit(hw1, 7), w = bit(hw1, 5), load = bit(hw1, 4);
        d.rd = rt; d.ra = rt2; d.rn = rn; d.imm = bits(hw2, 7, 0) * 4;
        d.flags = (p ? f::index : 0) | (u ? f::add : 0) | (w ? f::wback : 0);
        if (w && rn == 15) return udf(d);
        if (w && (rn == rt || rn == rt2)) return udf(d);
        if (load) {
            if (bad(rt) || bad(rt2) || rt == rt2) return udf(d);
            d.op = LDRD;
        } else {
            if (rn == 15 || bad(rt) || bad(rt2)) return udf(d);
            d.op = STRD;
        }
        if (rn == 15) {  // LDRD (literal): base is Align(PC, 4), resolved here
            d.rn = 16;
            d.imm = u ? align4(d.pc + 4) + d.imm : align4(d.pc + 4) - d.imm;
            d.flags = f::index | f::add;
        }
        return d;
    }
    if (op1 == 1 && op2 == 0) {  // STREXB / STREXH
        d.rd = r0; d.ra = rt; d.rn = rn;
        if (bad(r0) || bad(rt) || rn == 15 || r0 == rn || r0 == rt) return udf(d);
        if (op3 == 4) { d.op = STREXB; return d; }
        if (op3 == 5) { d.op = STREXH; return d; }
        return udf(d);
    }
    if (op1 == 1 && op2 == 1) {
        if (op3 == 0 || op3 == 1) {  // TBB / TBH
            if (bad(r0) || rn == 13) return udf(d);
            d.rn = rn; d.rm = r0;
            if (rn == 15) { d.rn = 16; d.imm = d.pc + 4; }
            d.op = op3 ? TBH : TBB;
            return d;
        }
        d.rd = rt; d.rn = rn;
        if (bad(rt) || rn == 15) return udf(d);
        if (op3 == 4) { d.op = LDREXB; return d; }
        if (op3 == 5) { d.op = LDREXH; return d; }
        return udf(d);
    }
    return udf(d);
}

// A5.3.11 data processing (shifted register)
DecodedInsn& dp_shifted_reg(DecodedInsn& d, u32 hw1, u32 hw2) {
    const u32 op = bits(hw1, 8, 5), rn = bits(hw1, 3, 0), rd = bits(hw2, 11, 8), rm = bits(hw2, 3, 0);
    const bool s = bit(hw1, 4);
    const u32 imm5 = (bits(hw2, 14, 12) << 2) | bits(hw2, 7, 6), type = bits(hw2, 5, 4);
    d.rd = static_cast<u8>(rd); d.rn = static_cast<u8>(rn); d.rm = static_cast<u8>(rm);
    const bool is_mov = op == 0x2 && rn == 15;
    if (rm == 15 || (rm == 13 && !is_mov && op != 0x8 && op != 0xD)) return udf(d);
    const Form form = reg_operand(d, type, imm5);
    auto test_form = [&](Opcode t, Opcode normal) -> DecodedInsn& {
        if (rd == 15 && s) {
            if (rn == 15) return udf(d);
            d.op = cmp(t, form);
            return d;
        }
        if (rd == 15 || rn == 15) return udf(d);
        if (rd == 13 && normal != ADD_I && normal != SUB_I) return udf(d);
        d.op = dp(normal, form, s);
        return d;
    };
    switch (op) {
    case 0x0: return test_form(TST_I, AND_I);
    case 0x1: if (bad(rd) || bad(rn)) return udf(d); d.op = dp(BIC_I, form, s); return d;
    case 0x2:  // ORR; MOV and the immediate shifts when Rn = 1111
        if (is_mov) {
            if (rd == 15 || (rd == 13 && (s || form != kReg || rm == 13))) return udf(d);
            d.op = dp(MOV_I, form, s);
            return d;
        }
        if (bad(rd) || rn == 13) return udf(d);
        d.op = dp(ORR_I, form, s);
        return d;
    case 0x3:
        if (bad(rd) || rn == 13) return udf(d);
        d.op = rn == 15 ? dp(MVN_I, form, s) : dp(ORN_I, form, s);
        return d;
    case 0x4: return test_form(TEQ_I, EOR_I);
    case 0x6:  // PKHBT / PKHTB
        if (s || bit(hw2, 4) || bad(rd) || bad(rn)) return udf(d);
        d.shift_n = static_cast<u8>(imm5);
        if (bit(hw2, 5) && imm5 == 0) d.shift_n = 32;
        d.op = bit(hw2, 5) ? PKHTB : PKHBT;
        return d;
    case 0x8: return test_form(CMN_I, ADD_I);
    case 0xA: if (bad(rd) || bad(rn)) return udf(d); d.op = dp(ADC_I, form, s); return d;
    case 0xB: if (bad(rd) || bad(rn)) return udf(d); d.op = dp(SBC_I, form, s); return d;
    case 0xD: return test_form(CMP_I, SUB_I);
    case 0xE: if (bad(rd) || bad(rn)) return udf(d); d.op = dp(RSB_I, form, s); return d;
    default: return udf(d);
    }
}

// A5.3.7-A5.3.10 single loads and stores (T2/T3/T4 encodings and literal forms)
DecodedInsn& load_store_single(DecodedInsn& d, u32 hw1, u32 hw2) {
    const u32 size = bits(hw1, 6, 5);  // 0 byte, 1 halfword, 2 word
    const bool load = bit(hw1, 4), sgn = bit(hw1, 8);
    const u8 rn = static_cast<u8>(bits(hw1, 3, 0)), rt = static_cast<u8>(bits(hw2, 15, 12));
    if (size == 3 || (!load && sgn) || (size == 2 && sgn)) return udf(d);
    static constexpr Opcode kLoads[2][3] = {{LDRB_I, LDRH_I, LDR_I}, {LDRSB_I, LDRSH_I, LDR_I}};
    static constexpr Opcode kStores[3] = {STRB_I, STRH_I, STR_I};
    static constexpr MemKind kKinds[2][3] = {{kMemByte, kMemHalf, kMemWord}, {kMemSByte, kMemSHalf, kMemWord}};
    const Opcode base = load ? kLoads[sgn][size] : kStores[size];
    d.rd = rt; d.rn = rn;
    const bool hint = load && rt == 15 && size != 2;  // PLD / PLI / unallocated hints: NOP
    const bool to_pc = load && rt == 15 && size == 2;
    if (!load && rn == 15) return udf(d);
    if (load && rn == 15) {  // literal
        const u32 imm12 = bits(hw2, 11, 0);
        d.imm = bit(hw1, 7) ? align4(d.pc + 4) + imm12 : align4(d.pc + 4) - imm12;
        if (hint) { d.op = NOP; return d; }
        if (to_pc) {
            d.rn = d.rm = 16;
            d.flags = f::index | f::add;
            d.shift_type = kMemWord;
            d.op = LDR_PC;
            return d;
        }
        d.op = mem(base, kLiteral);
        return d;
    }
    if (bit(hw1, 7)) {  // T2/T3: [Rn, #imm12]
        d.imm = bits(hw2, 11, 0);
        if (hint) { d.op = NOP; return d; }
        if (!load && rt == 15) return udf(d);
        if (to_pc) { d.flags = f::index | f::add; d.shift_type = kMemWord; d.rm = 16; d.op = LDR_PC; return d; }
        d.op = mem(base, kOffset);
        return d;
    }
    if (bits(hw2, 11, 6) == 0) {  // register offset, LSL #0-3
        d.rm = static_cast<u8>(bits(hw2, 3, 0));
        d.shift_n = static_cast<u8>(bits(hw2, 5, 4));
        if (bad(d.rm)) return udf(d);
        if (hint) { d.op = NOP; return d; }
        if (!load && rt == 15) return udf(d);
        if (to_pc) { d.flags = f::index | f::add; d.shift_type = kMemWord; d.op = LDR_PC; return d; }
        d.op = mem(base, kRegOffset);
        return d;
    }
    if (!bit(hw2, 11)) return udf(d);
    // T4: 1 P U W imm8
    const bool p = bit(hw2, 10), u = bit(hw2, 9), w = bit(hw2, 8);
    const u32 imm8 = bits(hw2, 7, 0);
    if (!p && !w) return udf(d);
    if (p && u && !w) {  // LDRT / STRT family: unprivileged
        if (bad(rt)) return udf(d);
        d.imm = imm8; d.shift_type = kKinds[sgn][size];
        d.flags = load ? f::x : 0;  // x = load
        d.op = MEM_UNPRIV;
        return d;
    }
    d.imm = u ? imm8 : static_cast<u32>(-static_cast<s32>(imm8));
    if (hint && p && !u && !w) { d.op = NOP; return d; }
    if (hint) return udf(d);
    if (!load && rt == 15) return udf(d);
    if (w && rn == rt) return udf(d);
    if (to_pc) {
        d.imm = imm8;
        d.flags = (p ? f::index : 0) | (u ? f::add : 0) | (w ? f::wback : 0);
        d.shift_type = kMemWord; d.rm = 16; d.op = LDR_PC;
        return d;
    }
    d.op = mem(base, !w ? kOffset : (p ? kPre : kPost));
    return d;
}

// A5.3.12-A5.3.15 data processing (register): shifts, extends, SIMD, miscellaneous
DecodedInsn& dp_register(DecodedInsn& d, u32 hw1, u32 hw2) {
    const u32 op1 = bits(hw1, 7, 4), op2 = bits(hw2, 7, 4);
    const u8 rn = static_cast<u8>(bits(hw1, 3, 0)), rd = static_cast<u8>(bits(hw2, 11, 8)),
             rm = static_cast<u8>(bits(hw2, 3, 0));
    d.rd = rd; d.rn = rn; d.rm = rm;
    if (bits(hw2, 15, 12) != 0xF) return udf(d);
    if (bad(rd) || bad(rm)) return udf(d);
    if ((op1 >> 3) == 0 && op2 == 0) {  // LSL/LSR/ASR/ROR (register)
        if (bad(rn)) return udf(d);
        d.shift_type = static_cast<u8>(bits(hw1, 6, 5));
        d.op = bit(hw1, 4) ? MOVS_RR : MOV_RR;
        return d;
    }
    if ((op1 >> 3) == 0 && (op2 >> 3) == 1) {  // extend (and add)
        static constexpr Opcode kPlain[6] = {SXTH, UXTH, SXTB16, UXTB16, SXTB, UXTB};
        static constexpr Opcode kAdd[6] = {SXTAH, UXTAH, SXTAB16, UXTAB16, SXTAB, UXTAB};
        if (op1 > 5) return udf(d);
        d.shift_n = static_cast<u8>(bits(hw2, 5, 4) * 8);
        if (rn == 15) { d.op = kPlain[op1]; return d; }
        if (rn == 13) return udf(d);
        d.op = kAdd[op1];
        return d;
    }
    if (bad(rn)) return udf(d);
    if ((op1 >> 3) == 1 && (op2 >> 3) == 0) {  // A5.3.13/14 parallel add/subtract
        const u32 kind = bits(hw1, 6, 4);   // ADD8 ADD16 ASX ... (op1[2:0])
        const u32 variant = bits(hw2, 6, 4); // bit 2: unsigned; [1:0]: plain / saturating / halving
        if ((variant & 3) == 3 || kind == 3 || kind == 7) return udf(d);
        d.imm = (variant << 3) | kind;
        d.op = PARALLEL;
        return d;
    }
    if ((op1 >> 2) == 2 && (op2 >> 2) == 2) {  // A5.3.15 miscellaneous operations
        const u32 a = bits(hw1, 5, 4), b = bits(hw2, 5, 4);
        // These take Rm in hw1[3:0] as well (it must equal hw2[3:0]) for REV/RBIT/CLZ.
        switch ((a << 2) | b) {
        case 0x0: d.op = QADD; return d;
        case 0x1: d.op = QDADD; return d;
        case 0x2: d.op = QSUB; return d;
        case 0x3: d.op = QDSUB; return d;
        case 0x4: d.op = REV; return d;
        case 0x5: d.op = REV16; return d;
        case 0x6: d.op = RBIT; return d;
        case 0x7: d.op = REVSH; return d;
        case 0x8: d.op = SEL; return d;
        case 0xC: d.op = CLZ; return d;
        default: return udf(d);
        }
    }
    return udf(d);
}

// A5.3.16 multiply, multiply accumulate, absolute difference
DecodedInsn& multiply(DecodedInsn& d, u32 hw1, u32 hw2) {
    const u32 op1 = bits(hw1, 6, 4), op2 = bits(hw2, 5, 4);
    const u8 rn = static_cast<u8>(bits(hw1, 3, 0)), ra = static_cast<u8>(bits(hw2, 15, 12)),
             rd = static_cast<u8>(bits(hw2, 11, 8)), rm = static_cast<u8>(bits(hw2, 3, 0));
    d.rn = rn; d.ra = ra; d.rd = rd; d.rm = rm;
    if (bits(hw2, 7, 6) != 0) return udf(d);
    if (bad(rd) || bad(rn) || bad(rm) || ra == 13) return udf(d);
    const bool acc = ra != 15;
    if (op2 & 1) d.flags |= insn_flag::x;
    if (op2 & 2) d.flags |= insn_flag::y;
    switch (op1) {
    case 0:
        if (op2 == 0) { d.op = acc ? MLA : MUL; return d; }
        if (op2 == 1 && acc) { d.op = MLS; return d; }
        return udf(d);
    case 1: d.op = acc ? SMLAXY : SMULXY; return d;       // x = M (top of Rm), y = N (top of Rn)
    case 2: if (op2 & 2) return udf(d); d.op = acc ? SMLAD : SMUAD; return d;
    case 3: if (op2 & 2) return udf(d); d.op = acc ? SMLAWY : SMULWY; return d;
    case 4: if (op2 & 2) return udf(d); d.op = acc ? SMLSD : SMUSD; return d;
    case 5: if (op2 & 2) return udf(d); d.op = acc ? SMMLA : SMMUL; return d;
    case 6: if ((op2 & 2) || !acc) return udf(d); d.op = SMMLS; return d;
    case 7: if (op2 != 0) return udf(d); d.op = acc ? USADA8 : USAD8; return d;
    default: return udf(d);
    }
}

// A5.3.17 long multiply, long multiply accumulate, divide
DecodedInsn& long_multiply(DecodedInsn& d, u32 hw1, u32 hw2) {
    const u32 op1 = bits(hw1, 6, 4), op2 = bits(hw2, 7, 4);
    const u8 rn = static_cast<u8>(bits(hw1, 3, 0)), rdlo = static_cast<u8>(bits(hw2, 15, 12)),
             rdhi = static_cast<u8>(bits(hw2, 11, 8)), rm = static_cast<u8>(bits(hw2, 3, 0));
    if (bad(rn) || bad(rm) || bad(rdhi)) return udf(d);
    d.rn = rn; d.rm = rm;
    if (op1 == 1 || op1 == 3) {  // SDIV / UDIV: Rd = hw2[11:8]
        if (op2 != 0xF || rdlo != 0xF) return udf(d);
        d.rd = rdhi;
        d.op = op1 == 1 ? SDIV : UDIV;
        return d;
    }
    if (bad(rdlo) || rdlo == rdhi) return udf(d);
    d.rd = rdlo; d.ra = rdhi;
    if (op2 & 1) d.flags |= insn_flag::x;
    if (op2 & 2) d.flags |= insn_flag::y;
    switch (op1) {
    case 0: if (op2) return udf(d); d.op = SMULL; return d;
    case 2: if (op2) return udf(d); d.op = UMULL; return d;
    case 4:
        if (op2 == 0) { d.op = SMLAL; return d; }
        if ((op2 >> 2) == 2) { d.op = SMLALXY; return d; }
        if ((op2 >> 1) == 6) { d.op = SMLALD; return d; }
        return udf(d);
    case 5: if ((op2 >> 1) == 6) { d.op = SMLSLD; return d; } return udf(d);
    case 6:
        if (op2 == 0) { d.op = UMLAL; return d; }
        if (op2 == 6) { d.op = UMAAL; return d; }
        return udf(d);
    default: return udf(d);
    }
}

// VFPExpandImm for single precision (A6.4.1 "Operation of modified immediate constants").
u32 vfp_expand_imm32(u32 imm8) {
    const u32 b6 = bit(imm8, 6);
    return (bit(imm8, 7) << 31) | ((b6 ^ 1) << 30) | ((b6 ? 0x1Fu : 0u) << 25) | (bits(imm8, 5, 0) << 19);
}

// A6 floating-point instructions (coprocessors 10 and 11)
DecodedInsn& floating_point(DecodedInsn& d, u32 hw1, u32 hw2) {
    namespace f = insn_flag;
    const u32 vd = bits(hw2, 15, 12), dbit = bit(hw1, 6);
    const u8 sd = static_cast<u8>((vd << 1) | dbit);
    const u8 sn = static_cast<u8>((bits(hw1, 3, 0) << 1) | bit(hw2, 7));
    const u8 sm = static_cast<u8>((bits(hw2, 3, 0) << 1) | bit(hw2, 5));
    const bool dbl = bit(hw2, 8);
    if (bit(hw1, 12)) return udf(d, cfsr::NOCP);  // the "2" coprocessor forms do not exist here

    if (bits(hw1, 11, 9) == 0x6) {  // A6.5 extension register load/store, A6.7 64-bit transfers
        const u32 opc = bits(hw1, 8, 4);
        const u8 rn = static_cast<u8>(bits(hw1, 3, 0));
        if ((opc & 0x1E) == 0x04) {  // VMOV between two core registers and two S / one D
            d.rd = static_cast<u8>(bits(hw2, 15, 12));  // Rt
            d.ra = static_cast<u8>(bits(hw1, 3, 0));    // Rt2
            d.rm = dbl ? static_cast<u8>(((bit(hw2, 5) << 4) | bits(hw2, 3, 0)) * 2) : sm;
            if (d.rm == 31 || bad(d.rd) || bad(d.ra)) return udf(d);
            if (dbl && d.rm >= 32) return udf(d);
            if (bit(hw1, 4)) { if (d.rd == d.ra) return udf(d); d.op = VMOV_FROM_2S; }
            else d.op = VMOV_TO_2S;
            return d;
        }
        const bool p = bit(hw1, 8), u = bit(hw1, 7), w = bit(hw1, 5), load = bit(hw1, 4);
        const u32 imm8 = bits(hw2, 7, 0);
        d.rn = rn;
        d.rd = dbl ? static_cast<u8>(((dbit << 4) | vd) * 2) : sd;
        if (dbl && d.rd >= 32) return udf(d);
        if (p && !w) {  // VLDR / VSTR
            d.imm = imm8 * 4;
            d.flags = (u ? f::add : 0) | (dbl ? f::dbl : 0);
            if (rn == 15) {
                if (!load) return udf(d);
                d.rn = 16;
                d.imm = u ? align4(d.pc + 4) + d.imm : align4(d.pc + 4) - d.imm;
                d.flags |= f::add;
            }
            d.op = load ? VLDR : VSTR;
            return d;
        }
        if (p == u) return udf(d);  // P=U=1 (with W) or P=U=0 outside the 64-bit transfer space
        if (p && !w) return udf(d);
        if (rn == 15) return udf(d);
        const u32 regs = dbl ? imm8 & ~1u : imm8;  // count of S registers
        if (regs == 0 || d.rd + regs > 32) return udf(d);
        d.imm = regs;
        d.flags = (p ? f::index : 0) | (w ? f::wback : 0) | (dbl ? f::dbl : 0);
        d.op = load ? VLDM : VSTM;
        return d;
    }
    if (bits(hw1, 11, 8) != 0xE) return udf(d, cfsr::NOCP);  // MCRR/LDC-like forms on CP10/11

    if (bit(hw2, 4)) {  // A6.6 8-, 16- and 32-bit transfers between core and extension registers
        const u32 l = bit(hw1, 4), c = bit(hw2, 8), a = bits(hw1, 7, 5);
        d.rd = static_cast<u8>(bits(hw2, 15, 12));  // Rt
        if (c == 0 && a == 0) {
            d.rn = sn;
            if (bad(d.rd)) return udf(d);
            d.op = l ? VMOV_FROM_S : VMOV_TO_S;
            return d;
        }
        if (c == 0 && a == 7) {
            if (bits(hw1, 3, 0) != 1) return udf(d);  // only FPSCR exists on M profile
            if (l) { d.op = VMRS; return d; }          // Rt = 15: APSR_nzcv
            if (bad(d.rd)) return udf(d);
            d.op = VMSR;
            return d;
        }
        if (c == 1 && (a & 4) == 0 && bits(hw2, 6, 5) == 0) {  // VMOV Dd[x], Rt / Rt, Dn[x]
            d.rn = static_cast<u8>(((bit(hw2, 7) << 4) | bits(hw1, 3, 0)) * 2 + bit(hw1, 5));
            if (bad(d.rd) || d.rn >= 32) return udf(d);
            d.op = l ? VMOV_FROM_S : VMOV_TO_S;
            return d;
        }
        return udf(d);
    }
    // A6.4 floating-point data processing
    const u32 opc1 = ((bit(hw1, 7) << 2) | bits(hw1, 5, 4)), opc2 = bits(hw1, 3, 0), opc3 = bits(hw2, 7, 6);
    d.rd = sd; d.rn = sn; d.rm = sm;
    if (dbl) return udf(d);  // FPv4-SP has no double-precision arithmetic
    const bool op = bit(hw2, 6);
    switch (opc1) {
    case 0: d.op = op ? VMLS : VMLA; return d;
    case 1: d.op = op ? VNMLA : VNMLS; return d;  // A6: op=0 is VNMLS, op=1 is VNMLA
    case 2: d.op = op ? VNMUL : VMUL; return d;
    case 3: d.op = op ? VSUB : VADD; return d;
    case 4: if (op) return udf(d); d.op = VDIV; return d;
    case 5: d.op = op ? VFNMA : VFNMS; return d;  // op=0: VFNMS, op=1: VFNMA
    case 6: d.op = op ? VFMS : VFMA; return d;
    default: break;
    }
    if ((opc3 & 1) == 0) {  // VMOV (immediate)
        if (bits(hw2, 7, 4) != 0) return udf(d);
        d.imm = vfp_expand_imm32((opc2 << 4) | bits(hw2, 3, 0));
        d.op = VMOV_IMM;
        return d;
    }
    const bool t = bit(hw2, 7);
    switch (opc2) {
    case 0x0: d.op = t ? VABS : VMOV_REG; return d;
    case 0x1: d.op = t ? VSQRT : VNEG; return d;
    case 0x2: case 0x3:  // VCVTB / VCVTT: x = to half, y = top half
        d.flags = (opc2 & 1 ? f::x : 0) | (t ? f::y : 0);
        d.op = VCVT_HALF;
        return d;
    case 0x4: case 0x5:
        d.flags = (t ? f::x : 0) | (opc2 == 5 ? f::y : 0);  // x = E, y = compare with zero
        if (opc2 == 5 && bits(hw2, 5, 0) != 0) return udf(d);
        d.op = VCMP;
        return d;
    case 0x8: d.flags = t ? f::x : 0; d.op = VCVT_FROM_INT; return d;  // x = signed
    case 0xC: case 0xD:  // x = signed, y = round towards zero
        d.flags = (opc2 == 0xD ? f::x : 0) | (t ? f::y : 0);
        d.op = VCVT_TO_INT;
        return d;
    case 0xA: case 0xB: case 0xE: case 0xF: {  // fixed point: in place on Sd
        const u32 size = t ? 32 : 16;
        const u32 imm = (bits(hw2, 3, 0) << 1) | bit(hw2, 5);
        if (imm > size) return udf(d);
        d.imm = size - imm;              // fraction bits
        d.shift_n = static_cast<u8>(size);
        d.flags = (bit(hw1, 0) ? 0 : f::x) | (bit(hw1, 2) ? f::y : 0);  // x = signed, y = to fixed
        d.op = VCVT_FIXED;
        return d;
    }
    default: return udf(d);
    }
}

DecodedInsn& decode32(DecodedInsn& d, u32 hw1, u32 hw2) {
    const u32 op1 = bits(hw1, 12, 11), op2 = bits(hw1, 10, 4);
    if (op1 == 1) {
        if ((op2 & 0x64) == 0x00) return ldm_stm(d, hw1, hw2);
        if ((op2 & 0x64) == 0x04) return dual_exclusive(d, hw1, hw2);
        if ((op2 & 0x60) == 0x20) return dp_shifted_reg(d, hw1, hw2);
        if ((bits(hw2, 11, 9)) == 0x5) return floating_point(d, hw1, hw2);
        return udf(d, cfsr::NOCP);
    }
    if (op1 == 2) {
        if (bit(hw2, 15)) return branch_misc(d, hw1, hw2);
        if (bit(hw1, 9)) return dp_plain_imm(d, hw1, hw2);
        return dp_modified_imm(d, hw1, hw2);
    }
    // op1 == 3
    if ((op2 & 0x71) == 0x00 || (op2 & 0x67) == 0x01 || (op2 & 0x67) == 0x03 || (op2 & 0x67) == 0x05)
        return load_store_single(d, hw1, hw2);
    if ((op2 & 0x70) == 0x20) return dp_register(d, hw1, hw2);
    if ((op2 & 0x78) == 0x30) return multiply(d, hw1, hw2);
    if ((op2 & 0x78) == 0x38) return long_multiply(d, hw1, hw2);
    if (op2 & 0x40) {
        if ((bits(hw2, 11, 9)) == 0x5) return floating_point(d, hw1, hw2);
        return udf(d, cfsr::NOCP);
    }
    return udf(d);
}

}  // namespace

DecodedInsn decode_thumb(u16 hw1, u16 hw2, u32 pc, u32 itstate) {
    DecodedInsn d;
    d.pc = pc;
    d.itstate = static_cast<u8>(itstate);
    if (in_it_block(itstate)) d.cond = static_cast<u8>(itstate >> 4);
    if (is_32bit_thumb(hw1)) {
        d.size = 4;
        d.raw = (u32{hw1} << 16) | hw2;
        decode32(d, hw1, hw2);
    } else {
        d.size = 2;
        d.raw = hw1;
        decode16(d, hw1);
    }
    // Branches that end an IT block take the IT condition (B T2/T4, BX, BL ...); B<c> carries
    // its own. An instruction other than the last in an IT block must not write the PC.
    if (in_it_block(itstate) && !last_in_it_block(itstate) && writes_pc(d.op)) udf(d);
    // Load/store multiple keep the register count beside the list (shift_n is unused there).
    if (d.op == LDM || d.op == LDM_PC || d.op == STM) d.shift_n = static_cast<u8>(std::popcount(d.imm));
    return d;
}

namespace {
struct OpcodeInfo {
    std::string_view name;
    TimingClass cls;
    bool ends;
};
constexpr OpcodeInfo kInfo[] = {
#define SVP_OPCODE(name, cls, ends) {#name, TimingClass::cls, ends != 0},
#include "models/cpu/armv7m/opcodes.def"
#undef SVP_OPCODE
};
}  // namespace

std::string_view opcode_name(Opcode op) { return kInfo[static_cast<unsigned>(op)].name; }
TimingClass timing_class(Opcode op) { return kInfo[static_cast<unsigned>(op)].cls; }
bool ends_block(Opcode op) { return kInfo[static_cast<unsigned>(op)].ends; }

}  // namespace svp::armv7m

namespace svp::armv7m {
bool writes_pc(Opcode op) {
    switch (op) {
    case Opcode::B: case Opcode::BL: case Opcode::BX: case Opcode::BLX: case Opcode::CBZ:
    case Opcode::CBNZ: case Opcode::TBB: case Opcode::TBH: case Opcode::BR_ADD: case Opcode::BR_MOV:
    case Opcode::LDR_PC: case Opcode::LDM_PC:
        return true;
    default:
        return false;
    }
}
}  // namespace svp::armv7m

#include "models/cpu/armv7m/timing.h"

#include <bit>
#include <iterator>

namespace svp::armv7m {

CycleTable CycleTable::cortex_m4() {
    CycleTable t;
    auto set = [&](TimingClass c, unsigned cycles, unsigned refills, bool per_reg, const char* what) {
        t.rows[static_cast<unsigned>(c)] = {cycles, refills, per_reg, what};
    };
    using C = TimingClass;
    //  class              cycles  +P  +N    TRM table 3-1 row
    set(C::alu,             1,     0, false, "MOV/ADD/SUB/logic/shift/extend/bit-field/saturate: 1");
    set(C::alu_pc,          1,     1, false, "MOV PC, Rm / ADD PC, PC, Rm: 1 + P");
    set(C::mul,             1,     0, false, "MUL/MLA/MLS, long and DSP multiplies: 1");
    set(C::div,             2,     0, false, "SDIV/UDIV: 2 to 12 (early termination, see divide_cycles)");
    set(C::load,            2,     0, false, "LDR/LDRB/LDRH/LDRSB/LDRSH/LDRT: 2");
    set(C::load_pc,         2,     1, false, "LDR PC, [Rn, <op2>]: 2 + P");
    set(C::store,           2,     0, false, "STR/STRB/STRH/STRT: 2");
    set(C::load_dual,       1,     0, true,  "LDRD: 1 + N (N = 2)");
    set(C::store_dual,      1,     0, true,  "STRD: 1 + N (N = 2)");
    set(C::ldm,             1,     0, true,  "LDM/POP: 1 + N");
    set(C::ldm_pc,          1,     1, true,  "LDM/POP including PC: 1 + N + P");
    set(C::stm,             1,     0, true,  "STM/PUSH: 1 + N");
    set(C::exclusive,       2,     0, false, "LDREX/STREX (B/H): 2");
    set(C::branch,          1,     1, false, "B/BL/BX/BLX: 1 + P");
    set(C::branch_cond,     1,     0, false, "B<cond>/CBZ/CBNZ: 1, or 1 + P when taken");
    set(C::table_branch,    2,     1, false, "TBB/TBH: 2 + P");
    set(C::hint,            1,     0, false, "NOP/YIELD/SEV/CLREX/IT: 1");
    set(C::sleep,           1,     0, false, "WFI/WFE: 1 + W (W: the core sleeps)");
    set(C::barrier,         1,     0, false, "DMB/DSB: 1 + B (B = 0 here: no write buffer modelled)");
    set(C::isb,             1,     1, false, "ISB: 1 + B (B = a pipeline refill)");
    set(C::system,          1,     0, false, "MRS/MSR/CPS: 1 or 2");
    set(C::exception,       1,     0, false, "SVC/BKPT/UDF: the exception entry is counted separately");
    set(C::fp_alu,          1,     0, false, "VADD/VSUB/VMUL/VNMUL/VABS/VNEG/VCMP/VCVT/VMOV: 1 (TRM table 7-1)");
    set(C::fp_mac,          3,     0, false, "VMLA/VMLS/VNMLA/VNMLS/VFMA/VFMS/VFNMA/VFNMS: 3");
    set(C::fp_div,          14,    0, false, "VDIV/VSQRT: 14");
    set(C::fp_load,         2,     0, false, "VLDR: 2 (+1 for a doubleword)");
    set(C::fp_store,        2,     0, false, "VSTR: 2 (+1 for a doubleword)");
    set(C::fp_ldm,          1,     0, true,  "VLDM/VPOP: 1 + N");
    set(C::fp_stm,          1,     0, true,  "VSTM/VPUSH: 1 + N");
    set(C::fp_move,         1,     0, false, "VMOV core<->S, VMRS, VMSR: 1");
    set(C::fp_move2,        2,     0, false, "VMOV two core registers <-> two S / one D: 2");
    set(C::none,            0,     0, false, "internal operation, not an instruction");
    return t;
}

namespace {
constexpr std::string_view kClassNames[] = {
    "alu", "alu_pc", "mul", "div", "load", "load_pc", "store", "load_dual", "store_dual", "ldm", "ldm_pc", "stm",
    "exclusive", "branch", "branch_cond", "table_branch", "hint", "sleep", "barrier", "isb", "system", "exception",
    "fp_alu", "fp_mac", "fp_div", "fp_load", "fp_store", "fp_ldm", "fp_stm", "fp_move", "fp_move2", "none"};
static_assert(std::size(kClassNames) == static_cast<unsigned>(TimingClass::count_));
}  // namespace

std::string_view CycleTable::class_name(TimingClass c) { return kClassNames[static_cast<unsigned>(c)]; }

bool CycleTable::set(std::string_view name, unsigned cycles) {
    for (unsigned i = 0; i < std::size(kClassNames); ++i)
        if (kClassNames[i] == name) {
            rows[i].cycles = cycles;
            return true;
        }
    return false;
}

unsigned CycleTable::divide_cycles(u32 n, u32 d) {
    if (d == 0 || n < d) return 2;
    const unsigned quotient_bits = static_cast<unsigned>(std::countl_zero(d) - std::countl_zero(n)) + 1;
    const unsigned c = 2 + (quotient_bits + 3) / 4;
    return c > 12 ? 12 : c;
}

unsigned CycleTable::static_cycles(const DecodedInsn& d) const {
    const auto cls = timing_class(d.op);
    const Row& r = row(cls);
    unsigned c = r.cycles + r.refills * refill;
    if (r.per_register) {
        switch (cls) {
        case TimingClass::load_dual:
        case TimingClass::store_dual: c += 2; break;
        case TimingClass::fp_ldm:
        case TimingClass::fp_stm: c += d.imm; break;  // imm = count of S registers
        default: c += static_cast<unsigned>(std::popcount(d.imm)); break;
        }
    }
    if ((cls == TimingClass::fp_load || cls == TimingClass::fp_store) && (d.flags & insn_flag::dbl)) c += 1;
    return c;
}

}  // namespace svp::armv7m

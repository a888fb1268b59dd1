// The executor: runs decoded blocks with direct threading (GCC's labels-as-values), so each
// instruction costs one indirect jump and its own few host instructions. Per instruction there
// is no virtual call, no SystemC call, and no cycle bookkeeping: a block adds its instruction
// and cycle totals when it ends, and only dynamic costs (wait states, taken conditional
// branches, divides) are added as they happen. Memory goes through up to kFastSlots direct
// regions inline; everything else takes the out-of-line slow path (core.cpp).
//
// Semantics follow the ARM ARM pseudocode of each instruction (A7.7.x); helper names are the
// pseudocode's (arch.h, dsp.h).
#include <bit>
#include <cstring>

#include "models/cpu/armv7m/cortex_m4.h"
#include "models/cpu/armv7m/dsp.h"
#include "models/cpu/armv7m/fpu.h"

namespace svp::armv7m {

namespace {
inline u32 add_flags(ArchState& s, u32 a, u32 b, u32 carry) {
    const u64 wide = u64{a} + b + carry;
    const u32 r = static_cast<u32>(wide);
    s.cf = static_cast<u32>(wide >> 32);
    s.vf = (a ^ r) & (b ^ r);
    s.nf = s.zf = r;
    return r;
}
inline s32 lo16(u32 v) { return static_cast<int16_t>(v & 0xFFFF); }
inline s32 hi16(u32 v) { return static_cast<int16_t>(v >> 16); }
inline u32 sx8(u32 v) { return static_cast<u32>(static_cast<s32>(static_cast<int8_t>(v & 0xFF))); }
inline u32 sx16(u32 v) { return static_cast<u32>(static_cast<s32>(static_cast<int16_t>(v & 0xFFFF))); }
inline u32 rev16(u32 v) { return ((v & 0x00FF00FFu) << 8) | ((v >> 8) & 0x00FF00FFu); }
inline bool fits_s32(s64 v) { return v >= INT32_MIN && v <= INT32_MAX; }
}  // namespace

// Fast-path memory access; the slow path records a fault and returns false.
#define SVP_LOAD(T, addr, out)                                                                    \
    ({                                                                                            \
        bool ok_ = false;                                                                         \
        const u32 a_ = (addr);                                                                    \
        for (unsigned i_ = 0; i_ < kFastSlots; ++i_) {                                            \
            const FastRegion& r_ = fast_read_[i_];                                                \
            if (u64{a_ - r_.base} + sizeof(T) <= r_.size) {                                       \
                T t_;                                                                             \
                std::memcpy(&t_, r_.host + (a_ - r_.base), sizeof(T));                            \
                (out) = t_;                                                                       \
                cycles_ += r_.wait;                                                               \
                ok_ = true;                                                                       \
                break;                                                                            \
            }                                                                                     \
        }                                                                                         \
        if (!ok_) {                                                                               \
            u32 v_ = 0;                                                                           \
            now_ = cycles_ + ip->cycles_before;                                                   \
            ok_ = read_slow(a_, sizeof(T), v_);                                                   \
            (out) = static_cast<T>(v_);                                                           \
        }                                                                                         \
        ok_;                                                                                      \
    })

#define SVP_STORE(T, addr, value)                                                                 \
    ({                                                                                            \
        bool ok_ = false;                                                                         \
        const u32 a_ = (addr);                                                                    \
        const T v_ = static_cast<T>(value);                                                       \
        for (unsigned i_ = 0; i_ < kFastSlots; ++i_) {                                            \
            const FastRegion& r_ = fast_write_[i_];                                               \
            if (u64{a_ - r_.base} + sizeof(T) <= r_.size) {                                       \
                const u32 off_ = a_ - r_.base;                                                    \
                std::memcpy(r_.host + off_, &v_, sizeof(T));                                      \
                cycles_ += r_.wait;                                                               \
                if (r_.code_map[off_ >> 10] | r_.code_map[(off_ + sizeof(T) - 1) >> 10])          \
                    note_code_write(a_, sizeof(T));                                               \
                ok_ = true;                                                                       \
                break;                                                                            \
            }                                                                                     \
        }                                                                                         \
        if (!ok_) {                                                                               \
            now_ = cycles_ + ip->cycles_before;                                                   \
            ok_ = write_slow(a_, sizeof(T), static_cast<u32>(v_));                                \
        }                                                                                         \
        ok_;                                                                                      \
    })

void CortexM4::execute_blocks() {
    static const void* const kLabels[] = {
#define SVP_OPCODE(name, cls, ends) &&L_##name,
#include "models/cpu/armv7m/opcodes.def"
#undef SVP_OPCODE
    };
    static_assert(sizeof(kLabels) / sizeof(kLabels[0]) == kOpcodeCount);

    // Conditional execution, one handler per condition so that the test is inline (no switch):
    // B<c> and the IT-covered form of every other instruction (A7.3.1).
#define SVP_FOR_EACH_COND(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)
#define SVP_LABEL_BCOND(c) &&L_BCOND_##c,
#define SVP_LABEL_COND(c) &&L_COND_##c,
    static const void* const kBcond[14] = {SVP_FOR_EACH_COND(SVP_LABEL_BCOND)};
    static const void* const kCond[14] = {SVP_FOR_EACH_COND(SVP_LABEL_COND)};
#undef SVP_LABEL_BCOND
#undef SVP_LABEL_COND

    u32* const R = s_.r;
    Block* b = nullptr;
    const DecodedInsn* ip = nullptr;

#define NEXT                  \
    do {                      \
        ++ip;                 \
        goto* ip->handler;    \
    } while (0)
// Leave the block after the instruction at ip (which completed), continuing at `target`.
#define EXIT_TO(target)                          \
    do {                                         \
        R[15] = (target);                        \
        s_.itstate = it_advance(ip->itstate);    \
        goto block_done;                         \
    } while (0)
#define FAULT goto fault_exit
// After a store: leave the block when the bus write asked for it (end_block_after_access).
#define NEXT_STORE                                                  \
    do {                                                            \
        if (__builtin_expect(end_block_after_access_, 0)) goto store_exit; \
        NEXT;                                                       \
    } while (0)

    end_block_after_access_ = false;  // asked for outside a store (exception stacking): moot
    while (cycles_ < stop_cycle_) {
        {
            const u32 pc = R[15];
            if (__builtin_expect(s_.itstate != 0 || single_insn_blocks_ || slow_step_pending_ || skip_hooks_once_ ||
                                     (mpu_ctrl_ & 1), 0)) {
              if (s_.itstate != 0 || single_insn_blocks_ || slow_step_pending_ || skip_hooks_once_) {
                if (!scratch_block_) scratch_block_ = std::make_unique<Block>();
                const bool one = single_insn_blocks_ || slow_step_pending_ || skip_hooks_once_;
                build_block(*scratch_block_, pc, s_.itstate, one ? 1 : config_.max_block_insns,
                            !(skip_hooks_once_ || slow_step_pending_));
                skip_hooks_once_ = false;
                b = scratch_block_.get();
              } else {
                b = lookup_[(pc >> 1) & (kLookupSize - 1)];
                if (b == nullptr || b->start != pc) b = block_at(pc);
              }
                // With the MPU on, decoded code may be executable at one privilege and not at
                // another: check the block against the current privilege each time it is entered.
                if ((mpu_ctrl_ & 1) && mpu_active() &&
                    (!mpu_check(b->start, false, true, s_.privileged()) ||
                     !mpu_check(b->end > b->start ? b->end - 1 : b->start, false, true, s_.privileged()))) {
                    fault_ = {true, kMemManage, cfsr::IACCVIOL, 0, false, false};
                    take_pending_fault(pc);
                    continue;
                }
            } else {
                b = lookup_[(pc >> 1) & (kLookupSize - 1)];
                if (__builtin_expect(b == nullptr || b->start != pc, 0)) b = block_at(pc);
            }
            if (__builtin_expect(!b->prepared, 0)) {
                for (auto& op : b->ops) {
                    if (op.op == Opcode::B_COND) op.handler = op.cond < 14 ? kBcond[op.cond] : kLabels[static_cast<unsigned>(Opcode::B)];
                    else if (op.cond < 14) op.handler = kCond[op.cond];
                    else op.handler = kLabels[static_cast<unsigned>(op.op)];
                }
                b->prepared = true;
            }
            if (__builtin_expect(static_cast<bool>(trace_), 0) && b->ops[0].op != Opcode::HOOK) trace_(b->ops[0], *this);
            ip = b->ops.data();
            goto* ip->handler;
        }

    block_done:
        instructions_ += b->insns;
        cycles_ += b->cycles;
        if (__builtin_expect(slow_step_pending_, 0)) {
            slow_step_pending_ = false;
            injector_.load_corruption_armed = false;
            refresh_fast_regions();
        }
        if (__builtin_expect(fault_.raised, 0)) take_pending_fault(R[15]);
        continue;

    partial_exit:  // leave before the instruction at ip (not executed)
        instructions_ += ip->insns_before;
        cycles_ += ip->cycles_before;
        R[15] = ip->pc;
        s_.itstate = ip->itstate;
        continue;

    store_exit:  // leave after the store at ip (completed): its bus write may move an interrupt line
        end_block_after_access_ = false;
        instructions_ += ip->insns_before + 1;
        cycles_ += ip->cycles_before + ip->cycles;
        R[15] = ip->pc + ip->size;
        s_.itstate = it_advance(ip->itstate);
        continue;

    fault_exit:  // the instruction at ip raised a synchronous fault
        instructions_ += ip->insns_before;
        cycles_ += ip->cycles_before;
        R[15] = ip->pc;
        s_.itstate = ip->itstate;
        if (fault_.debug) { fault_ = PendingFault{}; stop_cycle_ = 0; continue; }
        take_pending_fault(ip->pc);
        if (slow_step_pending_) {
            slow_step_pending_ = false;
            injector_.load_corruption_armed = false;
            refresh_fast_regions();
        }
        continue;

// The condition of each code, on the flag representation of ArchState (N = nf<31>,
// Z = (zf == 0), C = cf, V = vf<31>).
#define SVP_COND_0 (s_.zf == 0)
#define SVP_COND_1 (s_.zf != 0)
#define SVP_COND_2 (s_.cf != 0)
#define SVP_COND_3 (s_.cf == 0)
#define SVP_COND_4 (static_cast<s32>(s_.nf) < 0)
#define SVP_COND_5 (static_cast<s32>(s_.nf) >= 0)
#define SVP_COND_6 (static_cast<s32>(s_.vf) < 0)
#define SVP_COND_7 (static_cast<s32>(s_.vf) >= 0)
#define SVP_COND_8 (s_.cf != 0 && s_.zf != 0)
#define SVP_COND_9 (s_.cf == 0 || s_.zf == 0)
#define SVP_COND_10 (static_cast<s32>(s_.nf ^ s_.vf) >= 0)
#define SVP_COND_11 (static_cast<s32>(s_.nf ^ s_.vf) < 0)
#define SVP_COND_12 (static_cast<s32>(s_.nf ^ s_.vf) >= 0 && s_.zf != 0)
#define SVP_COND_13 (static_cast<s32>(s_.nf ^ s_.vf) < 0 || s_.zf == 0)
// An IT-covered instruction: run it, or skip it at the cost of one cycle.
#define SVP_COND_HANDLER(c)                                                  \
    L_COND_##c:                                                              \
        if (SVP_COND_##c) goto* kLabels[static_cast<unsigned>(ip->op)];      \
        cycles_ -= ip->cycles - 1u;                                          \
        NEXT;
// B<c>: 1 cycle, plus a pipeline refill when taken.
#define SVP_BCOND_HANDLER(c)                                                 \
    L_BCOND_##c:                                                             \
        if (SVP_COND_##c) {                                                  \
            cycles_ += config_.cycles.refill;                                \
            EXIT_TO(ip->imm);                                                \
        }                                                                    \
        EXIT_TO(ip->pc + ip->size);
    SVP_FOR_EACH_COND(SVP_COND_HANDLER)
    SVP_FOR_EACH_COND(SVP_BCOND_HANDLER)
#undef SVP_COND_HANDLER
#undef SVP_BCOND_HANDLER

// ---- data processing -------------------------------------------------------------------------
#define SVP_LOGIC(N, EXPR)                                                                         \
    L_##N##_I : { const u32 a = R[ip->rn], b2 = ip->imm; R[ip->rd] = (EXPR); NEXT; }               \
    L_##N##S_I : {                                                                                 \
        const u32 a = R[ip->rn], b2 = ip->imm; const u32 r = (EXPR);                               \
        R[ip->rd] = r; s_.nf = s_.zf = r;                                                          \
        if (ip->flags & insn_flag::carry_valid) s_.cf = (ip->flags & insn_flag::carry_value) ? 1 : 0; \
        NEXT; }                                                                                    \
    L_##N##_R : { const u32 a = R[ip->rn], b2 = R[ip->rm]; R[ip->rd] = (EXPR); NEXT; }             \
    L_##N##S_R : { const u32 a = R[ip->rn], b2 = R[ip->rm]; const u32 r = (EXPR);                  \
        R[ip->rd] = r; s_.nf = s_.zf = r; NEXT; }                                                  \
    L_##N##_RS : { const u32 a = R[ip->rn]; const u32 b2 = shift(R[ip->rm], ip->shift_type, ip->shift_n, s_.cf); \
        R[ip->rd] = (EXPR); NEXT; }                                                                \
    L_##N##S_RS : { const u32 a = R[ip->rn]; const auto sh = shift_c(R[ip->rm], ip->shift_type, ip->shift_n, s_.cf); \
        const u32 b2 = sh.value; const u32 r = (EXPR); R[ip->rd] = r; s_.nf = s_.zf = r; s_.cf = sh.carry; NEXT; }

    SVP_LOGIC(AND, a & b2)
    SVP_LOGIC(ORR, a | b2)
    SVP_LOGIC(EOR, a ^ b2)
    SVP_LOGIC(BIC, a & ~b2)
    SVP_LOGIC(ORN, a | ~b2)
    SVP_LOGIC(MOV, ((void)a, b2))
    SVP_LOGIC(MVN, ((void)a, ~b2))
#undef SVP_LOGIC

// Arithmetic: the flag forms use AddWithCarry(x, y, carry) (A2.2.1).
#define SVP_ARITH(N, PLAIN, X, Y, C)                                                               \
    L_##N##_I : { const u32 a = R[ip->rn], b2 = ip->imm; R[ip->rd] = (PLAIN); NEXT; }              \
    L_##N##S_I : { const u32 a = R[ip->rn], b2 = ip->imm; R[ip->rd] = add_flags(s_, X, Y, C); NEXT; } \
    L_##N##_R : { const u32 a = R[ip->rn], b2 = R[ip->rm]; R[ip->rd] = (PLAIN); NEXT; }            \
    L_##N##S_R : { const u32 a = R[ip->rn], b2 = R[ip->rm]; R[ip->rd] = add_flags(s_, X, Y, C); NEXT; } \
    L_##N##_RS : { const u32 a = R[ip->rn]; const u32 b2 = shift(R[ip->rm], ip->shift_type, ip->shift_n, s_.cf); \
        R[ip->rd] = (PLAIN); NEXT; }                                                               \
    L_##N##S_RS : { const u32 a = R[ip->rn]; const u32 b2 = shift(R[ip->rm], ip->shift_type, ip->shift_n, s_.cf); \
        R[ip->rd] = add_flags(s_, X, Y, C); NEXT; }

    SVP_ARITH(ADD, a + b2, a, b2, 0)
    SVP_ARITH(ADC, a + b2 + s_.cf, a, b2, s_.cf)
    SVP_ARITH(SUB, a - b2, a, ~b2, 1)
    SVP_ARITH(SBC, a - b2 - (1 - s_.cf), a, ~b2, s_.cf)
    SVP_ARITH(RSB, b2 - a, ~a, b2, 1)
#undef SVP_ARITH

#define SVP_TEST(N, LOGICAL, X, Y, C, EXPR)                                                        \
    L_##N##_I : { const u32 a = R[ip->rn], b2 = ip->imm;                                           \
        if (LOGICAL) { const u32 r = (EXPR); s_.nf = s_.zf = r;                                    \
            if (ip->flags & insn_flag::carry_valid) s_.cf = (ip->flags & insn_flag::carry_value) ? 1 : 0; } \
        else add_flags(s_, X, Y, C);                                                               \
        NEXT; }                                                                                    \
    L_##N##_R : { const u32 a = R[ip->rn], b2 = R[ip->rm];                                         \
        if (LOGICAL) { const u32 r = (EXPR); s_.nf = s_.zf = r; } else add_flags(s_, X, Y, C);    \
        NEXT; }                                                                                    \
    L_##N##_RS : { const u32 a = R[ip->rn]; const auto sh = shift_c(R[ip->rm], ip->shift_type, ip->shift_n, s_.cf); \
        const u32 b2 = sh.value;                                                                   \
        if (LOGICAL) { const u32 r = (EXPR); s_.nf = s_.zf = r; s_.cf = sh.carry; } else add_flags(s_, X, Y, C); \
        NEXT; }

    SVP_TEST(TST, true, 0u, 0u, 0u, a & b2)
    SVP_TEST(TEQ, true, 0u, 0u, 0u, a ^ b2)
    SVP_TEST(CMP, false, a, ~b2, 1u, 0u)
    SVP_TEST(CMN, false, a, b2, 0u, 0u)
#undef SVP_TEST

    L_MOV_RR: R[ip->rd] = shift(R[ip->rn], ip->shift_type, R[ip->rm] & 0xFF, s_.cf); NEXT;
    L_MOVS_RR: {
        const auto sh = shift_c(R[ip->rn], ip->shift_type, R[ip->rm] & 0xFF, s_.cf);
        R[ip->rd] = sh.value;
        s_.nf = s_.zf = sh.value;
        s_.cf = sh.carry;
        NEXT;
    }
    L_MOVT: R[ip->rd] = (R[ip->rd] & 0xFFFFu) | (ip->imm << 16); NEXT;

// ---- multiply and divide ---------------------------------------------------------------------
    L_MUL: R[ip->rd] = R[ip->rn] * R[ip->rm]; NEXT;
    L_MULS: { const u32 r = R[ip->rn] * R[ip->rm]; R[ip->rd] = r; s_.nf = s_.zf = r; NEXT; }
    L_MLA: R[ip->rd] = R[ip->rn] * R[ip->rm] + R[ip->ra]; NEXT;
    L_MLS: R[ip->rd] = R[ip->ra] - R[ip->rn] * R[ip->rm]; NEXT;
    L_UMULL: { const u64 p = u64{R[ip->rn]} * R[ip->rm]; R[ip->rd] = static_cast<u32>(p); R[ip->ra] = static_cast<u32>(p >> 32); NEXT; }
    L_SMULL: {
        const s64 p = s64{static_cast<s32>(R[ip->rn])} * static_cast<s32>(R[ip->rm]);
        R[ip->rd] = static_cast<u32>(p); R[ip->ra] = static_cast<u32>(static_cast<u64>(p) >> 32); NEXT;
    }
    L_UMLAL: {
        const u64 p = u64{R[ip->rn]} * R[ip->rm] + ((u64{R[ip->ra]} << 32) | R[ip->rd]);
        R[ip->rd] = static_cast<u32>(p); R[ip->ra] = static_cast<u32>(p >> 32); NEXT;
    }
    L_SMLAL: {  // modulo 2^64, in unsigned arithmetic (signed overflow would be undefined in C++)
        const u64 p = static_cast<u64>(s64{static_cast<s32>(R[ip->rn])} * static_cast<s32>(R[ip->rm])) +
                      ((u64{R[ip->ra]} << 32) | R[ip->rd]);
        R[ip->rd] = static_cast<u32>(p); R[ip->ra] = static_cast<u32>(p >> 32); NEXT;
    }
    L_UMAAL: {
        const u64 p = u64{R[ip->rn]} * R[ip->rm] + R[ip->ra] + R[ip->rd];
        R[ip->rd] = static_cast<u32>(p); R[ip->ra] = static_cast<u32>(p >> 32); NEXT;
    }
    L_SDIV: {
        const s32 n = static_cast<s32>(R[ip->rn]), d = static_cast<s32>(R[ip->rm]);
        if (d == 0) {
            if (div0_trap()) { fault_ = {true, kUsageFault, cfsr::DIVBYZERO, 0, false, false}; FAULT; }
            R[ip->rd] = 0;
        } else if (n == INT32_MIN && d == -1) {
            R[ip->rd] = static_cast<u32>(INT32_MIN);  // the overflow case returns the dividend
        } else {
            R[ip->rd] = static_cast<u32>(n / d);
        }
        cycles_ += CycleTable::divide_cycles(n < 0 ? 0u - static_cast<u32>(n) : static_cast<u32>(n),
                                             d < 0 ? 0u - static_cast<u32>(d) : static_cast<u32>(d)) - 2;
        NEXT;
    }
    L_UDIV: {
        const u32 n = R[ip->rn], d = R[ip->rm];
        if (d == 0) {
            if (div0_trap()) { fault_ = {true, kUsageFault, cfsr::DIVBYZERO, 0, false, false}; FAULT; }
            R[ip->rd] = 0;
        } else {
            R[ip->rd] = n / d;
        }
        cycles_ += CycleTable::divide_cycles(n, d) - 2;
        NEXT;
    }

// ---- DSP multiplies (A7.7: SMULxy, SMLAxy, SMULWy, SMLAD, SMMUL ...) ---------------------------
// flags: x = top half of Rm (M bit) / exchange / round; y = top half of Rn (N bit)
    L_SMULXY: {
        const s32 a = (ip->flags & insn_flag::y) ? hi16(R[ip->rn]) : lo16(R[ip->rn]);
        const s32 c = (ip->flags & insn_flag::x) ? hi16(R[ip->rm]) : lo16(R[ip->rm]);
        R[ip->rd] = static_cast<u32>(a * c);
        NEXT;
    }
    L_SMLAXY: {
        const s32 a = (ip->flags & insn_flag::y) ? hi16(R[ip->rn]) : lo16(R[ip->rn]);
        const s32 c = (ip->flags & insn_flag::x) ? hi16(R[ip->rm]) : lo16(R[ip->rm]);
        const s64 r = s64{a * c} + static_cast<s32>(R[ip->ra]);
        R[ip->rd] = static_cast<u32>(r);
        if (!fits_s32(r)) s_.qf = 1;
        NEXT;
    }
    L_SMULWY: {
        const s32 c = (ip->flags & insn_flag::x) ? hi16(R[ip->rm]) : lo16(R[ip->rm]);
        R[ip->rd] = static_cast<u32>((s64{static_cast<s32>(R[ip->rn])} * c) >> 16);
        NEXT;
    }
    L_SMLAWY: {
        const s32 c = (ip->flags & insn_flag::x) ? hi16(R[ip->rm]) : lo16(R[ip->rm]);
        const s64 r = ((s64{static_cast<s32>(R[ip->rn])} * c) >> 16) + static_cast<s32>(R[ip->ra]);
        R[ip->rd] = static_cast<u32>(r);
        if (!fits_s32(r)) s_.qf = 1;
        NEXT;
    }
    L_SMLALXY: {
        const s32 a = (ip->flags & insn_flag::y) ? hi16(R[ip->rn]) : lo16(R[ip->rn]);
        const s32 c = (ip->flags & insn_flag::x) ? hi16(R[ip->rm]) : lo16(R[ip->rm]);
        const u64 r = ((u64{R[ip->ra]} << 32) | R[ip->rd]) + static_cast<u64>(s64{a * c});
        R[ip->rd] = static_cast<u32>(r); R[ip->ra] = static_cast<u32>(r >> 32);
        NEXT;
    }
#define SVP_DUAL_PRODUCTS                                                                        \
    const u32 m_ = (ip->flags & insn_flag::x) ? ror(R[ip->rm], 16) : R[ip->rm];                   \
    const s64 p1 = s64{lo16(R[ip->rn])} * lo16(m_);                                               \
    const s64 p2 = s64{hi16(R[ip->rn])} * hi16(m_);
    L_SMUAD: { SVP_DUAL_PRODUCTS const s64 r = p1 + p2; R[ip->rd] = static_cast<u32>(r); if (!fits_s32(r)) s_.qf = 1; NEXT; }
    L_SMLAD: { SVP_DUAL_PRODUCTS const s64 r = p1 + p2 + static_cast<s32>(R[ip->ra]); R[ip->rd] = static_cast<u32>(r); if (!fits_s32(r)) s_.qf = 1; NEXT; }
    L_SMUSD: { SVP_DUAL_PRODUCTS R[ip->rd] = static_cast<u32>(p1 - p2); NEXT; }
    L_SMLSD: { SVP_DUAL_PRODUCTS const s64 r = p1 - p2 + static_cast<s32>(R[ip->ra]); R[ip->rd] = static_cast<u32>(r); if (!fits_s32(r)) s_.qf = 1; NEXT; }
    L_SMLALD: { SVP_DUAL_PRODUCTS
        const u64 r = ((u64{R[ip->ra]} << 32) | R[ip->rd]) + static_cast<u64>(p1 + p2);
        R[ip->rd] = static_cast<u32>(r); R[ip->ra] = static_cast<u32>(r >> 32); NEXT; }
    L_SMLSLD: { SVP_DUAL_PRODUCTS
        const u64 r = ((u64{R[ip->ra]} << 32) | R[ip->rd]) + static_cast<u64>(p1 - p2);
        R[ip->rd] = static_cast<u32>(r); R[ip->ra] = static_cast<u32>(r >> 32); NEXT; }
#undef SVP_DUAL_PRODUCTS
    L_SMMUL: {
        s64 r = s64{static_cast<s32>(R[ip->rn])} * static_cast<s32>(R[ip->rm]);
        if (ip->flags & insn_flag::x) r += 0x80000000LL;
        R[ip->rd] = static_cast<u32>(static_cast<u64>(r) >> 32);
        NEXT;
    }
    // SMMLA/SMMLS: bits 63:32 of (Ra:0 +/- Rn*Rm [+ 0x80000000]), computed modulo 2^64.
    L_SMMLA: {
        u64 r = (u64{R[ip->ra]} << 32) + static_cast<u64>(s64{static_cast<s32>(R[ip->rn])} * static_cast<s32>(R[ip->rm]));
        if (ip->flags & insn_flag::x) r += 0x80000000ull;
        R[ip->rd] = static_cast<u32>(r >> 32);
        NEXT;
    }
    L_SMMLS: {
        u64 r = (u64{R[ip->ra]} << 32) - static_cast<u64>(s64{static_cast<s32>(R[ip->rn])} * static_cast<s32>(R[ip->rm]));
        if (ip->flags & insn_flag::x) r += 0x80000000ull;
        R[ip->rd] = static_cast<u32>(r >> 32);
        NEXT;
    }
    L_USAD8: L_USADA8: {
        u32 sum = ip->op == Opcode::USADA8 ? R[ip->ra] : 0;
        for (unsigned i = 0; i < 4; ++i) {
            const s32 x = static_cast<s32>((R[ip->rn] >> (8 * i)) & 0xFF), y = static_cast<s32>((R[ip->rm] >> (8 * i)) & 0xFF);
            sum += static_cast<u32>(x > y ? x - y : y - x);
        }
        R[ip->rd] = sum;
        NEXT;
    }

// ---- bit manipulation, extension, saturation -------------------------------------------------
    L_CLZ: R[ip->rd] = static_cast<u32>(std::countl_zero(R[ip->rm])); NEXT;
    L_RBIT: {
        u32 v = R[ip->rm], r = 0;
        for (unsigned i = 0; i < 32; ++i) { r = (r << 1) | (v & 1); v >>= 1; }
        R[ip->rd] = r;
        NEXT;
    }
    L_REV: R[ip->rd] = __builtin_bswap32(R[ip->rm]); NEXT;
    L_REV16: R[ip->rd] = rev16(R[ip->rm]); NEXT;
    L_REVSH: R[ip->rd] = sx16(((R[ip->rm] & 0xFF) << 8) | ((R[ip->rm] >> 8) & 0xFF)); NEXT;
    L_SXTB: R[ip->rd] = sx8(ror(R[ip->rm], ip->shift_n)); NEXT;
    L_SXTH: R[ip->rd] = sx16(ror(R[ip->rm], ip->shift_n)); NEXT;
    L_UXTB: R[ip->rd] = ror(R[ip->rm], ip->shift_n) & 0xFF; NEXT;
    L_UXTH: R[ip->rd] = ror(R[ip->rm], ip->shift_n) & 0xFFFF; NEXT;
    L_SXTB16: { const u32 v = ror(R[ip->rm], ip->shift_n); R[ip->rd] = (sx8(v) & 0xFFFF) | (sx8(v >> 16) << 16); NEXT; }
    L_UXTB16: R[ip->rd] = ror(R[ip->rm], ip->shift_n) & 0x00FF00FFu; NEXT;
    L_SXTAB: R[ip->rd] = R[ip->rn] + sx8(ror(R[ip->rm], ip->shift_n)); NEXT;
    L_SXTAH: R[ip->rd] = R[ip->rn] + sx16(ror(R[ip->rm], ip->shift_n)); NEXT;
    L_UXTAB: R[ip->rd] = R[ip->rn] + (ror(R[ip->rm], ip->shift_n) & 0xFF); NEXT;
    L_UXTAH: R[ip->rd] = R[ip->rn] + (ror(R[ip->rm], ip->shift_n) & 0xFFFF); NEXT;
    L_SXTAB16: {
        const u32 v = ror(R[ip->rm], ip->shift_n), n = R[ip->rn];
        R[ip->rd] = ((n + sx8(v)) & 0xFFFF) | (((n >> 16) + sx8(v >> 16)) << 16);
        NEXT;
    }
    L_UXTAB16: {
        const u32 v = ror(R[ip->rm], ip->shift_n), n = R[ip->rn];
        R[ip->rd] = ((n + (v & 0xFF)) & 0xFFFF) | (((n >> 16) + ((v >> 16) & 0xFF)) << 16);
        NEXT;
    }
    L_SEL: {
        u32 r = 0;
        for (unsigned i = 0; i < 4; ++i)
            r |= (((s_.ge >> i) & 1) ? R[ip->rn] : R[ip->rm]) & (0xFFu << (8 * i));
        R[ip->rd] = r;
        NEXT;
    }
    L_PKHBT: R[ip->rd] = (R[ip->rn] & 0xFFFF) | (shift(R[ip->rm], kLSL, ip->shift_n, 0) & 0xFFFF0000u); NEXT;
    L_PKHTB: R[ip->rd] = (shift(R[ip->rm], kASR, ip->shift_n, 0) & 0xFFFF) | (R[ip->rn] & 0xFFFF0000u); NEXT;
    L_SSAT: {
        const u32 v = shift(R[ip->rn], ip->shift_type, ip->shift_n, s_.cf);
        bool sat = false;
        R[ip->rd] = static_cast<u32>(signed_sat_q(static_cast<s32>(v), ip->imm, sat));
        if (sat) s_.qf = 1;
        NEXT;
    }
    L_USAT: {
        const u32 v = shift(R[ip->rn], ip->shift_type, ip->shift_n, s_.cf);
        bool sat = false;
        R[ip->rd] = unsigned_sat_q(static_cast<s32>(v), ip->imm, sat);
        if (sat) s_.qf = 1;
        NEXT;
    }
    L_SSAT16: {
        bool sat = false;
        const u32 lo = static_cast<u32>(signed_sat_q(lo16(R[ip->rn]), ip->imm, sat)) & 0xFFFF;
        const u32 hi = static_cast<u32>(signed_sat_q(hi16(R[ip->rn]), ip->imm, sat)) & 0xFFFF;
        R[ip->rd] = lo | (hi << 16);
        if (sat) s_.qf = 1;
        NEXT;
    }
    L_USAT16: {
        bool sat = false;
        const u32 lo = unsigned_sat_q(lo16(R[ip->rn]), ip->imm, sat);
        const u32 hi = unsigned_sat_q(hi16(R[ip->rn]), ip->imm, sat);
        R[ip->rd] = (lo & 0xFFFF) | (hi << 16);
        if (sat) s_.qf = 1;
        NEXT;
    }
    L_QADD: { bool sat = false; R[ip->rd] = static_cast<u32>(signed_sat_q(s64{static_cast<s32>(R[ip->rm])} + static_cast<s32>(R[ip->rn]), 32, sat)); if (sat) s_.qf = 1; NEXT; }
    L_QSUB: { bool sat = false; R[ip->rd] = static_cast<u32>(signed_sat_q(s64{static_cast<s32>(R[ip->rm])} - static_cast<s32>(R[ip->rn]), 32, sat)); if (sat) s_.qf = 1; NEXT; }
    L_QDADD: {
        bool sat = false;
        const s32 d = signed_sat_q(2 * s64{static_cast<s32>(R[ip->rn])}, 32, sat);
        R[ip->rd] = static_cast<u32>(signed_sat_q(s64{static_cast<s32>(R[ip->rm])} + d, 32, sat));
        if (sat) s_.qf = 1;
        NEXT;
    }
    L_QDSUB: {
        bool sat = false;
        const s32 d = signed_sat_q(2 * s64{static_cast<s32>(R[ip->rn])}, 32, sat);
        R[ip->rd] = static_cast<u32>(signed_sat_q(s64{static_cast<s32>(R[ip->rm])} - d, 32, sat));
        if (sat) s_.qf = 1;
        NEXT;
    }
    L_PARALLEL: {
        u32 ge = s_.ge;
        R[ip->rd] = parallel_add_sub(ip->imm, R[ip->rn], R[ip->rm], ge);
        s_.ge = ge;
        NEXT;
    }
    L_BFI: {
        const u32 lsb = ip->shift_n, msb = ip->imm;
        const u32 mask = (msb - lsb == 31) ? 0xFFFFFFFFu : (((1u << (msb - lsb + 1)) - 1u) << lsb);
        R[ip->rd] = (R[ip->rd] & ~mask) | ((R[ip->rn] << lsb) & mask);
        NEXT;
    }
    L_BFC: {
        const u32 lsb = ip->shift_n, msb = ip->imm;
        const u32 mask = (msb - lsb == 31) ? 0xFFFFFFFFu : (((1u << (msb - lsb + 1)) - 1u) << lsb);
        R[ip->rd] &= ~mask;
        NEXT;
    }
    L_SBFX: R[ip->rd] = sign_extend(R[ip->rn] >> ip->shift_n, ip->imm); NEXT;
    L_UBFX: R[ip->rd] = (R[ip->rn] >> ip->shift_n) & (ip->imm == 32 ? 0xFFFFFFFFu : ((1u << ip->imm) - 1u)); NEXT;

// ---- single loads and stores -----------------------------------------------------------------
#define SVP_LOAD_FORMS(N, T, EXT)                                                                  \
    L_##N##_I : { T v; if (!SVP_LOAD(T, R[ip->rn] + ip->imm, v)) FAULT; R[ip->rd] = EXT(v); NEXT; } \
    L_##N##_R : { T v; if (!SVP_LOAD(T, R[ip->rn] + (R[ip->rm] << ip->shift_n), v)) FAULT; R[ip->rd] = EXT(v); NEXT; } \
    L_##N##_PRE : { const u32 addr = R[ip->rn] + ip->imm; T v; if (!SVP_LOAD(T, addr, v)) FAULT;   \
        R[ip->rn] = addr; R[ip->rd] = EXT(v); NEXT; }                                              \
    L_##N##_POST : { const u32 addr = R[ip->rn]; T v; if (!SVP_LOAD(T, addr, v)) FAULT;            \
        R[ip->rn] = addr + ip->imm; R[ip->rd] = EXT(v); NEXT; }                                    \
    L_##N##_LIT : { T v; if (!SVP_LOAD(T, ip->imm, v)) FAULT; R[ip->rd] = EXT(v); NEXT; }
#define SVP_STORE_FORMS(N, T)                                                                      \
    L_##N##_I : { if (!SVP_STORE(T, R[ip->rn] + ip->imm, R[ip->rd])) FAULT; NEXT_STORE; }               \
    L_##N##_R : { if (!SVP_STORE(T, R[ip->rn] + (R[ip->rm] << ip->shift_n), R[ip->rd])) FAULT; NEXT_STORE; } \
    L_##N##_PRE : { const u32 addr = R[ip->rn] + ip->imm; if (!SVP_STORE(T, addr, R[ip->rd])) FAULT; \
        R[ip->rn] = addr; NEXT_STORE; }                                                                  \
    L_##N##_POST : { const u32 addr = R[ip->rn]; if (!SVP_STORE(T, addr, R[ip->rd])) FAULT;       \
        R[ip->rn] = addr + ip->imm; NEXT_STORE; }                                                        \
    L_##N##_LIT : { goto L_UDF; }
#define SVP_U32(v) static_cast<u32>(v)
#define SVP_S8(v) static_cast<u32>(static_cast<s32>(v))
    SVP_LOAD_FORMS(LDR, u32, SVP_U32)
    SVP_LOAD_FORMS(LDRB, u8, SVP_U32)
    SVP_LOAD_FORMS(LDRH, u16, SVP_U32)
    SVP_LOAD_FORMS(LDRSB, int8_t, SVP_S8)
    SVP_LOAD_FORMS(LDRSH, int16_t, SVP_S8)
    SVP_STORE_FORMS(STR, u32)
    SVP_STORE_FORMS(STRB, u8)
    SVP_STORE_FORMS(STRH, u16)
#undef SVP_LOAD_FORMS
#undef SVP_STORE_FORMS

    L_MEM_UNPRIV: {  // LDRT / STRT family: checked as an unprivileged access
        const u32 addr = R[ip->rn] + ip->imm;
        static constexpr unsigned kSize[] = {4, 1, 2, 1, 2};
        const unsigned size = kSize[ip->shift_type];
        now_ = cycles_ + ip->cycles_before;
        if (ip->flags & insn_flag::x) {
            u32 v = 0;
            if (!read_slow(addr, size, v, true)) FAULT;
            if (ip->shift_type == kMemSByte) v = sx8(v);
            if (ip->shift_type == kMemSHalf) v = sx16(v);
            R[ip->rd] = v;
        } else if (!write_slow(addr, size, R[ip->rd], true)) {
            FAULT;
        }
        NEXT;
    }
    L_LDR_PC: {  // LoadWritePC: interworking branch, exception return in Handler mode
        const u32 base = ip->rn == 16 ? 0 : R[ip->rn];
        const u32 offset = ip->rm == 16 ? ip->imm : (R[ip->rm] << ip->shift_n);
        const bool add = ip->flags & insn_flag::add;
        const u32 offset_addr = add ? base + offset : base - offset;
        const u32 addr = (ip->flags & insn_flag::index) ? offset_addr : base;
        u32 v = 0;
        if (!SVP_LOAD(u32, addr, v)) FAULT;
        if (ip->flags & insn_flag::wback) R[ip->rn] = offset_addr;
        R[15] = ip->pc;
        s_.itstate = 0;
        instructions_ += b->insns;
        cycles_ += b->cycles;
        bx_write_pc(v);
        goto after_pc_write;
    }
    L_LDRD: L_STRD: {
        const u32 base = ip->rn == 16 ? 0 : R[ip->rn];
        const bool add = ip->flags & insn_flag::add;
        const u32 offset_addr = add ? base + ip->imm : base - ip->imm;
        const u32 addr = (ip->flags & insn_flag::index) ? offset_addr : base;
        if (addr & 3) { fault_ = {true, kUsageFault, cfsr::UNALIGNED, 0, false, false}; FAULT; }
        if (ip->op == Opcode::LDRD) {
            u32 v1 = 0, v2 = 0;
            if (!SVP_LOAD(u32, addr, v1) || !SVP_LOAD(u32, addr + 4, v2)) FAULT;
            R[ip->rd] = v1;
            R[ip->ra] = v2;
        } else {
            if (!SVP_STORE(u32, addr, R[ip->rd]) || !SVP_STORE(u32, addr + 4, R[ip->ra])) FAULT;
        }
        if (ip->flags & insn_flag::wback) R[ip->rn] = offset_addr;
        NEXT_STORE;
    }
    L_LDM: L_LDM_PC: {
        const u32 list = ip->imm;
        const u32 n = ip->shift_n;  // registers in the list, counted at decode
        const bool db = ip->flags & insn_flag::index;
        const u32 base = R[ip->rn];
        u32 addr = db ? base - 4 * n : base;
        if (addr & 3) { fault_ = {true, kUsageFault, cfsr::UNALIGNED, 0, false, false}; FAULT; }
        u32 values[16];
        for (unsigned i = 0; i < 16; ++i) {
            if (!(list & (1u << i))) continue;
            if (!SVP_LOAD(u32, addr, values[i])) FAULT;
            addr += 4;
        }
        if (ip->flags & insn_flag::wback) R[ip->rn] = db ? base - 4 * n : base + 4 * n;
        for (unsigned i = 0; i < 15; ++i)
            if (list & (1u << i)) R[i] = values[i];
        if (ip->op == Opcode::LDM) NEXT;
        R[15] = ip->pc;
        s_.itstate = 0;
        instructions_ += b->insns;
        cycles_ += b->cycles;
        bx_write_pc(values[15]);
        goto after_pc_write;
    }
    L_STM: {
        const u32 list = ip->imm;
        const u32 n = ip->shift_n;
        const bool db = ip->flags & insn_flag::index;
        const u32 base = R[ip->rn];
        u32 addr = db ? base - 4 * n : base;
        if (addr & 3) { fault_ = {true, kUsageFault, cfsr::UNALIGNED, 0, false, false}; FAULT; }
        for (unsigned i = 0; i < 15; ++i) {
            if (!(list & (1u << i))) continue;
            if (!SVP_STORE(u32, addr, R[i])) FAULT;
            addr += 4;
        }
        if (ip->flags & insn_flag::wback) R[ip->rn] = db ? base - 4 * n : base + 4 * n;
        NEXT_STORE;
    }
    L_LDREX: L_LDREXB: L_LDREXH: {
        const u32 addr = R[ip->rn] + ip->imm;
        const unsigned size = ip->op == Opcode::LDREX ? 4 : ip->op == Opcode::LDREXH ? 2 : 1;
        if (addr & (size - 1)) { fault_ = {true, kUsageFault, cfsr::UNALIGNED, 0, false, false}; FAULT; }
        u32 v = 0;
        if (size == 4) { if (!SVP_LOAD(u32, addr, v)) FAULT; }
        else if (size == 2) { u16 h = 0; if (!SVP_LOAD(u16, addr, h)) FAULT; v = h; }
        else { u8 c = 0; if (!SVP_LOAD(u8, addr, c)) FAULT; v = c; }
        R[ip->rd] = v;
        excl_valid_ = true;  // the local exclusive monitor (A3.4.1)
        excl_addr_ = addr;
        NEXT;
    }
    L_STREX: L_STREXB: L_STREXH: {
        const u32 addr = R[ip->rn] + ip->imm;
        const unsigned size = ip->op == Opcode::STREX ? 4 : ip->op == Opcode::STREXH ? 2 : 1;
        if (addr & (size - 1)) { fault_ = {true, kUsageFault, cfsr::UNALIGNED, 0, false, false}; FAULT; }
        if (excl_valid_ && excl_addr_ == addr) {
            bool ok;
            if (size == 4) ok = SVP_STORE(u32, addr, R[ip->ra]);
            else if (size == 2) ok = SVP_STORE(u16, addr, R[ip->ra]);
            else ok = SVP_STORE(u8, addr, R[ip->ra]);
            if (!ok) FAULT;
            R[ip->rd] = 0;
        } else {
            R[ip->rd] = 1;
        }
        excl_valid_ = false;
        NEXT;
    }
    L_CLREX: excl_valid_ = false; NEXT;

// ---- branches ---------------------------------------------------------------------------------
    L_B: EXIT_TO(ip->imm);
    L_B_COND:  // B<c> with condition AL/NV never reaches here (prepared as B); kept for the table
        EXIT_TO(ip->imm);
    L_BL: R[14] = (ip->pc + ip->size) | 1u; EXIT_TO(ip->imm);
    L_CBZ:
        if (R[ip->rn] == 0) { cycles_ += config_.cycles.refill; EXIT_TO(ip->imm); }
        EXIT_TO(ip->pc + 2);
    L_CBNZ:
        if (R[ip->rn] != 0) { cycles_ += config_.cycles.refill; EXIT_TO(ip->imm); }
        EXIT_TO(ip->pc + 2);
    L_TBB: {
        const u32 base = ip->rn == 16 ? ip->imm : R[ip->rn];
        u8 off = 0;
        if (!SVP_LOAD(u8, base + R[ip->rm], off)) FAULT;
        EXIT_TO(ip->pc + 4 + 2u * off);
    }
    L_TBH: {
        const u32 base = ip->rn == 16 ? ip->imm : R[ip->rn];
        u16 off = 0;
        if (!SVP_LOAD(u16, base + (R[ip->rm] << 1), off)) FAULT;
        EXIT_TO(ip->pc + 4 + 2u * off);
    }
    L_BR_ADD: EXIT_TO((ip->imm + R[ip->rm]) & ~1u);
    L_BR_MOV: EXIT_TO(R[ip->rm] & ~1u);
    L_BX: L_BLX: {
        const u32 target = R[ip->rm];
        if (ip->op == Opcode::BLX) R[14] = (ip->pc + 2) | 1u;
        R[15] = ip->pc;
        s_.itstate = 0;
        instructions_ += b->insns;
        cycles_ += b->cycles;
        bx_write_pc(target);
        goto after_pc_write;
    }

    after_pc_write:  // a BX-style write: the block's totals are already counted
        if (__builtin_expect(fault_.raised, 0)) {
            // INVSTATE / INVPC: taken with the return address the write produced.
            take_pending_fault(R[15]);
        }
        continue;

// ---- system -----------------------------------------------------------------------------------
    L_NOP: L_IT: L_YIELD: L_DMB: NEXT;
    L_SEV: event_register_ = true; NEXT;
    L_DSB: L_ISB: EXIT_TO(ip->pc + ip->size);
    L_WFI:
        sleep_is_wfe_ = false;
        if (!interrupt_would_wake()) sleeping_ = true;
        stop_cycle_ = 0;
        EXIT_TO(ip->pc + ip->size);
    L_WFE:
        sleep_is_wfe_ = true;
        if (event_register_) event_register_ = false;
        else if (!interrupt_would_wake()) sleeping_ = true;
        stop_cycle_ = 0;
        EXIT_TO(ip->pc + ip->size);
    L_MRS: now_ = cycles_ + ip->cycles_before; R[ip->rd] = mrs(ip->imm); NEXT;
    L_MSR: msr(ip->imm, ip->shift_n, R[ip->rn]); EXIT_TO(ip->pc + ip->size);
    L_CPS: cps(ip->imm != 0, ip->shift_n); EXIT_TO(ip->pc + ip->size);
    L_SVC: {
        // SVCall is synchronous: taken now, or escalated to HardFault when it cannot be.
        instructions_ += ip->insns_before + 1;
        cycles_ += ip->cycles_before + ip->cycles;
        R[15] = ip->pc + ip->size;
        s_.itstate = it_advance(ip->itstate);
        if (exception_priority(kSvCall) >= execution_priority()) {
            hfsr_ |= 1u << 30;
            if (execution_priority() <= -1) { lockup("SVC while the execution priority is HardFault or higher"); continue; }
            take_exception(kHardFault, R[15]);
        } else {
            take_exception(kSvCall, R[15]);
        }
        continue;
    }
    L_BKPT: {
        if (ip->imm == 0xAB && config_.semihosting) {
            instructions_ += ip->insns_before + 1;
            cycles_ += ip->cycles_before + ip->cycles;
            R[15] = ip->pc + ip->size;
            s_.itstate = it_advance(ip->itstate);
            now_ = cycles_;
            semihosting_call();
            continue;
        }
        // No halting debugger: a BKPT escalates to HardFault with HFSR.DEBUGEVT (C1.5).
        dfsr_ |= 1u << 1;
        fault_ = {true, kHardFault, 1u << 31, 0, false, false};
        fault_.status = 0;
        hfsr_ |= 1u << 31;
        FAULT;
    }
    L_UDF:
        fault_ = {true, kUsageFault, ip->imm, 0, false, false};
        FAULT;

// ---- floating point (fpu.cpp) ------------------------------------------------------------------
    L_VADD: L_VSUB: L_VMUL: L_VNMUL: L_VDIV: L_VSQRT: L_VMLA: L_VMLS: L_VNMLA: L_VNMLS: L_VFMA: L_VFMS:
    L_VFNMA: L_VFNMS: L_VABS: L_VNEG: L_VMOV_IMM: L_VMOV_REG: L_VCMP: L_VCVT_FROM_INT: L_VCVT_TO_INT:
    L_VCVT_FIXED: L_VCVT_HALF: L_VMOV_TO_S: L_VMOV_FROM_S: L_VMOV_TO_2S: L_VMOV_FROM_2S: L_VMRS: L_VMSR:
        if (!fp_check()) FAULT;
        fp_execute(s_, *ip);
        NEXT;
    L_VLDR: L_VSTR: L_VLDM: L_VSTM: {
        if (!fp_check()) FAULT;
        const u32 base = ip->rn == 16 ? 0 : R[ip->rn];
        const bool load = ip->op == Opcode::VLDR || ip->op == Opcode::VLDM;
        u32 addr;
        u32 count;
        if (ip->op == Opcode::VLDR || ip->op == Opcode::VSTR) {
            addr = (ip->flags & insn_flag::add) ? base + ip->imm : base - ip->imm;
            count = (ip->flags & insn_flag::dbl) ? 2 : 1;
        } else {
            count = ip->imm;
            addr = (ip->flags & insn_flag::index) ? base - 4 * count : base;
        }
        if (addr & 3) { fault_ = {true, kUsageFault, cfsr::UNALIGNED, 0, false, false}; FAULT; }
        for (u32 i = 0; i < count; ++i) {
            if (load) { u32 v = 0; if (!SVP_LOAD(u32, addr + 4 * i, v)) FAULT; s_.s[ip->rd + i] = v; }
            else if (!SVP_STORE(u32, addr + 4 * i, s_.s[ip->rd + i])) FAULT;
        }
        if ((ip->op == Opcode::VLDM || ip->op == Opcode::VSTM) && (ip->flags & insn_flag::wback))
            R[ip->rn] = (ip->flags & insn_flag::index) ? base - 4 * count : base + 4 * count;
        NEXT;
    }

// ---- internal operations ---------------------------------------------------------------------
    L_END:
        R[15] = ip->pc;
        s_.itstate = ip->itstate;
        goto block_done;
    L_FETCH_FAULT:
        fault_ = {true, ip->imm == cfsr::IACCVIOL ? kMemManage : kBusFault, ip->imm, 0, false, false};
        FAULT;
    L_HOOK:
        switch (run_hooks(*ip)) {
        case HookAction::proceed: NEXT;
        case HookAction::stop: stop_cycle_ = 0; goto partial_exit;
        case HookAction::slow_step:
            slow_step_pending_ = true;
            refresh_fast_regions();
            goto partial_exit;
        case HookAction::skip: {
            const DecodedInsn* skipped = ip + 1;
            instructions_ += skipped->insns_before;
            cycles_ += skipped->cycles_before;
            R[15] = skipped->pc + skipped->size;
            s_.itstate = it_advance(skipped->itstate);
            continue;
        }
        }
        NEXT;
    }
#undef NEXT
#undef EXIT_TO
#undef FAULT
#undef NEXT_STORE
}

}  // namespace svp::armv7m

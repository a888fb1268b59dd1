// The ARMv7-M exception model (ARM ARM B1.5): priorities and grouping, preemption, exception
// entry with stacking (including the FP extended frame), exception return with tail-chaining,
// fault escalation to HardFault and lockup.
#include <algorithm>

#include <fmt/format.h>

#include "common/util/log.h"
#include "models/cpu/armv7m/cortex_m4.h"

namespace svp::armv7m {

namespace {
const char* exception_name(unsigned n) {
    switch (n) {
    case kReset: return "Reset";
    case kNmi: return "NMI";
    case kHardFault: return "HardFault";
    case kMemManage: return "MemManage";
    case kBusFault: return "BusFault";
    case kUsageFault: return "UsageFault";
    case kSvCall: return "SVCall";
    case kDebugMonitor: return "DebugMonitor";
    case kPendSv: return "PendSV";
    case kSysTick: return "SysTick";
    default: return "IRQ";
    }
}
}  // namespace

int CortexM4::exception_priority(unsigned n) const {
    switch (n) {
    case kReset: return -3;
    case kNmi: return -2;
    case kHardFault: return -1;
    default: return priority_[n];
    }
}

// The group priority: the priority with its subpriority field (PRIGROUP) cleared (B1.5.4).
int CortexM4::group_priority(int p) const {
    if (p < 0) return p;
    const u32 sub_mask = (2u << prigroup_) - 1u;
    return static_cast<int>(static_cast<u32>(p) & ~sub_mask & 0xFFu);
}

int CortexM4::execution_priority() const {
    int prio = 256;  // thread mode with nothing active: lower than any configurable priority
    for (unsigned i = 1; i < num_exceptions_; ++i)
        if (active_[i]) prio = std::min(prio, group_priority(exception_priority(i)));
    if (s_.basepri) prio = std::min(prio, group_priority(static_cast<int>(s_.basepri)));
    if (s_.primask) prio = std::min(prio, 0);
    if (s_.faultmask) prio = std::min(prio, -1);
    return prio;
}

// The pending exception that would be taken next: lowest group priority, then lowest
// subpriority, then lowest exception number. Returns 0 if none.
unsigned CortexM4::highest_pending(int& group) const {
    unsigned best = 0;
    int best_prio = 1 << 20;
    for (unsigned i = 1; i < num_exceptions_; ++i) {
        if (!pending_[i]) continue;
        if (i >= kFirstIrq && !enabled_[i]) continue;
        const int p = exception_priority(i);
        if (p < best_prio) {
            best_prio = p;
            best = i;
        }
    }
    group = best ? group_priority(best_prio) : 256;
    return best;
}

bool CortexM4::exception_ready() const {
    int group = 0;
    const unsigned n = highest_pending(group);
    return n != 0 && group < execution_priority();
}

void CortexM4::set_pending(unsigned n) {
    if (n == 0 || n >= num_exceptions_) return;
    pending_[n] = 1;
    if (scr_ & (1u << 4)) event_register_ = true;  // SEVONPEND
    attention();
}

void CortexM4::set_irq_level(unsigned irq, bool level, u64 at_cycle) {
    const unsigned n = kFirstIrq + irq;
    if (n >= num_exceptions_) return;
    const bool was = irq_level_[n];
    irq_level_[n] = level;
    if (level && !was && irq_entry_sink_) {
        if (irq_raised_at_.size() < num_exceptions_) irq_raised_at_.assign(num_exceptions_, UINT64_MAX);
        if (irq_raised_at_[n] == UINT64_MAX) irq_raised_at_[n] = at_cycle == UINT64_MAX ? cycles_ : at_cycle;
    }
    // Level-sensitive inputs pend on the rising level and while high when not active (B3.4.1).
    if (level && !was) set_pending(n);
    else if (level && !active_[n]) set_pending(n);
}

void CortexM4::irq_entered(unsigned n) {
    if (!irq_entry_sink_ || n < kFirstIrq || n >= irq_raised_at_.size() || irq_raised_at_[n] == UINT64_MAX) return;
    const u64 raised = irq_raised_at_[n];
    irq_raised_at_[n] = UINT64_MAX;
    // A line that rose while the core ran ahead of the kernel is taken at the core's next
    // check: the latency then counts from the core's own clock, never below zero.
    irq_entry_sink_(n - kFirstIrq, std::min(raised, cycles_), cycles_);
}

void CortexM4::pend_irq(unsigned irq) { set_pending(kFirstIrq + irq); }

// PushStack (B1.5.6): eight words, or 26 with the FP context, on the current stack, aligned
// to 8 bytes when CCR.STKALIGN is set (xPSR bit 9 records the adjustment).
bool CortexM4::push_stack(unsigned, u32 return_address, u32& frame_sp, bool& fp_frame) {
    fp_frame = s_.fpca;  // CONTROL.FPCA decides the extended frame (FPCCR.ASPEN only sets FPCA)
    const u32 frame_size = fp_frame ? 0x68 : 0x20;
    const bool force_align = fp_frame || (ccr_ & (1u << 9));
    const u32 sp = s_.r[13];
    const bool realigned = force_align && (sp & 4u);
    const u32 frameptr = (sp - frame_size) & (force_align ? ~7u : ~3u);
    const u32 xpsr = (s_.xpsr() & ~(1u << 9)) | (realigned ? (1u << 9) : 0u);
    bool ok = true;
    const u32 words[8] = {s_.r[0], s_.r[1], s_.r[2], s_.r[3], s_.r[12], s_.r[14], return_address, xpsr};
    for (unsigned i = 0; i < 8; ++i) ok &= stack_write(frameptr + 4 * i, words[i]);
    if (fp_frame) {
        for (unsigned i = 0; i < 16; ++i) ok &= stack_write(frameptr + 0x20 + 4 * i, s_.s[i]);
        ok &= stack_write(frameptr + 0x60, s_.fpscr);
    }
    s_.r[13] = frameptr;
    frame_sp = frameptr;
    return ok;
}

void CortexM4::take_exception(unsigned n, u32 return_address) {
    ++stats_.exceptions_taken;
    u32 frame_sp = 0;
    bool fp_frame = false;
    const bool from_thread = !s_.handler_mode();
    const bool from_psp = s_.using_psp();
    const bool stacked = push_stack(n, return_address, frame_sp, fp_frame);
    cycles_ += config_.cycles.exception_entry + (fp_frame ? config_.cycles.fp_frame_extra : 0);

    // EXC_RETURN (B1.5.8): bit 4 clear = extended (FP) frame; 0x1 handler/MSP, 0x9 thread/MSP,
    // 0xD thread/PSP.
    u32 exc_return = fp_frame ? 0xFFFFFFE1u : 0xFFFFFFF1u;
    if (from_thread) exc_return |= from_psp ? 0xCu : 0x8u;
    s_.r[14] = exc_return;

    const bool old_psp = s_.using_psp();
    s_.ipsr = n;
    s_.fpca = false;
    if (old_psp != s_.using_psp()) std::swap(s_.r[13], s_.other_sp);
    s_.itstate = 0;
    s_.thumb = true;
    pending_[n] = 0;
    active_[n] = 1;
    excl_valid_ = false;
    event_register_ = true;
    sleeping_ = false;
    // A level-sensitive interrupt whose line is still high pends again when its handler
    // returns (exception_return); SHCSR's active bits are derived from active_.

    if (!stacked) {
        // A fault while stacking is a derived exception (B1.5.14): record it and pend it.
        const bool mpu = stack_fault_type_ == kMemManage;
        cfsr_ |= mpu ? cfsr::MSTKERR : cfsr::STKERR;
        escalate_or_pend_fault(mpu ? kMemManage : kBusFault);
    }

    u32 vector = 0;
    if (!stack_read(vtor_ + 4 * n, vector)) {
        hfsr_ |= 1u << 1;  // VECTTBL
        if (n == kHardFault || n == kNmi) {
            lockup(fmt::format("vector table read failed for {} at 0x{:08x}", exception_name(n), vtor_ + 4 * n));
            return;
        }
        active_[n] = 0;
        take_exception(kHardFault, return_address);
        return;
    }
    s_.r[15] = vector & ~1u;
    if (!(vector & 1u)) {
        // Handler entered without the Thumb bit: INVSTATE on its first instruction.
        fault_ = {true, kUsageFault, cfsr::INVSTATE, 0, false, false};
    }
    irq_entered(n);
    attention();
}

void CortexM4::lockup(const std::string& why) {
    halt_ = HaltReason::lockup;
    halt_message_ = fmt::format("{}: lockup at pc=0x{:08x}: {}", config_.name, s_.r[15], why);
    emit(ev::cpu_lockup, {{"core", config_.name}, {"pc", fmt::format("0x{:08x}", s_.r[15])}, {"reason", why}});
    attention();
}

// A synchronous fault either runs its own handler or escalates to HardFault (B1.5.13); a
// fault that cannot run even HardFault locks the core up.
void CortexM4::escalate_or_pend_fault(Exception type) {
    bool enabled = true;
    if (type == kMemManage) enabled = memfault_enabled_;
    if (type == kBusFault) enabled = busfault_enabled_;
    if (type == kUsageFault) enabled = usagefault_enabled_;
    const int exec = execution_priority();
    if (type != kHardFault && (!enabled || exception_priority(type) >= exec)) {
        hfsr_ |= 1u << 30;  // FORCED
        type = kHardFault;
    }
    if (type == kHardFault && exec <= -1) {
        lockup("fault while the execution priority is HardFault or higher");
        return;
    }
    pending_[type] = 1;
}

void CortexM4::take_pending_fault(u32 return_pc) {
    const PendingFault f = fault_;
    fault_ = PendingFault{};
    if (!f.raised) return;
    cfsr_ |= f.status;
    if (f.address_valid) {
        if (f.type == kMemManage) mmfar_ = f.address;
        if (f.type == kBusFault) bfar_ = f.address;
    }
    if (f.type == kHardFault && (f.status & (1u << 31))) hfsr_ |= 1u << 31;  // DEBUGEVT
    emit(ev::cpu_fault_taken, {{"core", config_.name},
                               {"fault", exception_name(f.type)},
                               {"pc", fmt::format("0x{:08x}", return_pc)},
                               {"cfsr", fmt::format("0x{:08x}", cfsr_)},
                               {"address", f.address_valid ? fmt::format("0x{:08x}", f.address) : std::string()}});
    s_.r[15] = return_pc;
    escalate_or_pend_fault(f.type);
    if (halted()) return;
    // Synchronous: taken now, ahead of anything else of equal or lower priority.
    const unsigned n = pending_[kHardFault] ? kHardFault : f.type;
    take_exception(n, return_pc);
}

// ExceptionReturn (B1.5.8), with tail-chaining to a pending exception that would preempt the
// context being returned to.
void CortexM4::exception_return(u32 exc_return) {
    const unsigned returning = s_.ipsr;
    const u32 kind = exc_return & 0xF;
    auto invpc = [&] {
        // Illegal EXC_RETURN: a UsageFault INVPC taken in the current (handler) context.
        s_.r[14] = exc_return;
        fault_ = {true, kUsageFault, cfsr::INVPC, 0, false, false};
    };
    if ((exc_return & 0x0FFFFFE0u) != 0x0FFFFFE0u || (kind != 0x1 && kind != 0x9 && kind != 0xD) ||
        !active_[returning]) {
        invpc();
        return;
    }
    active_[returning] = 0;
    if (returning != kNmi) s_.faultmask = false;
    if (returning >= kFirstIrq && irq_level_[returning]) pending_[returning] = 1;  // level still high
    bool nested = false;
    for (unsigned i = 1; i < num_exceptions_; ++i) nested |= active_[i] != 0;
    if (kind != 0x1 && nested && !(ccr_ & 1u)) {  // return to Thread with handlers still active
        active_[returning] = 1;
        invpc();
        return;
    }
    excl_valid_ = false;
    event_register_ = true;

    // Tail-chain: something pending preempts the context we would return to.
    if (exception_ready()) {
        int group = 0;
        const unsigned n = highest_pending(group);
        cycles_ += config_.cycles.tail_chain;
        s_.ipsr = n;
        pending_[n] = 0;
        active_[n] = 1;
        s_.r[14] = exc_return;
        u32 vector = 0;
        if (!stack_read(vtor_ + 4 * n, vector)) {
            lockup("vector table read failed while tail-chaining");
            return;
        }
        s_.r[15] = vector & ~1u;
        irq_entered(n);
        attention();
        return;
    }

    const bool to_thread = kind != 0x1;
    const bool to_psp = kind == 0xD;
    // Switch to the stack the frame is on.
    const bool old_psp = s_.using_psp();
    s_.ipsr = to_thread ? 0 : s_.ipsr;
    if (to_thread) s_.spsel = to_psp;
    if (old_psp != s_.using_psp()) std::swap(s_.r[13], s_.other_sp);
    const u32 frameptr = s_.r[13];
    u32 w[8] = {};
    bool ok = true;
    for (unsigned i = 0; i < 8; ++i) ok &= stack_read(frameptr + 4 * i, w[i]);
    const bool fp_frame = !(exc_return & 0x10u);
    u32 fs[17] = {};
    if (fp_frame)
        for (unsigned i = 0; i < 17; ++i) ok &= stack_read(frameptr + 0x20 + 4 * i, fs[i]);
    cycles_ += config_.cycles.exception_return + (fp_frame ? config_.cycles.fp_frame_extra : 0);
    if (!ok) {
        const bool mpu = stack_fault_type_ == kMemManage;
        cfsr_ |= mpu ? cfsr::MUNSTKERR : cfsr::UNSTKERR;
        escalate_or_pend_fault(mpu ? kMemManage : kBusFault);
        attention();
        return;
    }
    s_.r[0] = w[0]; s_.r[1] = w[1]; s_.r[2] = w[2]; s_.r[3] = w[3];
    s_.r[12] = w[4]; s_.r[14] = w[5];
    s_.r[15] = w[6] & ~1u;
    const u32 xpsr = w[7];
    if (fp_frame) {
        for (unsigned i = 0; i < 16; ++i) s_.s[i] = fs[i];
        s_.fpscr = fs[16];
    }
    s_.r[13] = frameptr + (fp_frame ? 0x68u : 0x20u) + (((fp_frame || (ccr_ & (1u << 9))) && (xpsr & (1u << 9))) ? 4u : 0u);
    s_.fpca = fp_frame;
    s_.set_nzcvq(xpsr);
    s_.set_ge(xpsr);
    s_.itstate = ((xpsr >> 25) & 3u) | (((xpsr >> 10) & 0x3Fu) << 2);
    const u32 stacked_ipsr = xpsr & 0x1FF;
    if (to_thread) {
        if (stacked_ipsr != 0) { s_.ipsr = returning; active_[returning] = 1; invpc(); return; }
    } else {
        if (stacked_ipsr == 0) { active_[returning] = 1; invpc(); return; }
        s_.ipsr = stacked_ipsr;
    }
    s_.thumb = (xpsr & (1u << 24)) != 0;
    if (!s_.thumb) fault_ = {true, kUsageFault, cfsr::INVSTATE, 0, false, false};
    if (to_thread && sleep_on_exit()) sleeping_ = true;
    attention();
}

}  // namespace svp::armv7m

#include "os-sim/kernel/cpu_scheduler.h"

#include <algorithm>

namespace svp::os {

CpuScheduler::CpuScheduler(const ClockDomain& clock, std::uint64_t slice_cycles, std::uint64_t switch_cycles,
                           sc_core::sc_time quantum)
    : clock_(clock), slice_cycles_(slice_cycles), switch_cycles_(switch_cycles), quantum_(quantum) {}

void CpuScheduler::acquire(int pid) {
    if (running_ == -1 && ready_.empty()) {
        running_ = pid;
    } else {
        ready_.push_back(pid);
        while (running_ != pid) sc_core::wait(handover_);
    }
    slice_used_ = 0;
    if (last_ != pid && last_ != -1) {
        ++switches_;
        consume(switch_cycles_);
    }
    last_ = pid;
}

void CpuScheduler::release(int pid) {
    if (running_ != pid) return;
    sync();
    if (ready_.empty()) {
        running_ = -1;
        return;
    }
    running_ = ready_.front();
    ready_.pop_front();
    handover_.notify(sc_core::SC_ZERO_TIME);
}

void CpuScheduler::consume(std::uint64_t cycles) {
    offset_ += clock_.cycles(cycles);
    busy_cycles_ += cycles;
    slice_used_ += cycles;
    if (offset_ >= quantum_) sync();
    if (slice_used_ >= slice_cycles_ && !ready_.empty()) {
        const int me = running_;
        release(me);
        acquire(me);
    }
}

void CpuScheduler::sync() {
    if (offset_ > sc_core::SC_ZERO_TIME) {
        const auto t = offset_;
        offset_ = sc_core::SC_ZERO_TIME;
        sc_core::wait(t);
    }
}

void CpuScheduler::block_on(const sc_core::sc_event& event) {
    const int me = running_;
    release(me);
    sc_core::wait(event);
    acquire(me);
}

void CpuScheduler::block_for(sc_core::sc_time duration) {
    const int me = running_;
    release(me);
    sc_core::wait(duration);
    acquire(me);
}

}  // namespace svp::os

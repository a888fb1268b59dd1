#include "os-sim/kernel/cpu_scheduler.h"

#include <algorithm>

namespace svp::os {

CpuScheduler::CpuScheduler(const ClockDomain& clock, std::uint64_t slice_cycles, std::uint64_t switch_cycles,
                           sc_core::sc_time quantum)
    : clock_(clock), slice_cycles_(slice_cycles), switch_cycles_(switch_cycles), quantum_(quantum) {}

int CpuScheduler::priority(int pid) const {
    auto it = priority_.find(pid);
    return it == priority_.end() ? 0 : it->second;
}

void CpuScheduler::enqueue(int pid) {
    if (std::find(ready_.begin(), ready_.end(), pid) == ready_.end()) ready_.push_back(pid);
}

int CpuScheduler::pick_next() {
    auto best = ready_.begin();
    for (auto it = ready_.begin(); it != ready_.end(); ++it)
        if (priority(*it) > priority(*best)) best = it;
    const int pid = *best;
    ready_.erase(best);
    return pid;
}

void CpuScheduler::acquire(int pid) {
    if (running_ == -1 && ready_.empty()) {
        running_ = pid;
    } else {
        enqueue(pid);
        while (running_ != pid) sc_core::wait(handover_);
    }
    slice_used_ = 0;
    if (last_ != pid && last_ != -1) {
        ++switches_;
        // Charged without a preemption check: the switch itself is not a point to yield at.
        offset_ += clock_.cycles(switch_cycles_);
        busy_cycles_ += switch_cycles_;
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
    running_ = pick_next();
    handover_.notify(sc_core::SC_ZERO_TIME);
}

void CpuScheduler::forget(int pid) {
    ready_.erase(std::remove(ready_.begin(), ready_.end(), pid), ready_.end());
    priority_.erase(pid);
    if (running_ == pid) {
        // Only a process that killed itself can be running here; hand the core on.
        running_ = -1;
        offset_ = sc_core::SC_ZERO_TIME;
        if (!ready_.empty()) {
            running_ = pick_next();
            handover_.notify(sc_core::SC_ZERO_TIME);
        }
    }
}

bool CpuScheduler::should_preempt() const {
    if (ready_.empty() || running_ == -1) return false;
    int best = priority(ready_.front());
    for (int pid : ready_) best = std::max(best, priority(pid));
    const int mine = priority(running_);
    return best > mine || (slice_used_ >= slice_cycles_ && best >= mine);
}

void CpuScheduler::consume(std::uint64_t cycles) {
    offset_ += clock_.cycles(cycles);
    busy_cycles_ += cycles;
    slice_used_ += cycles;
    if (offset_ >= quantum_) sync();
    if (should_preempt()) {
        ++preemptions_;
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

bool CpuScheduler::block_on_for(const sc_core::sc_event& event, sc_core::sc_time timeout) {
    const int me = running_;
    release(me);
    const auto start = sc_core::sc_time_stamp();
    sc_core::wait(timeout, event);
    const bool fired = sc_core::sc_time_stamp() - start < timeout;
    acquire(me);
    return fired;
}

bool CpuScheduler::block_on_any(const sc_core::sc_event_or_list& events, sc_core::sc_time timeout, bool forever) {
    const int me = running_;
    release(me);
    bool fired = true;
    if (forever) {
        sc_core::wait(events);
    } else {
        const auto start = sc_core::sc_time_stamp();
        sc_core::wait(timeout, events);
        fired = sc_core::sc_time_stamp() - start < timeout;
    }
    acquire(me);
    return fired;
}

}  // namespace svp::os

// The app core as a resource the kernel shares between processes. Each process runs in its
// own SystemC thread but only the holder of the CPU executes: everything it does is charged in
// cycles to a local time offset that is synchronised with SystemC once per quantum (rule 1).
//
// Scheduling is preemptive with static priorities and time slices: the running process gives
// up the core at its next charged operation when a process of higher priority is ready, or
// when its slice is used up and one of equal or higher priority is ready (round robin within
// a priority). Host-compiled code can only be preempted where it charges time, so preemption
// latency is bounded by the largest single charge (in practice one quantum).
#pragma once

#include <cstdint>
#include <deque>
#include <map>

#include <systemc>

#include "models/base/clock.h"

namespace svp::os {

class CpuScheduler {
public:
    CpuScheduler(const ClockDomain& clock, std::uint64_t slice_cycles, std::uint64_t switch_cycles,
                 sc_core::sc_time quantum = sc_core::sc_time(1, sc_core::SC_US));

    // Higher runs first; processes without one have priority 0.
    void set_priority(int pid, int priority) { priority_[pid] = priority; }
    int priority(int pid) const;

    void acquire(int pid);  // returns when `pid` holds the CPU
    void release(int pid);
    // Takes a process that will never run again out of the ready queue (it was killed).
    void forget(int pid);
    // Charges cycles to the running process; synchronises and possibly preempts.
    void consume(std::uint64_t cycles);
    // Adds time the running process spent outside the core (a bus access's latency).
    void add_time(sc_core::sc_time t) {
        offset_ += t;
        if (offset_ >= quantum_) sync();
    }
    // Waits out the local time offset, so the next observable action happens at the right time.
    void sync();
    int running() const { return running_; }

    // Gives up the CPU while waiting for `event` (an interrupt, a timer), then takes it back.
    void block_on(const sc_core::sc_event& event);
    void block_for(sc_core::sc_time duration);
    // Waits for `event` or `timeout`, whichever is first; true when the event came.
    bool block_on_for(const sc_core::sc_event& event, sc_core::sc_time timeout);
    // Waits for any of `events`, with a timeout unless `forever`; true when an event came.
    bool block_on_any(const sc_core::sc_event_or_list& events, sc_core::sc_time timeout, bool forever);

    std::uint64_t busy_cycles() const { return busy_cycles_; }
    std::uint64_t context_switches() const { return switches_; }
    std::uint64_t preemptions() const { return preemptions_; }

private:
    void enqueue(int pid);
    int pick_next();
    bool should_preempt() const;

    const ClockDomain& clock_;
    std::uint64_t slice_cycles_, switch_cycles_;
    sc_core::sc_time quantum_;
    std::deque<int> ready_;  // in arrival order; pick_next takes the first of the highest priority
    std::map<int, int> priority_;
    int running_ = -1, last_ = -1;
    sc_core::sc_event handover_;
    sc_core::sc_time offset_;
    std::uint64_t slice_used_ = 0, busy_cycles_ = 0, switches_ = 0, preemptions_ = 0;
};

}  // namespace svp::os

// The app core as a resource the kernel shares between processes. Each process runs in its
// own SystemC thread but only the holder of the CPU executes: everything it does is charged in
// cycles to a local time offset that is synchronised with SystemC once per quantum (rule 1),
// and a process that used up its time slice yields to the next ready one (round robin).
#pragma once

#include <cstdint>
#include <deque>

#include <systemc>

#include "models/base/clock.h"

namespace svp::os {

class CpuScheduler {
public:
    CpuScheduler(const ClockDomain& clock, std::uint64_t slice_cycles, std::uint64_t switch_cycles,
                 sc_core::sc_time quantum = sc_core::sc_time(1, sc_core::SC_US));

    void acquire(int pid);  // returns when `pid` holds the CPU
    void release(int pid);
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

    std::uint64_t busy_cycles() const { return busy_cycles_; }
    std::uint64_t context_switches() const { return switches_; }

private:
    const ClockDomain& clock_;
    std::uint64_t slice_cycles_, switch_cycles_;
    sc_core::sc_time quantum_;
    std::deque<int> ready_;
    int running_ = -1, last_ = -1;
    sc_core::sc_event handover_;
    sc_core::sc_time offset_;
    std::uint64_t slice_used_ = 0, busy_cycles_ = 0, switches_ = 0;
};

}  // namespace svp::os

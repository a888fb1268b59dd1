// Ending a simulation cleanly. SystemC never unwinds the stacks of threads still waiting when
// sc_start returns, so whatever they own would be leaked (and the AddressSanitizer build
// would say so). Runs end instead through run_until(): at the deadline or on request, a
// shutdown process kills every other thread, whose stacks unwind, and then stops the kernel.
// Code that would wait while its stack unwinds checks sc_core::sc_is_unwinding() first.
#pragma once

#include <systemc>

namespace svp {

class SimulationControl {
public:
    // Asks the running simulation to end now (from any process or callback).
    void request_stop() { stop_.notify(sc_core::SC_ZERO_TIME); }
    // Runs until `deadline` or a request_stop(), whichever is first, then unwinds every
    // thread and stops. Returns the simulated time at which it stopped.
    sc_core::sc_time run_until(sc_core::sc_time deadline);

private:
    sc_core::sc_event stop_;
};

// Sends SystemC's own reports to the text log (stdout stays the program's: `iss run` prints
// only what the firmware prints). Errors still throw as SystemC intends.
void route_systemc_reports_to_log();

// Kills every thread process except the caller (call from inside a process).
void kill_all_other_threads();

}  // namespace svp

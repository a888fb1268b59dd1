// Helpers for tests that run a small SystemC model: a device context with its event log, and
// a way to run a test body as a SystemC thread ("at t, do this; expect that at t + N").
#pragma once

#include <functional>
#include <memory>

#include <systemc>

#include "models/base/device_context.h"
#include "models/base/event_log.h"
#include "models/base/sim_control.h"

namespace svp::test {

struct SimContext {
    EventLog log;
    DeviceContext device{"dev0", log, 1};
};

// Runs `body` in a SystemC thread and simulates until nothing is left to do (or `limit`).
// Every thread is unwound at the end (SimulationControl), so nothing is left to leak.
// Returns whether the body ran to its end before `limit` (a body stuck waiting for something
// that never happens must fail its test, not pass with its last checks unreached).
[[nodiscard]] inline bool run_thread(std::function<void()> body, sc_core::sc_time limit = sc_core::sc_time(10, sc_core::SC_SEC)) {
    SimulationControl control;
    bool finished = false;
    sc_core::sc_spawn_options o;
    o.set_stack_size(1 << 20);
    sc_core::sc_spawn([&control, &finished, body = std::move(body)] {
        body();
        finished = true;
        control.request_stop();
    }, "test_body", &o);
    control.run_until(limit);
    return finished;
}

// Simulates for `duration`, then unwinds every thread.
inline void run_for(sc_core::sc_time duration) {
    SimulationControl control;
    control.run_until(duration);
}

inline std::uint64_t now_ns() { return sim_now_ns(); }

}  // namespace svp::test

// Runs a test body as a SystemC thread and requires that it finished.
#define REQUIRE_RUNS(...)                                                  \
    do {                                                                   \
        const bool test_body_finished = ::svp::test::run_thread(__VA_ARGS__); \
        REQUIRE(test_body_finished);                                       \
    } while (0)

namespace svp::test {

}  // namespace svp::test

// Helpers for tests that run a small SystemC model: a device context with its event log, and
// a way to run a test body as a SystemC thread ("at t, do this; expect that at t + N").
#pragma once

#include <functional>
#include <memory>

#include <systemc>

#include "models/base/device_context.h"
#include "models/base/event_log.h"

namespace svp::test {

struct SimContext {
    EventLog log;
    DeviceContext device{"dev0", log, 1};
};

// Runs `body` in a SystemC thread and simulates until nothing is left to do (or `limit`).
inline void run_thread(std::function<void()> body, sc_core::sc_time limit = sc_core::sc_time(10, sc_core::SC_SEC)) {
    sc_core::sc_spawn_options o;
    o.set_stack_size(1 << 20);
    sc_core::sc_spawn(std::move(body), "test_body", &o);
    sc_core::sc_start(limit);
}

inline std::uint64_t now_ns() { return sim_now_ns(); }

}  // namespace svp::test

// The app core's scheduler: static priorities with preemption at the next charged operation,
// round robin in 10 ms slices within a priority, and every switch charged.
#include <catch2/catch.hpp>

#include "os-sim/kernel/cpu_scheduler.h"
#include "tests/support/sim.h"

using namespace svp;
using namespace svp::os;

namespace {
std::uint64_t now_ms() { return sim_now_ns() / 1'000'000; }
}  // namespace

TEST_CASE("equal priorities share the core in time slices - a higher one preempts at once") {
    ClockDomain clock(500'000'000);
    CpuScheduler cpu(clock, /*slice=*/5'000'000 /* 10 ms */, /*switch=*/4000);
    std::vector<std::pair<int, std::uint64_t>> ran;  // (pid, ms) for each 1 ms of work
    auto worker = [&](int pid, int ms) {
        cpu.acquire(pid);
        for (int i = 0; i < ms; ++i) {
            cpu.consume(500'000);  // 1 ms at 500 MHz
            ran.push_back({pid, now_ms()});
        }
        cpu.release(pid);
    };
    std::uint64_t urgent_waited_ns = 0;
    cpu.set_priority(3, 10);
    sc_core::sc_spawn([&] { worker(1, 40); });
    sc_core::sc_spawn([&] { worker(2, 40); });
    sc_core::sc_spawn([&] {
        sc_core::wait(sc_core::sc_time(25.3, sc_core::SC_MS));
        const auto asked = sim_now_ns();
        cpu.acquire(3);
        urgent_waited_ns = sim_now_ns() - asked;
        cpu.consume(1000);
        cpu.release(3);
    });
    test::run_for(sc_core::sc_time(1, sc_core::SC_SEC));

    REQUIRE(ran.size() == 80);
    // Round robin: pid 1 for the first slice, then pid 2, alternating, never more than a
    // slice (10 x 1 ms) in a row.
    std::vector<std::pair<int, int>> runs;  // (pid, length)
    for (const auto& [pid, t] : ran) {
        if (runs.empty() || runs.back().first != pid) runs.push_back({pid, 0});
        ++runs.back().second;
    }
    REQUIRE(runs.size() >= 7);
    CHECK(runs[0].first == 1);
    CHECK(runs[1].first == 2);
    for (const auto& [pid, length] : runs) CHECK(length <= 10);
    // The urgent process ran within the current 1 ms charge (plus the switch), not a slice.
    CHECK(urgent_waited_ns <= 1'010'000);
    CHECK(cpu.preemptions() >= 1);
    CHECK(cpu.context_switches() >= 8);
    // Both finished: 80 ms of work, the switches and the urgent process on top.
    CHECK(ran.back().second >= 80);
    CHECK(ran.back().second <= 82);
}

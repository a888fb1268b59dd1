// Two cores in one simulation keep one clock (rule 1): each runs a quantum at a time, and the
// run-ahead of one is bounded by the other's next synchronisation, so a flag one core writes
// is seen by the other within a quantum or two of simulated time — not whenever the host
// happens to schedule it.
#include <catch2/catch.hpp>

#include "models/base/event_log.h"
#include "models/bus/memory.h"
#include "models/bus/router.h"
#include "models/cpu/armv7m/cortex_m4_module.h"

using namespace svp;

TEST_CASE("Two cores share one clock: a flag set by one is seen by the other within two quanta", "[iss][systemc][multicore]") {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    EventLog events;
    DeviceContext device("dev0", events, 1);
    Router bus("bus", device, sc_core::SC_ZERO_TIME);
    Memory code("code", device, 0x20000, sc_core::SC_ZERO_TIME, sc_core::SC_ZERO_TIME);
    Memory sysram("sysram", device, 0x10000, sc_core::SC_ZERO_TIME, sc_core::SC_ZERO_TIME);
    armv7m::CoreConfig cfg;
    cfg.semihosting = false;
    cfg.name = "rt0";
    cfg.initial_vtor = 0x00000;
    CortexM4Module rt0("rt0", cfg, BusInitiator(1, "rt0", World::normal, Privilege::privileged));
    cfg.name = "rt1";
    cfg.initial_vtor = 0x10000;
    CortexM4Module rt1("rt1", cfg, BusInitiator(2, "rt1", World::normal, Privilege::privileged));
    rt0.bus.bind(bus.from_initiators);
    rt1.bus.bind(bus.from_initiators);
    auto map = [&](const char* name, std::uint64_t base, std::uint64_t size, Memory& m) {
        BusRegion r;
        r.name = name; r.base = base; r.size = size; r.target = bus.attach(m.socket);
        bus.map(r);
    };
    map("code", 0x00000000, 0x20000, code);
    map("sysram", 0x20000000, 0x10000, sysram);
    auto w32 = [&](std::uint32_t at, std::uint32_t v) { code.load(at, ByteView(reinterpret_cast<std::uint8_t*>(&v), 4)); };
    auto prog = [&](std::uint32_t at, std::initializer_list<std::uint16_t> hws) {
        for (std::uint16_t hw : hws) { code.load(at, ByteView(reinterpret_cast<std::uint8_t*>(&hw), 2)); at += 2; }
    };
    // rt0: count to 20000, then set the flag at 0x20000100 and sleep.
    w32(0x0, 0x20008000);
    w32(0x4, 0x101);
    prog(0x100, {0xf240, 0x1100, 0xf2c2, 0x0100, 0xf644, 0x6320, 0x3201, 0x429a, 0xd1fc, 0x2001, 0x6008, 0xbf30, 0xe7fe});
    // rt1: wait for the flag, then sleep.
    w32(0x10000, 0x20010000);
    w32(0x10004, 0x10101);
    prog(0x10100, {0xf240, 0x1100, 0xf2c2, 0x0100, 0x6808, 0x2800, 0xd0fc, 0xbf30, 0xe7fe});

    sc_core::sc_start(sc_core::sc_time(10, sc_core::SC_MS));
    REQUIRE(rt0.core().sleeping());
    REQUIRE(rt1.core().sleeping());
    // Both went to sleep right after the flag: rt0 after storing it, rt1 after seeing it.
    const std::int64_t set_at = static_cast<std::int64_t>(rt0.core().cycles());
    const std::int64_t seen_at = static_cast<std::int64_t>(rt1.core().cycles());
    const std::int64_t quantum_cycles = 25;  // 1 us at 25 MHz
    CHECK(set_at > 20000);
    CHECK(seen_at >= set_at - 8);             // not before it was written (a few cycles of slack)
    CHECK(seen_at <= set_at + 2 * quantum_cycles);
}

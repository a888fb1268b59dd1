// Bus timing from the variant: wait states cost cycles of the initiator's own clock, DMI
// pointers carry the same latency, and a transaction that finds the shared bus busy waits.
#include <catch2/catch.hpp>

#include "models/base/bus_master.h"
#include "models/bus/memory.h"
#include "models/bus/router.h"
#include "models/periph/uart.h"
#include "tests/support/sim.h"

using namespace svp;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_PS;

TEST_CASE("wait states cost cycles of the initiator's clock: 2 at 500 MHz is 4 ns, at 200 MHz 10 ns, DMI included") {
    test::SimContext ctx;
    Router bus("bus", ctx.device, sc_time(4, SC_NS));
    Memory ram("ram", ctx.device, 0x1000, sc_time(6, SC_NS), sc_time(6, SC_NS));
    BusRegion r{"ram", 0x80000000, 0x1000, bus.attach(ram.socket)};
    r.read_wait_states = r.write_wait_states = 2;
    bus.map(r);
    bus.set_initiator_clocks({ClockDomain(500'000'000), ClockDomain(200'000'000)});
    BusMaster a7("a7", BusInitiator(0, "a7", World::normal, Privilege::privileged));
    BusMaster rt0("rt0", BusInitiator(1, "rt0", World::normal, Privilege::privileged));
    a7.socket.bind(bus.from_initiators);
    rt0.socket.bind(bus.from_initiators);
    test::run_thread([&] {
        std::uint32_t v = 0;
        sc_time d;
        a7.read(0x80000000, &v, 4, d);
        CHECK(d == sc_time(4 + 4 + 6, SC_NS));  // hop + 2 cycles at 500 MHz + memory
        d = sc_core::SC_ZERO_TIME;
        a7.read(0x80000000, &v, 4, d);  // now through the DMI pointer: the same cost
        CHECK(d == sc_time(14, SC_NS));
        d = sc_core::SC_ZERO_TIME;
        rt0.read(0x80000000, &v, 4, d);
        CHECK(d == sc_time(4 + 10 + 6, SC_NS));  // 2 cycles at 200 MHz
    });
}

TEST_CASE("contention: a transaction arriving while the bus is held waits until it is free, and is counted") {
    test::SimContext ctx;
    Router bus("bus", ctx.device, sc_time(0, SC_NS));
    Uart uart("uart", ctx.device, sc_time(30, SC_NS), 26'000'000, nullptr);  // 30 ns per register access
    BusRegion r{"uart", 0x38070500, 0x100, bus.attach(uart.socket)};
    r.dmi_allowed = false;
    bus.map(r);
    bus.set_contention({100'000'000, 4, 1, 1});  // 100 MHz, 4 bytes per beat, 1 arbitration cycle, strict
    BusMaster a7("a7", BusInitiator(0, "a7", World::normal, Privilege::privileged));
    BusMaster rt0("rt0", BusInitiator(1, "rt0", World::normal, Privilege::privileged));
    a7.socket.bind(bus.from_initiators);
    rt0.socket.bind(bus.from_initiators);
    test::run_thread([&] {
        std::uint32_t v = 0;
        sc_time d1, d2;
        a7.read(0x38070500 + Uart::SCR, &v, 4, d1);
        CHECK(d1 == sc_time(30 + 20, SC_NS));  // the register, then (1 + 1) bus cycles of transfer
        // rt0 arrives at the same instant: the bus is a7's for those 50 ns.
        rt0.read(0x38070500 + Uart::SCR, &v, 4, d2);
        CHECK(d2 == sc_time(50 + 50, SC_NS));
        CHECK(bus.stats().transactions == 2);
        CHECK(bus.stats().stalled == 1);
        CHECK(bus.stats().stall_time == sc_time(50, SC_NS));
        // Once the bus is idle again, nobody waits.
        sc_core::wait(sc_time(1, sc_core::SC_US));
        sc_time d3;
        rt0.read(0x38070500 + Uart::SCR, &v, 4, d3);
        CHECK(d3 == sc_time(50, SC_NS));
        CHECK(bus.stats().stalled == 1);
    });
}

TEST_CASE("contention windows share bandwidth: accesses that fit a window's capacity do not wait, one that overflows it does") {
    test::SimContext ctx;
    Router bus("bus", ctx.device, sc_time(0, SC_NS));
    Uart uart("uart", ctx.device, sc_time(30, SC_NS), 26'000'000, nullptr);
    BusRegion r{"uart", 0x38070500, 0x100, bus.attach(uart.socket)};
    r.dmi_allowed = false;
    bus.map(r);
    bus.set_contention({100'000'000, 4, 1, 20});  // windows of 200 ns: room for four 50 ns accesses
    BusMaster a7("a7", BusInitiator(0, "a7", World::normal, Privilege::privileged));
    BusMaster rt0("rt0", BusInitiator(1, "rt0", World::normal, Privilege::privileged));
    a7.socket.bind(bus.from_initiators);
    rt0.socket.bind(bus.from_initiators);
    test::run_thread([&] {
        std::uint32_t v = 0;
        sc_time a, b;
        for (int i = 0; i < 2; ++i) a7.read(0x38070500 + Uart::SCR, &v, 4, a);  // a7: 0..100 ns
        for (int i = 0; i < 2; ++i) rt0.read(0x38070500 + Uart::SCR, &v, 4, b);  // rt0 at 0 ns too: still room
        CHECK(a == sc_time(100, SC_NS));
        CHECK(b == sc_time(100, SC_NS));
        CHECK(bus.stats().stalled == 0);
        rt0.read(0x38070500 + Uart::SCR, &v, 4, b);  // the window [0, 200) is full: wait for the next
        CHECK(b == sc_time(200 + 50, SC_NS));
        CHECK(bus.stats().stalled == 1);
    });
}

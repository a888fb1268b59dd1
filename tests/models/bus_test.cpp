// The interconnect and the memories behind it: decoding, per-initiator visibility, DMI,
// unmapped addresses; NOR flash programming rules and wear.
#include <catch2/catch.hpp>

#include "models/base/bus_master.h"
#include "models/bus/memory.h"
#include "models/bus/nor_flash.h"
#include "models/bus/router.h"
#include "tests/support/sim.h"

using namespace svp;
using sc_core::sc_time;
using sc_core::SC_NS;

TEST_CASE("overlapping regions are refused when the map is built") {
    test::SimContext ctx;
    Router bus("bus", ctx.device, sc_time(2, SC_NS));
    Memory a("a", ctx.device, 0x1000, sc_time(1, SC_NS), sc_time(1, SC_NS));
    Memory b("b", ctx.device, 0x1000, sc_time(1, SC_NS), sc_time(1, SC_NS));
    bus.map({"a", 0x1000, 0x1000, bus.attach(a.socket)});
    CHECK_THROWS_AS(bus.map({"b", 0x1800, 0x1000, bus.attach(b.socket)}), std::invalid_argument);
    // The same addresses are fine when no initiator can see both.
    BusRegion only_rt0{"tcm0", 0x1000, 0x1000, 1, 0, {7}};
    BusRegion only_rt1{"tcm1", 0x1000, 0x1000, 1, 0, {8}};
    Router private_bus("private_bus", ctx.device, sc_time(2, SC_NS));
    private_bus.map(only_rt0);
    CHECK_NOTHROW(private_bus.map(only_rt1));
    CHECK(private_bus.decode(0x1800, 7)->name == "tcm0");
    CHECK(private_bus.decode(0x1800, 8)->name == "tcm1");
    CHECK(private_bus.decode(0x1800, 9) == nullptr);
    sc_core::sc_stop();
}

TEST_CASE("accesses reach the right memory at region-relative addresses, with latency and DMI") {
    test::SimContext ctx;
    Router bus("bus", ctx.device, sc_time(2, SC_NS));
    Memory ram("ram", ctx.device, 0x10000, sc_time(5, SC_NS), sc_time(7, SC_NS));
    bus.map({"ram", 0x80000000, 0x10000, bus.attach(ram.socket)});
    BusMaster cpu("cpu", BusInitiator(0, "a7", World::normal, Privilege::privileged));
    cpu.socket.bind(bus.from_initiators);
    REQUIRE_RUNS([&] {
        sc_time delay;
        std::uint32_t v = 0xDEADBEEF;
        REQUIRE(cpu.write(0x80000010, &v, 4, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(delay == sc_time(9, SC_NS));  // hop 2 + write 7
        CHECK(ram.dump(0x10, 4) == Bytes{0xEF, 0xBE, 0xAD, 0xDE});
        // The first access granted DMI: the second is served from the pointer, same latency.
        sc_time d2;
        std::uint32_t back = 0;
        REQUIRE(cpu.read(0x80000010, &back, 4, d2) == tlm::TLM_OK_RESPONSE);
        CHECK(back == 0xDEADBEEF);
        CHECK(d2 == sc_time(7, SC_NS));  // hop 2 + read 5
    });
}

TEST_CASE("an unmapped address is an address error and a bus.router decode.error event") {
    test::SimContext ctx;
    Router bus("bus", ctx.device, sc_time(2, SC_NS));
    Memory ram("ram", ctx.device, 0x1000, sc_time(1, SC_NS), sc_time(1, SC_NS));
    bus.map({"ram", 0x0, 0x1000, bus.attach(ram.socket)});
    BusMaster cpu("cpu", BusInitiator(0, "rt0", World::normal, Privilege::user));
    cpu.socket.bind(bus.from_initiators);
    REQUIRE_RUNS([&] {
        sc_time delay;
        std::uint32_t v = 0;
        CHECK(cpu.read(0x5000, &v, 4, delay) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        // An access that starts inside a region but runs past its end is refused too.
        CHECK(cpu.read(0xFFE, &v, 4, delay) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    });
    REQUIRE(ctx.log.count(ev::bus_decode_error) == 2);
    CHECK(ctx.log.first(ev::bus_decode_error)->field("initiator") == "rt0");
    CHECK(ctx.log.first(ev::bus_decode_error)->field("address") == "0x00005000");
}

TEST_CASE("a read-only memory refuses bus writes") {
    test::SimContext ctx;
    Router bus("bus", ctx.device, sc_time(2, SC_NS));
    Memory rom("rom", ctx.device, 0x1000, sc_time(1, SC_NS), sc_time(1, SC_NS), /*read_only=*/true);
    bus.map({"rom", 0x0, 0x1000, bus.attach(rom.socket)});
    BusMaster cpu("cpu", BusInitiator(0, "a7", World::normal, Privilege::privileged));
    cpu.socket.bind(bus.from_initiators);
    REQUIRE_RUNS([&] {
        sc_time delay;
        std::uint32_t v = 1;
        CHECK(cpu.write(0x10, &v, 4, delay) == tlm::TLM_COMMAND_ERROR_RESPONSE);
        CHECK(cpu.read(0x10, &v, 4, delay) == tlm::TLM_OK_RESPONSE);
    });
}

TEST_CASE("NOR flash: erase sets a sector to 0xFF, programming only clears bits, both wear") {
    test::SimContext ctx;
    NorFlash flash("flash", ctx.device, 64 * 1024, 4096, NorFlashTiming{});
    CHECK(flash.dump(0, 4) == Bytes{0xFF, 0xFF, 0xFF, 0xFF});  // erased from the factory
    flash.program(0, Bytes{0x0F, 0xF0});
    CHECK(flash.dump(0, 2) == Bytes{0x0F, 0xF0});
    flash.program(0, Bytes{0xF3, 0xFF});  // cannot set bits back to 1
    CHECK(flash.dump(0, 2) == Bytes{0x03, 0xF0});
    const auto t = flash.erase_sector(100);  // any address in sector 0
    CHECK(t == sc_core::sc_time(45, sc_core::SC_MS));
    CHECK(flash.dump(0, 2) == Bytes{0xFF, 0xFF});
    CHECK(flash.erase_count(0) == 1);
    CHECK(flash.erase_count(1) == 0);
    CHECK(flash.operations() == 3);
    CHECK_THROWS_AS(flash.program(64 * 1024 - 1, Bytes{0, 0}), std::out_of_range);
    sc_core::sc_stop();
}

TEST_CASE("tampering with flash bypasses the programming rules and is an event") {
    test::SimContext ctx;
    NorFlash flash("flash", ctx.device, 8192, 4096, NorFlashTiming{});
    flash.program(10, Bytes{0x00});
    flash.tamper(10, Bytes{0xA5});
    CHECK(flash.dump(10, 1) == Bytes{0xA5});
    REQUIRE(ctx.log.count(ev::flash_tampered) == 1);
    CHECK(ctx.log.first(ev::flash_tampered)->field("offset") == "0xa");
    sc_core::sc_stop();
}

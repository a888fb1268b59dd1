// The core inside SystemC: a refusal by the bus (what the platform's firewall answers) is a TLM
// error response, and the core turns it into a precise BusFault with BFAR holding the address.
#include <catch2/catch.hpp>

#include "models/base/event_log.h"
#include "models/bus/memory.h"
#include "models/bus/router.h"
#include "models/cpu/armv7m/cortex_m4_module.h"

using namespace svp;

TEST_CASE("A firewall refusal becomes a precise BusFault with BFAR set", "[iss][systemc][busfault]") {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    EventLog events;
    DeviceContext device("dev0", events, 1);
    Router bus("bus", device, sc_core::SC_ZERO_TIME);
    Memory flash("flash", device, 0x10000, sc_core::SC_ZERO_TIME, sc_core::SC_ZERO_TIME);
    Memory sram("sram", device, 0x10000, sc_core::SC_ZERO_TIME, sc_core::SC_ZERO_TIME);
    Memory periph("periph", device, 0x1000, sc_core::SC_ZERO_TIME, sc_core::SC_ZERO_TIME);
    armv7m::CoreConfig cfg;
    cfg.name = "rt0";
    cfg.semihosting = false;
    CortexM4Module rt0("rt0", cfg, BusInitiator(1, "rt0", World::normal, Privilege::privileged));
    rt0.bus.bind(bus.from_initiators);
    auto map = [&](const char* name, std::uint64_t base, std::uint64_t size, Memory& m, bool dmi) {
        BusRegion r;
        r.name = name; r.base = base; r.size = size; r.target = bus.attach(m.socket); r.dmi_allowed = dmi;
        bus.map(r);
    };
    map("flash", 0x00000000, 0x10000, flash, true);
    map("sram", 0x20000000, 0x10000, sram, true);
    map("periph", 0x40000000, 0x1000, periph, false);
    // The firewall: rt0 does not own the peripheral.
    bus.set_access_check([](const BusRegion& region, tlm::tlm_generic_payload& tx, Router::Path) {
        if (region.name == "periph" && initiator_name(tx) == "rt0") {
            tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
            return false;
        }
        return true;
    });
    std::vector<std::string> fault_events;
    rt0.core().set_event_sink([&](const EventType& t, Fields f) { fault_events.push_back(std::string(t.name) + " " + f.dump()); });

    // Vector table: SP, reset -> 0x101; BusFault (5) -> a `b .` at 0x80; BUSFAULTENA is set by
    // the program: str r1, [r0] (SHCSR); str r3, [r2, #8] (the refused store); b .
    auto w32 = [&](std::uint32_t at, std::uint32_t v) { flash.load(at, ByteView(reinterpret_cast<std::uint8_t*>(&v), 4)); };
    auto w16 = [&](std::uint32_t at, std::uint16_t v) { flash.load(at, ByteView(reinterpret_cast<std::uint8_t*>(&v), 2)); };
    w32(0, 0x20010000);
    w32(4, 0x101);
    w32(5 * 4, 0x81);
    w16(0x80, 0xE7FE);
    const std::uint16_t prog[] = {
        0xf64e, 0x5024,  // movw r0, #0xed24
        0xf2ce, 0x0000,  // movt r0, #0xe000
        0xf44f, 0x3100,  // mov.w r1, #0x20000 (BUSFAULTENA)
        0x6001,          // str r1, [r0]
        0xf04f, 0x4280,  // mov.w r2, #0x40000000
        0x2355,          // movs r3, #0x55
        0x6093,          // str r3, [r2, #8]   <- refused
        0xe7fe,          // b .
    };
    for (unsigned i = 0; i < sizeof prog / 2; ++i) w16(0x100 + 2 * i, prog[i]);

    sc_core::sc_start(sc_core::sc_time(100, sc_core::SC_US));
    auto& core = rt0.core();
    CHECK(core.state().r[15] == 0x80);         // in the BusFault handler
    CHECK(core.state().ipsr == 5);
    std::uint32_t cfsr = 0, bfar = 0, stacked_pc = 0;
    core.read_memory(0xE000ED28, reinterpret_cast<std::uint8_t*>(&cfsr), 4);
    core.read_memory(0xE000ED38, reinterpret_cast<std::uint8_t*>(&bfar), 4);
    core.read_memory(core.state().r[13] + 24, reinterpret_cast<std::uint8_t*>(&stacked_pc), 4);
    CHECK(cfsr == (armv7m::cfsr::PRECISERR | armv7m::cfsr::BFARVALID));
    CHECK(bfar == 0x40000008);
    CHECK(stacked_pc == 0x114);                // precise: the refused store itself
    REQUIRE(fault_events.size() == 1);
    CHECK(fault_events[0].find("BusFault") != std::string::npos);
    CHECK(fault_events[0].find("0x40000008") != std::string::npos);
}

// The rogue example firmware (scenario A10) on an RT core at MT3620-class addresses: booted
// from TCM with VTOR at 0x00100000, it writes to ISU0's UART which the firewall gives to
// another owner; the refusal is a precise BusFault that the firmware reports on its own UART.
#include <catch2/catch.hpp>

#include <filesystem>

#include <tlm_utils/simple_target_socket.h>

#include "models/base/event_log.h"
#include "models/bus/memory.h"
#include "models/bus/router.h"
#include "models/cpu/armv7m/cortex_m4_module.h"
#include "models/cpu/armv7m/elf_loader.h"

using namespace svp;

namespace {
// Just enough of a 16550 for polled transmit: LSR says "empty", THR writes are collected.
struct TestUart : sc_core::sc_module {
    tlm_utils::simple_target_socket<TestUart> socket{"socket"};
    std::string text;
    explicit TestUart(sc_core::sc_module_name n) : sc_module(n) { socket.register_b_transport(this, &TestUart::b_transport); }
    void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time&) {
        if (tx.is_read()) {
            std::uint32_t v = tx.get_address() == 0x14 ? 0x60u : 0u;  // LSR: THRE | TEMT
            std::memcpy(tx.get_data_ptr(), &v, tx.get_data_length());
        } else if (tx.get_address() == 0x00) {
            text.push_back(static_cast<char>(tx.get_data_ptr()[0]));
        }
        tx.set_response_status(tlm::TLM_OK_RESPONSE);
    }
};
}  // namespace

TEST_CASE("Rogue RT firmware touching a peripheral it does not own gets a precise BusFault", "[iss][systemc][firmware]") {
    const std::string elf = std::string(SVP_FIRMWARE_DIR) + "/examples/rogue.elf";
    if (!std::filesystem::exists(elf)) {
        WARN("SKIPPED: " << elf << " not built");
        return;
    }
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    EventLog events;
    DeviceContext device("dev0", events, 1);
    Router bus("bus", device, sc_core::SC_ZERO_TIME);
    Memory tcm("tcm", device, 192 * 1024, sc_core::SC_ZERO_TIME, sc_core::SC_ZERO_TIME);
    TestUart uart("rt_uart");
    TestUart isu0("isu0_uart");
    armv7m::CoreConfig cfg;
    cfg.name = "rt0";
    cfg.semihosting = false;
    cfg.priority_bits = 3;           // MT3620 M4: 3 priority bits
    cfg.clock_hz = 26'000'000;       // RT cores start at 26 MHz (DESIGN.md)
    CortexM4Module rt0("rt0", cfg, BusInitiator(1, "rt0", World::normal, Privilege::privileged));
    rt0.bus.bind(bus.from_initiators);
    auto map = [&](const char* name, std::uint64_t base, std::uint64_t size, tlm::tlm_target_socket<>& s, bool dmi) {
        BusRegion r;
        r.name = name; r.base = base; r.size = size; r.target = bus.attach(s); r.dmi_allowed = dmi;
        bus.map(r);
    };
    map("tcm", 0x00100000, 192 * 1024, tcm.socket, true);
    map("rt_uart", 0x21040000, 0x1000, uart.socket, false);
    map("isu0", 0x38070000, 0x10000, isu0.socket, false);
    bus.set_access_check([](const BusRegion& region, tlm::tlm_generic_payload& tx, Router::Path) {
        if (region.name == "isu0" && initiator_name(tx) != "a7") {  // ISU0 belongs to the A7
            tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
            return false;
        }
        return true;
    });
    rt0.boot_image(armv7m::read_elf(elf));  // through the bus at start; VTOR = start of the image

    sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_MS));
    CHECK(isu0.text.empty());
    CHECK(uart.text ==
          "rogue: writing to ISU0's UART\r\n"
          "rogue: BusFault, CFSR=0x00008200 BFAR=0x38070500\r\n");
    CHECK(rt0.core().sleeping());  // parked in WFI: simulated time skipped, no busy loop
}

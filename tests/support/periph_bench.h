// A bench for peripheral tests that read like the datasheet: a bus with one CPU-side master;
// attach the peripheral under test at its MT3620 address, then read and write registers at
// simulated times from inside test::run_thread.
#pragma once

#include <cstdint>

#include <systemc>

#include "models/base/bus_master.h"
#include "models/base/peripheral.h"
#include "models/bus/router.h"
#include "tests/support/sim.h"

namespace svp::test {

struct PeriphBench {
    SimContext ctx;
    Router bus{"bus", ctx.device, sc_core::SC_ZERO_TIME};
    BusMaster cpu{"cpu", BusInitiator(0, "rt0", World::normal, Privilege::privileged)};
    tlm::tlm_response_status last = tlm::TLM_INCOMPLETE_RESPONSE;

    PeriphBench() { cpu.socket.bind(bus.from_initiators); }

    void attach(const std::string& name, tlm::tlm_target_socket<>& socket, std::uint64_t base, std::uint64_t size = 0x1000) {
        BusRegion r{name, base, size, bus.attach(socket)};
        r.dmi_allowed = false;
        bus.map(r);
    }
    std::uint32_t rd(std::uint64_t address) {
        std::uint32_t v = 0;
        sc_core::sc_time d;
        last = cpu.read(address, &v, 4, d);
        return v;
    }
    tlm::tlm_response_status wr(std::uint64_t address, std::uint32_t value) {
        sc_core::sc_time d;
        return last = cpu.write(address, &value, 4, d);
    }
    // An offset the block does not define: a bus error and one more guest error.
    bool unmapped_is_bus_error(Peripheral& p, std::uint64_t address) {
        const auto before = p.registers().guest_errors();
        rd(address);
        return last == tlm::TLM_ADDRESS_ERROR_RESPONSE && p.registers().guest_errors() == before + 1;
    }
    static sc_core::sc_time now() { return sc_core::sc_time_stamp(); }
};

}  // namespace svp::test

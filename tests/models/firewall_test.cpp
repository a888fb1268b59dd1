// The peripheral firewall, read like its register description (models/bus/firewall.h): owners
// per region, the refusal (error response, event, latched first violation, interrupt), the
// read-as-zero/write-ignored mode, secure-only and privileged-only rules, the lock, and DMI
// pointers that do not outlive a rule change.
#include <catch2/catch.hpp>

#include "models/base/bus_master.h"
#include "models/bus/firewall.h"
#include "models/bus/memory.h"
#include "models/bus/router.h"
#include "models/periph/uart.h"
#include "tests/support/sim.h"

using namespace svp;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

// ids: a7 = 0, rt0 = 1, sec = 2
struct Bench {
    test::SimContext ctx;
    Router bus{"bus", ctx.device, sc_time(2, SC_NS)};
    Memory ram{"ram", ctx.device, 0x1000, sc_time(5, SC_NS), sc_time(5, SC_NS)};
    Uart uart{"uart", ctx.device, sc_time(10, SC_NS), 26'000'000, nullptr};
    IrqLine irq{"fw_violation"};
    Firewall fw{"firewall", ctx.device, sc_time(10, SC_NS),
                {{"ram", 0b001, false, false, false}, {"uart", 0b010, false, false, true}, {"firewall", 0b100, true, false, false}},
                {"a7", "rt0", "sec"}, &irq};
    BusMaster a7{"a7", BusInitiator(0, "a7", World::normal, Privilege::privileged)};
    BusMaster rt0{"rt0", BusInitiator(1, "rt0", World::normal, Privilege::privileged)};
    BusMaster sec{"sec", BusInitiator(2, "sec", World::secure, Privilege::privileged)};

    Bench() {
        BusRegion r{"ram", 0x80000000, 0x1000, bus.attach(ram.socket)};
        r.guard = 0;
        bus.map(r);
        BusRegion u{"uart", 0x38070500, 0x100, bus.attach(uart.socket)};
        u.guard = 1;
        u.dmi_allowed = false;
        bus.map(u);
        BusRegion f{"firewall", 0x30000000, 0x10000, bus.attach(fw.socket)};
        f.guard = 2;
        f.dmi_allowed = false;
        bus.map(f);
        fw.install(bus);
        a7.socket.bind(bus.from_initiators);
        rt0.socket.bind(bus.from_initiators);
        sec.socket.bind(bus.from_initiators);
    }
    static tlm::tlm_response_status read(BusMaster& m, std::uint64_t a, std::uint32_t& v) {
        sc_time d;
        return m.read(a, &v, 4, d);
    }
    static tlm::tlm_response_status write(BusMaster& m, std::uint64_t a, std::uint32_t v) {
        sc_time d;
        return m.write(a, &v, 4, d);
    }
};

}  // namespace

TEST_CASE("firewall: the owner passes, anyone else gets an error response, an event, a latched record and an interrupt") {
    Bench b;
    test::run_thread([&] {
        std::uint32_t v = 0;
        CHECK(Bench::write(b.a7, 0x80000010, 0x1234) == tlm::TLM_OK_RESPONSE);
        CHECK(Bench::read(b.rt0, 0x80000010, v) == tlm::TLM_GENERIC_ERROR_RESPONSE);
        CHECK(v == 0);  // nothing leaked into the refused read
        CHECK_FALSE(b.irq.level());
        sc_core::wait(sc_core::SC_ZERO_TIME);  // the interrupt is a signal: visible one delta later
        CHECK(b.irq.level());
        // The first violation is latched for the security core to read.
        REQUIRE(Bench::read(b.sec, 0x30000000 + Firewall::FW_VIOL_ADDR, v) == tlm::TLM_OK_RESPONSE);
        CHECK(v == 0x80000010);
        REQUIRE(Bench::read(b.sec, 0x30000000 + Firewall::FW_VIOL_INFO, v) == tlm::TLM_OK_RESPONSE);
        CHECK((v & 0xFFFF) == 1);                                  // initiator rt0
        CHECK(((v >> 16) & 0xFF) == 0);                            // slot 0
        CHECK(((v >> 24) & 1) == 0);                               // a read
        CHECK(((v >> 25) & 7) == static_cast<std::uint32_t>(FirewallRefusal::not_owner));
        // A second violation counts, but does not overwrite the latched first one.
        CHECK(Bench::write(b.rt0, 0x80000020, 1) == tlm::TLM_GENERIC_ERROR_RESPONSE);
        Bench::read(b.sec, 0x30000000 + Firewall::FW_VIOL_ADDR, v);
        CHECK(v == 0x80000010);
        Bench::read(b.sec, 0x30000000 + Firewall::FW_VIOL_COUNT, v);
        CHECK(v == 2);
        // W1C clears the status and drops the line.
        CHECK(Bench::write(b.sec, 0x30000000 + Firewall::FW_INT_STS, Firewall::INT_VIOLATION) == tlm::TLM_OK_RESPONSE);
        sc_core::wait(sc_core::SC_ZERO_TIME);
        CHECK_FALSE(b.irq.level());
    });
    REQUIRE(b.ctx.log.count(ev::firewall_violation) == 2);
    const auto* e = b.ctx.log.first(ev::firewall_violation);
    CHECK(e->field("initiator") == "rt0");
    CHECK(e->field("address") == "0x80000010");
    CHECK(e->field("region") == "ram");
    CHECK(e->field("owners") == "a7");
    CHECK(e->field("access") == "read");
    CHECK(e->field("reason") == "not-owner");
    CHECK(e->field("mode") == "error");
    CHECK(b.ram.dump(0x20, 4) == Bytes{0, 0, 0, 0});  // the refused write never landed
}

TEST_CASE("firewall: a read-as-zero/write-ignored region answers OK with zeros and drops writes, and still reports") {
    Bench b;
    b.uart.receive("x");
    test::run_thread([&] {
        std::uint32_t v = 0xFFFFFFFF;
        CHECK(Bench::read(b.a7, 0x38070500 + Uart::RBR_THR, v) == tlm::TLM_OK_RESPONSE);
        CHECK(v == 0);  // the byte waiting in the UART was not popped
        CHECK(Bench::write(b.a7, 0x38070500 + Uart::RBR_THR, 'A') == tlm::TLM_OK_RESPONSE);
        CHECK(b.uart.transcript().empty());
        CHECK(Bench::read(b.rt0, 0x38070500 + Uart::RBR_THR, v) == tlm::TLM_OK_RESPONSE);
        CHECK(v == 'x');  // the owner gets the real byte
    });
    REQUIRE(b.ctx.log.count(ev::firewall_violation) == 2);
    CHECK(b.ctx.log.first(ev::firewall_violation)->field("mode") == "raz-wi");
}

TEST_CASE("firewall: rules are programmed by the secure world only, and lock until reset") {
    Bench b;
    test::run_thread([&] {
        std::uint32_t v = 0;
        // The normal world cannot read or write the firewall (the register bank refuses it).
        CHECK(Bench::write(b.a7, 0x30000000 + Firewall::slot_owners(0), 0b011) != tlm::TLM_OK_RESPONSE);
        CHECK(b.fw.rule(0).owners == 0b001);
        // The security core hands the RAM to rt0 as well.
        CHECK(Bench::read(b.sec, 0x30000000 + Firewall::FW_ID, v) == tlm::TLM_OK_RESPONSE);
        CHECK(v == (3u | 3u << 8));  // three slots, three initiators
        CHECK(Bench::write(b.sec, 0x30000000 + Firewall::slot_owners(0), 0b011) == tlm::TLM_OK_RESPONSE);
        CHECK(Bench::read(b.rt0, 0x80000000, v) == tlm::TLM_OK_RESPONSE);
        // Lock: from now on every rule and the lock itself refuse writes with a bus error.
        CHECK(Bench::write(b.sec, 0x30000000 + Firewall::FW_CTRL, Firewall::CTRL_LOCK) == tlm::TLM_OK_RESPONSE);
        CHECK(b.fw.locked());
        const auto errors = b.fw.registers().guest_errors();
        CHECK(Bench::write(b.sec, 0x30000000 + Firewall::slot_owners(0), 0b001) == tlm::TLM_COMMAND_ERROR_RESPONSE);
        CHECK(Bench::write(b.sec, 0x30000000 + Firewall::slot_flags(0), Firewall::FLAG_RAZ_WI) == tlm::TLM_COMMAND_ERROR_RESPONSE);
        CHECK(Bench::write(b.sec, 0x30000000 + Firewall::FW_CTRL, 0) == tlm::TLM_COMMAND_ERROR_RESPONSE);
        CHECK(b.fw.registers().guest_errors() == errors + 3);
        CHECK(b.fw.locked());
        CHECK(b.fw.rule(0).owners == 0b011);
        // A device reset brings back the reset rules, unlocked.
        b.fw.reset();
        CHECK_FALSE(b.fw.locked());
        CHECK(b.fw.rule(0).owners == 0b001);
        CHECK(Bench::read(b.rt0, 0x80000000, v) == tlm::TLM_GENERIC_ERROR_RESPONSE);
    });
    CHECK(b.ctx.log.count(ev::firewall_locked) == 1);
    REQUIRE(b.ctx.log.count(ev::firewall_rule_changed) == 1);
    CHECK(b.ctx.log.first(ev::firewall_rule_changed)->field("owners") == "a7,rt0");
}

TEST_CASE("firewall: secure-only and privileged-only rules name their reason") {
    Bench b;
    test::run_thread([&] {
        std::uint32_t v = 0;
        Bench::write(b.sec, 0x30000000 + Firewall::slot_owners(0), 0b111);
        Bench::write(b.sec, 0x30000000 + Firewall::slot_flags(0), Firewall::FLAG_SECURE_ONLY);
        CHECK(Bench::read(b.a7, 0x80000000, v) == tlm::TLM_GENERIC_ERROR_RESPONSE);
        CHECK(Bench::read(b.sec, 0x80000000, v) == tlm::TLM_OK_RESPONSE);
        Bench::write(b.sec, 0x30000000 + Firewall::slot_flags(0), Firewall::FLAG_PRIVILEGED_ONLY);
        CHECK(Bench::read(b.a7, 0x80000000, v) == tlm::TLM_OK_RESPONSE);
        b.a7.set_privilege(Privilege::user);
        CHECK(Bench::read(b.a7, 0x80000004, v) == tlm::TLM_GENERIC_ERROR_RESPONSE);
    });
    std::vector<std::string> reasons;
    for (const auto& e : b.ctx.log.events())
        if (e.is(ev::firewall_violation)) reasons.push_back(e.field("reason"));
    CHECK(reasons == std::vector<std::string>{"secure-only", "privileged-only"});
}

TEST_CASE("firewall: a DMI pointer granted under a rule is withdrawn when the rule changes, and debug access obeys too") {
    Bench b;
    test::run_thread([&] {
        std::uint32_t v = 0;
        REQUIRE(Bench::write(b.a7, 0x80000000, 7) == tlm::TLM_OK_RESPONSE);  // grants a7 a DMI pointer
        CHECK(Bench::read(b.a7, 0x80000000, v) == tlm::TLM_OK_RESPONSE);    // served from it
        CHECK(v == 7);
        Bench::write(b.sec, 0x30000000 + Firewall::slot_owners(0), 0b010);  // the RAM now belongs to rt0
        CHECK(Bench::read(b.a7, 0x80000000, v) == tlm::TLM_GENERIC_ERROR_RESPONSE);
        // A debugger attached as a7 is refused silently; as the owner it reads.
        std::uint32_t d = 0;
        CHECK_FALSE(b.a7.debug_read(0x80000000, &d, 4));
        CHECK(b.rt0.debug_read(0x80000000, &d, 4));
        CHECK(d == 7);
    });
    CHECK(b.ctx.log.count(ev::firewall_violation) == 1);  // debug refusals are not violations
}

namespace {
// A bus master that forgot to say who it is (no BusInitiator extension).
struct AnonymousMaster : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<AnonymousMaster> socket{"socket"};
    explicit AnonymousMaster(sc_core::sc_module_name n) : sc_module(n) {}
};
}  // namespace

TEST_CASE("firewall: an access that does not say who it is, is refused (fail closed)") {
    Bench b;
    AnonymousMaster anon("anon");
    anon.socket.bind(b.bus.from_initiators);
    test::run_thread([&] {
        tlm::tlm_generic_payload tx;
        std::uint32_t v = 0;
        tx.set_command(tlm::TLM_READ_COMMAND);
        tx.set_address(0x80000000);
        tx.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
        tx.set_data_length(4);
        tx.set_streaming_width(4);
        tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_time d;
        anon.socket->b_transport(tx, d);
        CHECK(tx.get_response_status() == tlm::TLM_GENERIC_ERROR_RESPONSE);
    });
    REQUIRE(b.ctx.log.count(ev::firewall_violation) == 1);
    CHECK(b.ctx.log.first(ev::firewall_violation)->field("reason") == "no-initiator-identity");
}

// The inter-core mailbox as a driver sees it: push a {cmd, data} pair on one side, the other
// side gets an RX interrupt and pops it, the sender gets TX_CONFIRMED; 15 entries deep.
#include <catch2/catch.hpp>

#include "models/base/bus_master.h"
#include "models/bus/router.h"
#include "models/periph/mailbox.h"
#include "tests/support/sim.h"

using namespace svp;
using sc_core::sc_time;
using sc_core::SC_NS;
using S = MailboxSide;

namespace {
struct Rig {
    test::SimContext ctx;
    Router bus{"bus", ctx.device, sc_time(2, SC_NS)};
    Mailbox box{"mbox", ctx.device, sc_time(10, SC_NS)};
    IrqLine irq_a{"irq_a"}, irq_b{"irq_b"};
    BusMaster a7{"a7", BusInitiator(0, "a7", World::normal, Privilege::privileged)};
    BusMaster sec{"sec", BusInitiator(1, "sec", World::secure, Privilege::privileged)};
    static constexpr std::uint64_t A = 0x31000000, B = 0x21050000;
    Rig() {
        bus.map({"mbox.a", A, 0x100, bus.attach(box.side(0).socket), 0, {0}, false});
        bus.map({"mbox.b", B, 0x100, bus.attach(box.side(1).socket), 0, {1}, false});
        box.side(0).set_irq(&irq_a);
        box.side(1).set_irq(&irq_b);
        a7.socket.bind(bus.from_initiators);
        sec.socket.bind(bus.from_initiators);
    }
    std::uint32_t rd(BusMaster& m, std::uint64_t a) {
        sc_time d;
        std::uint32_t v = 0;
        REQUIRE(m.read(a, &v, 4, d) == tlm::TLM_OK_RESPONSE);
        return v;
    }
    void wr(BusMaster& m, std::uint64_t a, std::uint32_t v) {
        sc_time d;
        REQUIRE(m.write(a, &v, 4, d) == tlm::TLM_OK_RESPONSE);
    }
};
}  // namespace

TEST_CASE("a pushed pair reaches the other side with an RX interrupt, and popping confirms it") {
    Rig r;
    REQUIRE_RUNS([&] {
        r.wr(r.sec, Rig::B + S::INT_EN, S::INT_RX);
        r.wr(r.a7, Rig::A + S::INT_EN, S::INT_TX_CONFIRMED);
        r.wr(r.a7, Rig::A + S::DATA_PUSH, 0x80001000);
        r.wr(r.a7, Rig::A + S::CMD_PUSH, 0x02000141);
        CHECK(r.rd(r.a7, Rig::A + S::FIFO_PUSH_CNT) == 1);
        wait(sc_time(1, SC_NS));  // the interrupt line settles after a delta
        CHECK(r.irq_b.level());
        CHECK_FALSE(r.irq_a.level());
        CHECK(r.rd(r.sec, Rig::B + S::FIFO_POP_CNT) == 1);
        CHECK(r.rd(r.sec, Rig::B + S::DATA_POP) == 0x80001000);
        CHECK(r.rd(r.sec, Rig::B + S::DATA_POP) == 0x80001000);  // reading data does not pop
        CHECK(r.rd(r.sec, Rig::B + S::CMD_POP) == 0x02000141);
        CHECK(r.rd(r.sec, Rig::B + S::FIFO_POP_CNT) == 0);
        r.wr(r.sec, Rig::B + S::INT_STS, S::INT_RX);
        wait(sc_time(1, SC_NS));
        CHECK_FALSE(r.irq_b.level());
        CHECK(r.irq_a.level());  // TX_CONFIRMED on the sender
        CHECK(r.rd(r.a7, Rig::A + S::INT_STS) & S::INT_TX_CONFIRMED);
    });
}

TEST_CASE("the FIFO holds 15 pairs, a 16th push is dropped as a guest error") {
    Rig r;
    REQUIRE_RUNS([&] {
        for (std::uint32_t i = 0; i < 16; ++i) {
            r.wr(r.a7, Rig::A + S::DATA_PUSH, i);
            r.wr(r.a7, Rig::A + S::CMD_PUSH, 100 + i);
        }
        CHECK(r.rd(r.a7, Rig::A + S::FIFO_PUSH_CNT) == 15);
        CHECK(r.box.side(0).registers().guest_errors() == 1);  // the 16th, dropped
        for (std::uint32_t i = 0; i < 15; ++i) CHECK(r.rd(r.sec, Rig::B + S::CMD_POP) == 100 + i);
        CHECK(r.rd(r.sec, Rig::B + S::FIFO_POP_CNT) == 0);
    });
}

TEST_CASE("software doorbells set the peer's SW_RX_INT_STS and raise its line when enabled") {
    Rig r;
    REQUIRE_RUNS([&] {
        r.wr(r.sec, Rig::B + S::SW_RX_INT_EN, 0x2);
        r.wr(r.a7, Rig::A + S::SW_TX_INT_PORT, 0x2);
        wait(sc_time(1, SC_NS));
        CHECK(r.rd(r.sec, Rig::B + S::SW_RX_INT_STS) == 0x2);
        CHECK(r.irq_b.level());
        r.wr(r.sec, Rig::B + S::SW_RX_INT_STS, 0x2);
        wait(sc_time(1, SC_NS));
        CHECK_FALSE(r.irq_b.level());
    });
}

TEST_CASE("each side sees only its own window: the app core cannot reach the security side") {
    Rig r;
    REQUIRE_RUNS([&] {
        sc_time d;
        std::uint32_t v = 0;
        CHECK(r.a7.read(Rig::B + S::CMD_POP, &v, 4, d) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    });
}

TEST_CASE("the per-direction lines: WR rises when the peer pops (TX_CONFIRMED), RD when the peer pushes (RX)") {
    Rig r;
    IrqLine wr_a("wr_a"), rd_a("rd_a");
    r.box.side(0).set_direction_irqs(&wr_a, &rd_a);
    test::run_thread([&] {
        r.wr(r.a7, Rig::A + S::INT_EN, S::INT_TX_CONFIRMED | S::INT_RX);
        r.wr(r.a7, Rig::A + S::CMD_PUSH, 1);
        r.rd(r.sec, Rig::B + S::CMD_POP);
        wait(sc_time(1, SC_NS));
        CHECK(wr_a.level());
        CHECK_FALSE(rd_a.level());
        CHECK(r.irq_a.level());
        r.wr(r.a7, Rig::A + S::INT_STS, S::INT_TX_CONFIRMED);
        r.wr(r.sec, Rig::B + S::CMD_PUSH, 2);
        wait(sc_time(1, SC_NS));
        CHECK_FALSE(wr_a.level());
        CHECK(rd_a.level());
        CHECK(r.irq_a.level());
    });
}

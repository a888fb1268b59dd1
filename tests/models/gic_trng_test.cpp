// The app core's GIC (GICv2 subset) and the security core's TRNG, read like their datasheets.
#include <catch2/catch.hpp>

#include "models/periph/gic.h"
#include "common/crypto/deterministic_random.h"
#include "models/periph/trng.h"
#include "tests/support/periph_bench.h"

using namespace svp;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

namespace {
constexpr std::uint64_t kDist = 0x00101000, kCpu = 0x00102000;
}

TEST_CASE("GIC: reset values (TYPER, IIDR, spurious IAR) and unmapped offsets") {
    test::PeriphBench b;
    IrqLine out("a7_irq");
    Gic gic("gic", b.ctx.device, sc_time(10, SC_NS), 160, &out);
    b.attach("gicd", gic.distributor().socket, kDist);
    b.attach("gicc", gic.cpu_interface().socket, kCpu);
    test::run_thread([&] {
        CHECK(b.rd(kDist + Gic::GICD_CTLR) == 0);
        CHECK(b.rd(kDist + Gic::GICD_TYPER) == 4);  // (160 / 32) - 1
        CHECK(b.rd(kDist + Gic::GICD_IIDR) == 0x0200043B);
        CHECK(b.rd(kCpu + Gic::GICC_IAR) == Gic::kSpurious);
        CHECK(b.rd(kCpu + Gic::GICC_RPR) == 0xFF);
        CHECK(b.unmapped_is_bus_error(gic.distributor(), kDist + 0xF00));
        CHECK(b.unmapped_is_bus_error(gic.cpu_interface(), kCpu + 0x1C));
    });
}

TEST_CASE("GIC: an enabled line raised at t signals the core at t, priority orders, PMR masks, IAR/EOIR nest") {
    test::PeriphBench b;
    IrqLine out("a7_irq"), uart("uart_isu0"), mbox("mbox_sec_a7");
    Gic gic("gic", b.ctx.device, sc_time(10, SC_NS), 160, &out);
    b.attach("gicd", gic.distributor().socket, kDist);
    b.attach("gicc", gic.cpu_interface().socket, kCpu);
    gic.connect(32 + 24, uart);        // ISU0 UART: SPI 24 (DTSI)
    gic.connect(32 + 42, mbox, true);  // mailbox WR: SPI 42, edge (DTSI)
    // Before the simulation: a C++ exception after SystemC's thread switches trips
    // AddressSanitizer's stack bookkeeping (a false positive), so refusals are checked here.
    CHECK_THROWS_AS(gic.connect(32 + 24, uart), std::invalid_argument);
    CHECK_THROWS_AS(gic.connect(7, uart), std::invalid_argument);
    test::run_thread([&] {
        b.wr(kDist + Gic::GICD_CTLR, 1);
        b.wr(kCpu + Gic::GICC_CTLR, 1);
        b.wr(kCpu + Gic::GICC_PMR, 0xF0);
        b.wr(kDist + Gic::GICD_ISENABLER + 4 * 1, 1u << (56 - 32));
        b.wr(kDist + Gic::GICD_ISENABLER + 4 * 2, 1u << (74 - 64));
        b.wr(kDist + Gic::GICD_IPRIORITYR + 56, 0xA0);  // byte 56 -> register 14, lane 0
        b.wr(kDist + Gic::GICD_IPRIORITYR + 72, 0x00500000);  // id 74: lane 2 of register 18
        sc_core::wait(sc_time(1, SC_US));
        const auto t = b.now();
        uart.raise();
        sc_core::wait(out.rising());
        CHECK(b.now() == t);
        CHECK(b.rd(kCpu + Gic::GICC_HPPIR) == 56);
        CHECK(b.rd(kCpu + Gic::GICC_IAR) == 56);  // acknowledged: active
        CHECK(b.rd(kCpu + Gic::GICC_RPR) == 0xA0);
        // A more urgent edge interrupt pre-empts; a less urgent one would wait.
        mbox.raise();
        sc_core::wait(sc_core::SC_ZERO_TIME);
        sc_core::wait(sc_core::SC_ZERO_TIME);
        mbox.lower();
        sc_core::wait(sc_core::SC_ZERO_TIME);
        CHECK(gic.pending(74));  // the edge was latched
        CHECK(b.rd(kCpu + Gic::GICC_IAR) == 74);
        CHECK(b.rd(kCpu + Gic::GICC_RPR) == 0x50);
        b.wr(kCpu + Gic::GICC_EOIR, 74);
        CHECK(b.rd(kCpu + Gic::GICC_RPR) == 0xA0);
        b.wr(kCpu + Gic::GICC_EOIR, 56);
        // The UART line is still high (level): pending again at once.
        CHECK(b.rd(kCpu + Gic::GICC_HPPIR) == 56);
        uart.lower();
        sc_core::wait(sc_core::SC_ZERO_TIME);
        sc_core::wait(sc_core::SC_ZERO_TIME);
        CHECK(b.rd(kCpu + Gic::GICC_IAR) == Gic::kSpurious);
        CHECK_FALSE(out.level());
        // PMR masks: priority 0xA0 is not below a mask of 0x80.
        b.wr(kCpu + Gic::GICC_PMR, 0x80);
        uart.raise();
        sc_core::wait(sc_core::SC_ZERO_TIME);
        sc_core::wait(sc_core::SC_ZERO_TIME);
        CHECK(gic.pending(56));
        CHECK_FALSE(out.level());
        // EOIR of an interrupt that is not active is a guest error.
        const auto errors = gic.cpu_interface().registers().guest_errors();
        b.wr(kCpu + Gic::GICC_EOIR, 56);
        CHECK(gic.cpu_interface().registers().guest_errors() == errors + 1);
    });
}

TEST_CASE("TRNG: enabled at t, a word is READY at t + word time, reading takes it, words come from the seeded generator") {
    test::PeriphBench b;
    IrqLine irq("trng_irq");
    Trng trng("trng", b.ctx.device, sc_time(10, SC_NS), sc_time(200, SC_NS), &irq);
    b.attach("trng", trng.socket, 0x21100000);
    crypto::DeterministicRandom expected(1, "dev0/model");  // the SimContext device's generator
    test::run_thread([&] {
        CHECK(b.rd(0x21100000 + Trng::TRNG_STATUS) == 0);
        CHECK(b.rd(0x21100000 + Trng::TRNG_DATA) == 0);  // nothing READY: 0 and a guest error
        CHECK(trng.registers().guest_errors() == 1);
        b.wr(0x21100000 + Trng::TRNG_INT_EN, Trng::INT_READY);
        const auto t = b.now();
        b.wr(0x21100000 + Trng::TRNG_CTRL, Trng::CTRL_EN);
        sc_core::wait(irq.rising());
        CHECK(b.now() - t == sc_time(200, SC_NS));
        CHECK(b.rd(0x21100000 + Trng::TRNG_STATUS) == Trng::STATUS_READY);
        for (int i = 0; i < 4; ++i) {
            if (i) sc_core::wait(irq.rising());
            CHECK(b.rd(0x21100000 + Trng::TRNG_DATA) == static_cast<std::uint32_t>(expected.next_u64()));
            CHECK(b.rd(0x21100000 + Trng::TRNG_STATUS) == 0);
        }
    });
    CHECK(trng.words_delivered() == 4);
}

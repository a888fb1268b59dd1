// The assembled mt3620 device as firmware would find it: the GIC sees a peripheral's line at
// its DTSI SPI number, a missed watchdog kick reaches the platform's reset listeners, a pin the
// host drives reaches the A7 through its GPIO block, and the RTC starts at the epoch it is given.
#include <catch2/catch.hpp>

#include "models/base/bus_master.h"
#include "models/net/host_bridge.h"
#include "platform/device.h"
#include "tests/support/sim.h"

using namespace svp;
using sc_core::sc_time;

namespace {

struct Mt3620 {
    test::SimContext ctx;
    HostBridge bridge;
    Device device{"dev0", load_variant(find_variant("mt3620")), ctx.device, bridge};
    BusMaster a7{"probe_a7", device.initiator("a7")};
    BusMaster rt0{"probe_rt0", device.initiator("rt0")};
    Mt3620() {
        a7.socket.bind(device.router().from_initiators);
        rt0.socket.bind(device.router().from_initiators);
    }
    static std::uint32_t rd(BusMaster& m, std::uint64_t a) {
        std::uint32_t v = 0;
        sc_time d;
        REQUIRE(m.read(a, &v, 4, d) == tlm::TLM_OK_RESPONSE);
        return v;
    }
    static void wr(BusMaster& m, std::uint64_t a, std::uint32_t v) {
        sc_time d;
        REQUIRE(m.write(a, &v, 4, d) == tlm::TLM_OK_RESPONSE);
    }
};

constexpr std::uint64_t kGicd = 0x00101000, kGicc = 0x00102000, kIsu0Uart = 0x38070500;

}  // namespace

TEST_CASE("mt3620: the ISU0 UART's receive interrupt reaches the A7 through the GIC as id 32 + SPI 24") {
    Mt3620 p;
    test::run_thread([&] {
        Mt3620::wr(p.a7, kGicd + Gic::GICD_CTLR, 1);
        Mt3620::wr(p.a7, kGicc + Gic::GICC_CTLR, 1);
        Mt3620::wr(p.a7, kGicc + Gic::GICC_PMR, 0xFF);
        Mt3620::wr(p.a7, kGicd + Gic::GICD_ISENABLER + 4 * ((32 + 24) / 32), 1u << ((32 + 24) % 32));
        Mt3620::wr(p.a7, kIsu0Uart + Uart::IER, Uart::IER_ERBFI);
        const auto t = sc_core::sc_time_stamp();
        p.device.uart("uart_a7").receive("x");
        sc_core::wait(p.device.irq("a7_irq").rising());
        CHECK(sc_core::sc_time_stamp() == t);
        CHECK(Mt3620::rd(p.a7, kGicc + Gic::GICC_IAR) == 32 + 24);
        CHECK(Mt3620::rd(p.a7, kIsu0Uart + Uart::RBR_THR) == 'x');
        Mt3620::wr(p.a7, kGicc + Gic::GICC_EOIR, 32 + 24);
    });
}

TEST_CASE("mt3620: a missed kick of rt0's watchdog asks the platform to reset core rt0") {
    Mt3620 p;
    std::vector<ResetRequest> requests;
    p.device.on_reset_request([&](const ResetRequest& r) { requests.push_back(r); });
    test::run_thread([&] {
        constexpr std::uint64_t kWdt = 0x21020000;  // rt0's local watchdog
        Mt3620::wr(p.rt0, kWdt + Watchdog::WDT_LENGTH, (2u << 5) | Watchdog::LENGTH_KEY);  // 1/16 s
        Mt3620::wr(p.rt0, kWdt + Watchdog::WDT_MODE, (Watchdog::MODE_KEY << 8) | Watchdog::MODE_ENABLE);
        sc_core::wait(sc_time(100, sc_core::SC_MS));
        CHECK(Mt3620::rd(p.rt0, kWdt + Watchdog::WDT_STA) == Watchdog::STA_HW);
    });
    REQUIRE(requests.size() == 1);
    CHECK(requests.front().scope == ResetRequest::Scope::core);
    CHECK(requests.front().core == "rt0");
    CHECK(requests.front().source == "dev0.wdt_rt0");
    CHECK(p.device.core_in_reset("rt0").read());
}

TEST_CASE("mt3620: a pin the host drives reads in the A7's GPIO block, and an A7 output is visible to the host") {
    Mt3620 p;
    test::run_thread([&] {
        constexpr std::uint64_t kGpio0 = 0x38010000, kNonmap = 0x30020000;
        p.device.gpio_pins().drive(2, true);
        CHECK(Mt3620::rd(p.a7, kGpio0 + Gpio::DIN) == 0b0100);
        Mt3620::wr(p.a7, kNonmap + Gpio::OE, 1u << 21);
        Mt3620::wr(p.a7, kNonmap + Gpio::DOUT, 1u << 21);
        CHECK(p.device.gpio_pins().level(93));
        // The firewall: rt0 does not own the GPIO block.
        std::uint32_t v = 0;
        sc_time d;
        CHECK(p.rt0.read(kGpio0 + Gpio::DIN, &v, 4, d) == tlm::TLM_GENERIC_ERROR_RESPONSE);
    });
    CHECK(p.device.gpio_pins().count() == 94);
}

TEST_CASE("mt3620: the RTC shows the provisioned epoch at power-on and counts in simulated time") {
    Mt3620 p;
    Provisioning prov;
    prov.rtc_epoch_unix_s = 1767225600;  // 2026-01-01T00:00:00Z
    p.device.provision(prov);
    test::run_thread([&] {
        CHECK(Mt3620::rd(p.a7, 0x30090000 + Rtc::RTC_TIME_S) == 1767225600u);
        sc_core::wait(sc_time(2.5, sc_core::SC_SEC));
        CHECK(Mt3620::rd(p.a7, 0x30090000 + Rtc::RTC_TIME_S) == 1767225602u);
    }, sc_time(10, sc_core::SC_SEC));
}

// GPT, watchdog and RTC, read like their datasheets: reset values, a register written at t and
// an interrupt expected at t + N ticks, W1C status, keys, unmapped offsets.
#include <catch2/catch.hpp>

#include "models/periph/gpt.h"
#include "models/periph/rtc.h"
#include "models/periph/watchdog.h"
#include "tests/support/periph_bench.h"

using namespace svp;
using sc_core::sc_time;
using sc_core::SC_MS;
using sc_core::SC_NS;
using sc_core::SC_SEC;
using sc_core::SC_US;

namespace {
constexpr std::uint64_t kGpt = 0x21030000, kWdt = 0x21020000, kRtc = 0x30090000;
// 32768 Hz ticks, exactly as the model computes them: tick n begins at ceil(n / 32768 s).
sc_time ticks32k(std::uint64_t n) { return sc_time(static_cast<double>((n * 1'000'000'000'000ull + 32767) / 32768), sc_core::SC_PS); }
}  // namespace

TEST_CASE("GPT: reset values, and unmapped offsets are bus errors") {
    test::PeriphBench b;
    IrqLine irq("gpt_irq");
    Gpt gpt("gpt", b.ctx.device, sc_time(10, SC_NS), 26'000'000, 26'000'000, &irq);
    b.attach("gpt", gpt.socket, kGpt);
    test::run_thread([&] {
        for (std::uint32_t off : {Gpt::GPT_ISR, Gpt::GPT_IER, Gpt::GPT0_CTRL, Gpt::GPT0_ICNT, Gpt::GPT1_CTRL, Gpt::GPT1_ICNT,
                                  Gpt::GPT2_CTRL, Gpt::GPT2_CNT, Gpt::GPT0_CNT, Gpt::GPT1_CNT, Gpt::GPT3_CTRL, Gpt::GPT3_INIT,
                                  Gpt::GPT3_CNT, Gpt::GPT3_EXPIRE, Gpt::GPT4_CTRL, Gpt::GPT4_INIT, Gpt::GPT4_CNT}) {
            INFO("offset " << off);
            CHECK(b.rd(kGpt + off) == 0);
            CHECK(b.last == tlm::TLM_OK_RESPONSE);
        }
        CHECK(b.unmapped_is_bus_error(gpt, kGpt + 0x08));  // reserved (res_2_3)
        CHECK(b.unmapped_is_bus_error(gpt, kGpt + 0x6C));  // past GPT4_CNT
    });
}

TEST_CASE("GPT0 one-shot at 32 kHz: enabled at t with ICNT = 100, interrupts at t + 100 ticks, counts down, then stops") {
    test::PeriphBench b;
    IrqLine irq("gpt_irq");
    Gpt gpt("gpt", b.ctx.device, sc_time(10, SC_NS), 26'000'000, 26'000'000, &irq);
    b.attach("gpt", gpt.socket, kGpt);
    test::run_thread([&] {
        sc_core::wait(sc_time(1, SC_MS));
        b.wr(kGpt + Gpt::GPT_IER, 1);
        b.wr(kGpt + Gpt::GPT0_ICNT, 100);
        const auto t = b.now();
        b.wr(kGpt + Gpt::GPT0_CTRL, Gpt::CTRL_EN | Gpt::CTRL_SPEED_32K);
        sc_core::wait(ticks32k(50));
        CHECK(b.rd(kGpt + Gpt::GPT0_CNT) == 50);
        sc_core::wait(irq.rising());
        CHECK(b.now() - t == ticks32k(100));
        CHECK(b.rd(kGpt + Gpt::GPT_ISR) == 1);
        CHECK(b.rd(kGpt + Gpt::GPT0_CNT) == 0);
        CHECK((b.rd(kGpt + Gpt::GPT0_CTRL) & Gpt::CTRL_EN) == 0);  // one-shot: stopped
        b.wr(kGpt + Gpt::GPT_ISR, 1);  // W1C
        sc_core::wait(sc_core::SC_ZERO_TIME);
        CHECK_FALSE(irq.level());
        CHECK(b.rd(kGpt + Gpt::GPT_ISR) == 0);
    });
}

TEST_CASE("GPT1 auto-repeat at 1 kHz (32768/33 Hz): interrupts every ICNT ticks, masked by IER") {
    test::PeriphBench b;
    IrqLine irq("gpt_irq");
    Gpt gpt("gpt", b.ctx.device, sc_time(10, SC_NS), 26'000'000, 26'000'000, &irq);
    b.attach("gpt", gpt.socket, kGpt);
    test::run_thread([&] {
        b.wr(kGpt + Gpt::GPT_IER, 2);
        b.wr(kGpt + Gpt::GPT1_ICNT, 10);
        const auto t = b.now();
        b.wr(kGpt + Gpt::GPT1_CTRL, Gpt::CTRL_EN | Gpt::CTRL_MODE_REPEAT);
        const auto period = sc_time(static_cast<double>((10ull * 33 * 1'000'000'000'000ull + 32767) / 32768), sc_core::SC_PS);
        sc_core::wait(irq.rising());
        CHECK(b.now() - t == period);
        b.wr(kGpt + Gpt::GPT_ISR, 2);
        sc_core::wait(irq.rising());
        CHECK(b.now() - t >= period * 2.0 - sc_time(1, sc_core::SC_PS));
        CHECK(b.now() - t <= period * 2.0 + sc_time(1, sc_core::SC_PS));
        // IER cleared: the status still latches but the line stays low.
        b.wr(kGpt + Gpt::GPT_IER, 0);
        b.wr(kGpt + Gpt::GPT_ISR, 2);
        sc_core::wait(period);
        CHECK(b.rd(kGpt + Gpt::GPT_ISR) == 2);
        CHECK_FALSE(irq.level());
    });
}

TEST_CASE("GPT3 counts up at 1 MHz from INIT and interrupts at EXPIRE, ICLR clears it, GPT2 and GPT4 run free") {
    test::PeriphBench b;
    IrqLine irq("gpt_irq");
    Gpt gpt("gpt", b.ctx.device, sc_time(10, SC_NS), 26'000'000, 160'000'000, &irq);
    b.attach("gpt", gpt.socket, kGpt);
    test::run_thread([&] {
        b.wr(kGpt + Gpt::GPT3_INIT, 1000);
        b.wr(kGpt + Gpt::GPT3_EXPIRE, 1250);
        const auto t = b.now();
        b.wr(kGpt + Gpt::GPT3_CTRL, Gpt::CTRL_EN | (25u << 16));  // OSC_CNT_1US = 26 MHz / 1 MHz - 1
        b.wr(kGpt + Gpt::GPT2_CTRL, Gpt::CTRL_EN | Gpt::GPT2_SPEED_32K);
        b.wr(kGpt + Gpt::GPT4_CTRL, Gpt::CTRL_EN | Gpt::GPT4_SPEED_BUS);
        sc_core::wait(sc_time(100, SC_US));
        CHECK(b.rd(kGpt + Gpt::GPT3_CNT) == 1100);
        CHECK(b.rd(kGpt + Gpt::GPT4_CNT) == 16000);  // 100 us at 160 MHz
        CHECK(b.rd(kGpt + Gpt::GPT2_CNT) == 3);      // 100 us at 32768 Hz
        sc_core::wait(irq.rising());
        CHECK(b.now() - t == sc_time(250, SC_US));
        b.wr(kGpt + Gpt::GPT3_CTRL, Gpt::CTRL_EN | (25u << 16) | Gpt::GPT3_ICLR);
        sc_core::wait(sc_core::SC_ZERO_TIME);
        CHECK_FALSE(irq.level());
    });
}

TEST_CASE("WDT: reset values, keys, and a missed kick resets the owning core at t + length / 32 s") {
    test::PeriphBench b;
    IrqLine irq("wdt_irq");
    Watchdog wdt("wdt_rt0", b.ctx.device, sc_time(10, SC_NS), ResetRequest{ResetRequest::Scope::core, "rt0", "", ""}, &irq);
    b.attach("wdt", wdt.socket, kWdt);
    std::vector<ResetRequest> requests;
    std::vector<sc_time> at;
    wdt.on_reset_request([&](const ResetRequest& r) {
        requests.push_back(r);
        at.push_back(sc_core::sc_time_stamp());
    });
    sc_time t;
    test::run_thread([&] {
        CHECK(b.rd(kWdt + Watchdog::WDT_MODE) == 0);
        CHECK(b.rd(kWdt + Watchdog::WDT_LENGTH) == (0x7FFu << 5));
        CHECK(b.rd(kWdt + Watchdog::WDT_STA) == 0);
        CHECK(b.unmapped_is_bus_error(wdt, kWdt + 0x00));
        // Without its key a write is ignored (and is a guest error).
        const auto errors = wdt.registers().guest_errors();
        b.wr(kWdt + Watchdog::WDT_MODE, Watchdog::MODE_ENABLE);
        CHECK(b.rd(kWdt + Watchdog::WDT_MODE) == 0);
        CHECK(wdt.registers().guest_errors() == errors + 1);
        // 16 ticks = 0.5 s, then enable; kick at 0.4 s; then stop kicking.
        b.wr(kWdt + Watchdog::WDT_LENGTH, (16u << 5) | Watchdog::LENGTH_KEY);
        b.wr(kWdt + Watchdog::WDT_MODE, (Watchdog::MODE_KEY << 8) | Watchdog::MODE_ENABLE);
        CHECK(b.rd(kWdt + Watchdog::WDT_MODE) == Watchdog::MODE_ENABLE);
        sc_core::wait(sc_time(400, SC_MS));
        b.wr(kWdt + Watchdog::WDT_RESTART, 0x1234);  // wrong key: no kick
        b.wr(kWdt + Watchdog::WDT_RESTART, Watchdog::RESTART_KEY);
        t = b.now();
        sc_core::wait(sc_time(2, SC_SEC));
        CHECK(b.rd(kWdt + Watchdog::WDT_STA) == Watchdog::STA_HW);  // why the core restarted
        CHECK(b.rd(kWdt + Watchdog::WDT_MODE) == 0);                // and the watchdog is reset
    });
    REQUIRE(requests.size() == 1);
    CHECK(at.front() - t == sc_time(500, SC_MS));
    CHECK(requests.front().scope == ResetRequest::Scope::core);
    CHECK(requests.front().core == "rt0");
    CHECK(requests.front().reason == "watchdog-timeout");
    REQUIRE(b.ctx.log.count(ev::wdt_expired) == 1);
    CHECK(b.ctx.log.first(ev::wdt_expired)->field("action") == "reset-core");
}

TEST_CASE("WDT: in IRQ mode a timeout interrupts instead of resetting, and SWRST resets the device at once") {
    test::PeriphBench b;
    IrqLine irq("wdt_irq");
    Watchdog wdt("wdt_a7", b.ctx.device, sc_time(10, SC_NS), ResetRequest{ResetRequest::Scope::device, "", "", ""}, &irq);
    b.attach("wdt", wdt.socket, 0x30050000);
    std::vector<ResetRequest> requests;
    wdt.on_reset_request([&](const ResetRequest& r) { requests.push_back(r); });
    test::run_thread([&] {
        b.wr(0x30050000 + Watchdog::WDT_LENGTH, (1u << 5) | Watchdog::LENGTH_KEY);  // 1/32 s
        const auto t = b.now();
        b.wr(0x30050000 + Watchdog::WDT_MODE, (Watchdog::MODE_KEY << 8) | Watchdog::MODE_ENABLE | Watchdog::MODE_IRQ);
        sc_core::wait(irq.rising());
        CHECK(b.now() - t == sc_time(31.25, SC_MS));
        CHECK(requests.empty());
        b.wr(0x30050000 + Watchdog::WDT_RESTART, Watchdog::RESTART_KEY);  // a kick clears it
        sc_core::wait(sc_core::SC_ZERO_TIME);
        CHECK_FALSE(irq.level());
        b.wr(0x30050000 + Watchdog::WDT_SWRST, Watchdog::SWRST_KEY);
        CHECK(b.rd(0x30050000 + Watchdog::WDT_STA) == Watchdog::STA_SW);
    });
    REQUIRE(requests.size() == 1);
    CHECK(requests.front().scope == ResetRequest::Scope::device);
    CHECK(requests.front().reason == "software-reset");
}

TEST_CASE("RTC: starts at the epoch it is given, ticks at 32768 Hz, and raises the alarm at the alarm second") {
    test::PeriphBench b;
    IrqLine irq("rtc_irq");
    Rtc rtc("rtc", b.ctx.device, sc_time(10, SC_NS), 32768, &irq);
    b.attach("rtc", rtc.socket, kRtc, 0x200);
    rtc.set_time(1767225600);  // 2026-01-01T00:00:00Z, the scenario epoch
    test::run_thread([&] {
        CHECK(b.rd(kRtc + Rtc::RTC_CTRL) == Rtc::CTRL_RUN);
        CHECK(b.rd(kRtc + Rtc::RTC_TIME_S) == 1767225600u);
        CHECK(b.rd(kRtc + Rtc::RTC_INT_STS) == 0);
        CHECK(b.unmapped_is_bus_error(rtc, kRtc + 0x1C));
        sc_core::wait(sc_time(1.5, SC_SEC));
        CHECK(b.rd(kRtc + Rtc::RTC_TIME_S) == 1767225601u);
        CHECK(b.rd(kRtc + Rtc::RTC_TIME_SUB) == 16384);
        b.wr(kRtc + Rtc::RTC_ALARM_S, 1767225603);
        b.wr(kRtc + Rtc::RTC_INT_EN, Rtc::INT_ALARM);
        sc_core::wait(irq.rising());
        CHECK(b.now() == sc_time(3, SC_SEC));
        CHECK(b.rd(kRtc + Rtc::RTC_INT_STS) == Rtc::INT_ALARM);
        b.wr(kRtc + Rtc::RTC_INT_STS, Rtc::INT_ALARM);
        sc_core::wait(sc_core::SC_ZERO_TIME);
        CHECK_FALSE(irq.level());
        // Software sets the time; stopping the clock freezes it.
        b.wr(kRtc + Rtc::RTC_SET_S, 2000000000);
        b.wr(kRtc + Rtc::RTC_CTRL, 0);
        sc_core::wait(sc_time(5, SC_SEC));
        CHECK(b.rd(kRtc + Rtc::RTC_TIME_S) == 2000000000u);
    });
    CHECK(b.ctx.log.count(ev::rtc_alarm) == 1);
}

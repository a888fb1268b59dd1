// The ADC and a PWM group, read like their datasheets: reset values, a scan started at t and
// its samples at t + N ADC clock cycles, the FIFO and its trigger level, overrun; a PWM channel
// kicked at t and its pin's level at t + x, S0/S1 sequences, the global kick.
#include <catch2/catch.hpp>

#include "models/periph/adc.h"
#include "models/periph/pwm.h"
#include "tests/support/periph_bench.h"

using namespace svp;
using sc_core::sc_time;
using sc_core::SC_MS;
using sc_core::SC_NS;
using sc_core::SC_US;

namespace {
constexpr std::uint64_t kAdc = 0x38000100, kPwm = 0x38011000;

struct AdcRig {
    test::PeriphBench b;
    IrqLine irq{"adc_irq"};
    Adc adc{"adc", b.ctx.device, sc_time(10, SC_NS), &irq};
    AdcRig() { b.attach("adc", adc.socket, kAdc, 0x200); }
    // ADC_CTL0 as Codethink's ADC_Read programs it: T_CH 8, T_INIT 20, the channel map, FSM on.
    static std::uint32_t ctl0(std::uint32_t channels, bool periodic = false, unsigned avg = 0) {
        return Adc::ADC_FSM_EN | avg << Adc::AVG_SHIFT | 8u << Adc::T_CH_SHIFT | (periodic ? Adc::PMODE_EN : 0) |
               20u << Adc::T_INIT_SHIFT | channels << Adc::CH_MAP_SHIFT;
    }
};
}  // namespace

TEST_CASE("ADC: reset values, and unmapped offsets are bus errors") {
    AdcRig r;
    REQUIRE_RUNS([&] {
        for (const Register* reg : r.adc.registers().all()) {
            INFO(reg->name());
            CHECK(r.b.rd(kAdc + reg->offset()) == reg->reset_value());
        }
        CHECK(r.b.rd(kAdc + Adc::ADC_FIFO_TRI_LVL) == 0x1C);  // ADC_FIFO_TRI_LVL_DEF
        CHECK(r.b.rd(kAdc + Adc::ADC_IIR) == Adc::IIR_NONE);
        CHECK(r.b.unmapped_is_bus_error(r.adc, kAdc + 0x014));  // past ADC_CTL4
        CHECK(r.b.unmapped_is_bus_error(r.adc, kAdc + 0x110));  // res_131
        CHECK(r.b.wr(kAdc + Adc::ADC_FIFO_RBR, 0) == tlm::TLM_COMMAND_ERROR_RESPONSE);
    });
}

TEST_CASE("ADC one-shot scan of channels 0 and 3 started at t: samples at t + 20 us and t + 30 us, interrupt at trigger level 2") {
    AdcRig r;
    r.adc.set_input_mv(0, 1250.0);  // half the 2.5 V reference
    r.adc.set_input_mv(3, 3300.0);  // above it: full scale
    REQUIRE_RUNS([&] {
        r.b.wr(kAdc + Adc::ADC_FIFO_TRI_LVL, 2u << 2);
        r.b.wr(kAdc + Adc::ADC_FIFO_IER, Adc::RXFEN);
        sc_core::wait(sc_time(1, SC_MS));
        const auto t = r.b.now();
        r.b.wr(kAdc + Adc::ADC_CTL0, AdcRig::ctl0(0b1001));
        // T_INIT 20 + (T_CH 8 + 12) cycles of 500 ns for the first channel, 20 cycles more for the next
        sc_core::wait(sc_time(20, SC_US) - sc_time(1, SC_NS));
        CHECK(r.b.rd(kAdc + Adc::ADC_FIFO_DEBUG16) == 0);
        sc_core::wait(sc_time(1, SC_NS));
        sc_core::wait(sc_core::SC_ZERO_TIME);
        CHECK(r.b.rd(kAdc + Adc::ADC_FIFO_LSR) == Adc::LSR_DR);
        CHECK_FALSE(r.irq.level());  // one sample, trigger level 2
        sc_core::wait(r.irq.rising());
        CHECK(r.b.now() - t == sc_time(30, SC_US));
        CHECK(r.b.rd(kAdc + Adc::ADC_IIR) == Adc::IIR_RX_DATA);
        CHECK(r.b.rd(kAdc + Adc::ADC_FIFO_DEBUG16) == (0u | 2u << 5));
        CHECK(r.b.rd(kAdc + Adc::ADC_FIFO_RBR) == (2048u << 4 | 0));
        CHECK(r.b.rd(kAdc + Adc::ADC_FIFO_RBR) == (4095u << 4 | 3));
        sc_core::wait(sc_core::SC_ZERO_TIME);
        CHECK_FALSE(r.irq.level());
        CHECK((r.b.rd(kAdc + Adc::ADC_CTL0) & Adc::ADC_FSM_EN) == 0);  // one shot: done
        sc_core::wait(sc_time(1, SC_MS));
        CHECK(r.b.rd(kAdc + Adc::ADC_FIFO_LSR) == 0);  // nothing more
    });
}

TEST_CASE("ADC: VCM_AZURE_EN selects the 1.8 V reference, averaging 2^AVG samples takes that much longer") {
    AdcRig r;
    r.adc.set_input_mv(5, 900.0);
    REQUIRE_RUNS([&] {
        r.b.wr(kAdc + Adc::ADC_CTL3, Adc::VCM_AZURE_EN);
        r.b.wr(kAdc + Adc::ADC_FIFO_TRI_LVL, 1u << 2);
        r.b.wr(kAdc + Adc::ADC_FIFO_IER, Adc::RXFEN);
        const auto t = r.b.now();
        r.b.wr(kAdc + Adc::ADC_CTL0, AdcRig::ctl0(1u << 5, false, /*avg=*/2));
        sc_core::wait(r.irq.rising());
        CHECK(r.b.now() - t == Adc::cycle() * (20.0 + 20.0 * 4));
        CHECK(r.b.rd(kAdc + Adc::ADC_FIFO_RBR) == (2048u << 4 | 5));  // 0.9 V of 1.8 V
    });
}

TEST_CASE("ADC periodic mode: a scan every REG_PERIOD + 1 cycles, a full FIFO sets the overrun flag and one event") {
    AdcRig r;
    r.adc.set_input_mv(1, 500.0);
    REQUIRE_RUNS([&] {
        r.b.wr(kAdc + Adc::REG_PERIOD, 199);  // 10 kHz at the 2 MHz ADC clock
        const auto t = r.b.now();
        r.b.wr(kAdc + Adc::ADC_CTL0, AdcRig::ctl0(1u << 1, /*periodic=*/true));
        sc_core::wait(sc_time(20, SC_US) + sc_time(100, SC_US) * 4.0);  // first sample at 20 us, then one per 100 us
        CHECK(r.b.now() - t == sc_time(420, SC_US));
        sc_core::wait(sc_core::SC_ZERO_TIME);
        CHECK(r.b.rd(kAdc + Adc::ADC_FIFO_DEBUG16) == 5u << 5);
        sc_core::wait(sc_time(100, SC_US) * 12.0 + sc_time(50, SC_US));  // 17 samples: one too many
        CHECK(r.b.rd(kAdc + Adc::ADC_FIFO_LSR) == (Adc::LSR_DR | Adc::LSR_OE));
        CHECK(r.b.rd(kAdc + Adc::ADC_FIFO_LSR) == Adc::LSR_DR);  // cleared by the read
        for (unsigned i = 0; i < Adc::kFifoDepth; ++i) CHECK(r.b.rd(kAdc + Adc::ADC_FIFO_RBR) == (819u << 4 | 1));
        CHECK(r.b.rd(kAdc + Adc::ADC_FIFO_LSR) == 0);
        r.b.wr(kAdc + Adc::ADC_CTL0, AdcRig::ctl0(1u << 1, true) & ~Adc::ADC_FSM_EN);  // stop
        sc_core::wait(sc_time(1, SC_MS));
        CHECK(r.b.rd(kAdc + Adc::ADC_FIFO_LSR) == 0);
    });
    CHECK(r.b.ctx.log.count(ev::adc_overrun) == 1);
}

TEST_CASE("ADC: enabling the state machine with no channel is a guest error and converts nothing") {
    AdcRig r;
    REQUIRE_RUNS([&] {
        const auto before = r.adc.registers().guest_errors();
        r.b.wr(kAdc + Adc::ADC_CTL0, AdcRig::ctl0(0));
        CHECK(r.adc.registers().guest_errors() == before + 1);
        CHECK((r.b.rd(kAdc + Adc::ADC_CTL0) & Adc::ADC_FSM_EN) == 0);
        sc_core::wait(sc_time(1, SC_MS));
        CHECK(r.b.rd(kAdc + Adc::ADC_FIFO_LSR) == 0);
    });
}

// ---- PWM ---------------------------------------------------------------------------------

namespace {
struct PwmRig {
    test::PeriphBench b;
    Pwm pwm{"pwm0", b.ctx.device, sc_time(10, SC_NS), 26'000'000};
    PwmRig() { b.attach("pwm0", pwm.socket, kPwm, 0x200); }
    static std::uint32_t ctrl(unsigned n) { return Pwm::PWM_CTRL + Pwm::kChannelStride * n; }
    static std::uint32_t s0(unsigned n) { return Pwm::PWM_PARAM_S0 + Pwm::kChannelStride * n; }
    static std::uint32_t s1(unsigned n) { return Pwm::PWM_PARAM_S1 + Pwm::kChannelStride * n; }
};
}  // namespace

TEST_CASE("PWM: reset values, and unmapped offsets are bus errors") {
    PwmRig r;
    REQUIRE_RUNS([&] {
        CHECK(r.b.rd(kPwm + Pwm::PWM_GLO_CTRL) == 0xE400);  // PWM_GLO_CTRL_DEFAULT
        for (unsigned n = 0; n < Pwm::kChannels; ++n) {
            CHECK(r.b.rd(kPwm + PwmRig::ctrl(n)) == 0x04);  // PWM_CTRL_DEFAULT
            CHECK(r.b.rd(kPwm + PwmRig::s0(n)) == 0);
            CHECK(r.b.rd(kPwm + PwmRig::s1(n)) == 0);
        }
        CHECK(r.b.unmapped_is_bus_error(r.pwm, kPwm + 0x004));
        CHECK(r.b.unmapped_is_bus_error(r.pwm, kPwm + 0x10C));  // the gap after PWM0_PARAM_S1
        CHECK(r.b.unmapped_is_bus_error(r.pwm, kPwm + 0x140));  // past PWM3
        CHECK_FALSE(r.pwm.output(0).running);
        CHECK(r.pwm.level(0));  // active low at reset: the idle pin is high
    });
}

TEST_CASE("PWM at 2 MHz: 500 on + 1500 off ticks kicked at t is a 1 ms, 25 % wave: high until t + 250 us, low until t + 1 ms") {
    PwmRig r;
    REQUIRE_RUNS([&] {
        r.b.wr(kPwm + Pwm::PWM_GLO_CTRL, 1u << Pwm::TICK_CLOCK_SHIFT);  // 2 MHz
        r.b.wr(kPwm + PwmRig::s0(2), 500 | 1500u << 16);
        r.b.wr(kPwm + PwmRig::s1(2), 500 | 1500u << 16);
        sc_core::wait(sc_time(3, SC_MS));
        const auto t = r.b.now();
        r.b.wr(kPwm + PwmRig::ctrl(2), Pwm::KICK | Pwm::CLOCK_EN | Pwm::REPLAY_MODE | 1u << Pwm::S0_STAY_SHIFT |
                                           1u << Pwm::S1_STAY_SHIFT);
        CHECK(r.b.rd(kPwm + PwmRig::ctrl(2)) == (Pwm::CLOCK_EN | Pwm::REPLAY_MODE | 1u << 8 | 1u << 20));  // KICK self-clears
        const auto o = r.pwm.output(2);
        CHECK(o.running);
        CHECK(o.period_ns == 1'000'000);
        CHECK(o.duty_permille == 250);
        const auto at = [&](sc_time dt) {
            sc_core::wait(t + dt - r.b.now());
            return r.pwm.level(2);
        };
        CHECK(at(sc_time(0, SC_US)));
        CHECK(at(sc_time(249, SC_US)));
        CHECK_FALSE(at(sc_time(250, SC_US)));
        CHECK_FALSE(at(sc_time(999, SC_US)));
        CHECK(at(sc_time(1000, SC_US)));
        CHECK(at(sc_time(7100, SC_US)));  // replayed for ever
        CHECK(r.pwm.level(1));            // an idle channel at the reset polarity (active low) is high
        r.b.wr(kPwm + PwmRig::ctrl(2), Pwm::REPLAY_MODE);  // clock off: stops
        CHECK_FALSE(r.pwm.output(2).running);
    });
    REQUIRE(r.b.ctx.log.count(ev::pwm_output) == 2);
    const auto& first = *r.b.ctx.log.first(ev::pwm_output);
    CHECK(first.fields["duty_permille"] == 250);
    CHECK(first.fields["period_ns"] == 1'000'000);
    CHECK(r.b.ctx.log.events().back().fields["enabled"] == false);
}

TEST_CASE("PWM: S0 then S1 without replay plays one pass and rests inactive, POLARITY inverts the pin") {
    PwmRig r;
    REQUIRE_RUNS([&] {
        r.b.wr(kPwm + Pwm::PWM_GLO_CTRL, 2u << Pwm::TICK_CLOCK_SHIFT);  // XTAL 26 MHz
        r.b.wr(kPwm + PwmRig::s0(0), 26 | 26u << 16);                   // 2 us at 50 %
        r.b.wr(kPwm + PwmRig::s1(0), 13 | 39u << 16);                   // 2 us at 25 %
        const auto t = r.b.now();
        r.b.wr(kPwm + PwmRig::ctrl(0), Pwm::KICK | Pwm::CLOCK_EN | Pwm::POLARITY | 2u << Pwm::S0_STAY_SHIFT |
                                           1u << Pwm::S1_STAY_SHIFT);
        CHECK_FALSE(r.pwm.level(0));  // active low: on = low
        sc_core::wait(t + sc_time(3, SC_US) - r.b.now());
        CHECK(r.pwm.output(0).duty_permille == 500);
        CHECK(r.pwm.level(0));  // second S0 period, off half
        sc_core::wait(t + sc_time(4250, SC_NS) - r.b.now());
        CHECK(r.pwm.output(0).duty_permille == 250);  // now in S1
        CHECK_FALSE(r.pwm.level(0));
        sc_core::wait(t + sc_time(6, SC_US) - r.b.now());
        CHECK_FALSE(r.pwm.output(0).running);  // one pass played
        CHECK(r.pwm.level(0));                 // inactive, active low: high
    });
}

TEST_CASE("PWM: a global kick starts only the channels with GLOBAL_KICK_ENABLE") {
    PwmRig r;
    REQUIRE_RUNS([&] {
        r.b.wr(kPwm + Pwm::PWM_GLO_CTRL, 1u << Pwm::TICK_CLOCK_SHIFT);
        for (unsigned n : {1u, 3u}) {
            r.b.wr(kPwm + PwmRig::s0(n), 100 | 100u << 16);
            r.b.wr(kPwm + PwmRig::ctrl(n), Pwm::CLOCK_EN | (n == 3 ? Pwm::GLOBAL_KICK_ENABLE : 0));
        }
        CHECK_FALSE(r.pwm.output(3).running);
        r.b.wr(kPwm + Pwm::PWM_GLO_CTRL, 1u << Pwm::TICK_CLOCK_SHIFT | Pwm::GLOBAL_KICK);
        CHECK(r.b.rd(kPwm + Pwm::PWM_GLO_CTRL) == 1u << Pwm::TICK_CLOCK_SHIFT);  // self-clearing
        CHECK(r.pwm.output(3).running);
        CHECK(r.pwm.output(3).period_ns == 100'000);
        CHECK_FALSE(r.pwm.output(1).running);
    });
}

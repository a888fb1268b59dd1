#include "models/periph/pwm.h"

#include <fmt/format.h>

namespace svp {
namespace {

std::uint64_t on_ticks(std::uint32_t param) { return param & 0xFFFF; }
std::uint64_t off_ticks(std::uint32_t param) { return param >> 16; }

}  // namespace

Pwm::Pwm(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, std::uint64_t xtal_hz)
    : Peripheral(name, device, latency), xtal_hz_(xtal_hz) {
    regs_.add("PWM_GLO_CTRL", PWM_GLO_CTRL, kGloCtrlReset, Access::rw, 0xFF0F).on_write([this](std::uint32_t, std::uint32_t v) {
        regs_["PWM_GLO_CTRL"].clear_bits(GLOBAL_KICK);  // self-clearing
        if (((v >> TICK_CLOCK_SHIFT) & 3) == 3) regs_.report_guest_error("PWM_TICK_CLOCK_SEL = 3 selects no clock");
        if (v & GLOBAL_KICK)
            for (unsigned n = 0; n < kChannels; ++n)
                if (ctrl_[n]->value() & GLOBAL_KICK_ENABLE) kick(n);
    });
    for (unsigned n = 0; n < kChannels; ++n) {
        const std::uint32_t base = kChannelStride * n;
        ctrl_[n] = &regs_.add(fmt::format("PWM{}_CTRL", n), PWM_CTRL + base, kCtrlReset)
                        .on_write([this, n](std::uint32_t old, std::uint32_t v) {
                            ctrl_[n]->clear_bits(KICK);  // self-clearing
                            if (v & KICK) {
                                kick(n);
                            } else if ((old ^ v) & CLOCK_EN) {
                                report(n);  // started or stopped by its clock
                            }
                        });
        s0_[n] = &regs_.add(fmt::format("PWM{}_PARAM_S0", n), PWM_PARAM_S0 + base);
        s1_[n] = &regs_.add(fmt::format("PWM{}_PARAM_S1", n), PWM_PARAM_S1 + base);
    }
}

void Pwm::reset() {
    Peripheral::reset();
    loaded_ = {};
}

std::uint64_t Pwm::tick_hz() {
    switch ((regs_["PWM_GLO_CTRL"].value() >> TICK_CLOCK_SHIFT) & 3) {
    case 0: return 32768;
    case 1: return 2'000'000;
    case 2: return xtal_hz_;
    default: return 0;
    }
}

void Pwm::kick(unsigned n) {
    loaded_[n] = {true, sc_core::sc_time_stamp(), tick_hz(), ctrl_[n]->value(), s0_[n]->value(), s1_[n]->value()};
    report(n);
}

void Pwm::report(unsigned n) {
    const Output o = output(n);
    device_.emit(ev::pwm_output, {{"pwm", name()},
                                  {"channel", n},
                                  {"enabled", o.running},
                                  {"period_ns", o.period_ns},
                                  {"duty_permille", o.duty_permille}});
}

Pwm::Output Pwm::output(unsigned n) {
    Output out;
    const std::uint32_t ctrl = ctrl_.at(n)->value();
    const bool active_low = ctrl & POLARITY;  // the live polarity bit drives the pad
    out.level = active_low;                   // inactive
    const Loaded& l = loaded_[n];
    if (!l.kicked || !(ctrl & CLOCK_EN) || l.tick_hz == 0) return out;

    const std::uint64_t s0_len = on_ticks(l.s0) + off_ticks(l.s0), s1_len = on_ticks(l.s1) + off_ticks(l.s1);
    const std::uint64_t s0_stay = (l.ctrl >> S0_STAY_SHIFT) & 0xFFF, s1_stay = (l.ctrl >> S1_STAY_SHIFT) & 0xFFF;
    if (s0_len == 0 && (s1_stay == 0 || s1_len == 0)) return out;  // nothing to play
    // Ticks since the kick, exactly.
    const auto ps = static_cast<unsigned __int128>((sc_core::sc_time_stamp() - l.at).value() /
                                                   sc_core::sc_time(1, sc_core::SC_PS).value());
    std::uint64_t t = static_cast<std::uint64_t>(ps * l.tick_hz / 1'000'000'000'000ull);

    std::uint32_t param = l.s0;
    if (s0_stay == 0) {
        t %= std::max<std::uint64_t>(s0_len, 1);  // S0 for ever
    } else {
        const std::uint64_t pass = s0_stay * s0_len + s1_stay * s1_len;
        if (!(l.ctrl & REPLAY_MODE) && t >= pass) return out;  // one pass played: at rest
        t %= pass;
        if (t >= s0_stay * s0_len) {
            t = (t - s0_stay * s0_len) % s1_len;
            param = l.s1;
        } else {
            t %= s0_len;
        }
    }
    const std::uint64_t on = on_ticks(param), len = on + off_ticks(param);
    out.running = true;
    out.period_ns = len * 1'000'000'000ull / l.tick_hz;
    out.duty_permille = len ? static_cast<unsigned>(on * 1000 / len) : 0;
    out.level = (t < on) != active_low;
    return out;
}

}  // namespace svp

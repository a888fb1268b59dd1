#include "os-sim/drivers/pwm_driver.h"

#include <cerrno>

#include "models/periph/pwm.h"

namespace svp::os {

long PwmDriver::apply(unsigned channel, std::uint64_t period_ns, std::uint64_t duty_ns, bool active_low, bool enabled) {
    if (channel >= kChannels || duty_ns > period_ns) return -EINVAL;
    const std::uint64_t period = period_ns * kTickHz / 1'000'000'000, on = duty_ns * kTickHz / 1'000'000'000;
    if (enabled && (period < 2 || period > 0xFFFF * 2ull)) return -EINVAL;
    const std::uint32_t ctrl_at = Pwm::PWM_CTRL + Pwm::kChannelStride * channel;
    try {
        hw_.write32(base_ + Pwm::PWM_GLO_CTRL, 1u << Pwm::TICK_CLOCK_SHIFT);  // 2 MHz
        const std::uint32_t pol = active_low ? Pwm::POLARITY : 0;
        if (!enabled) {
            hw_.write32(base_ + ctrl_at, pol);  // clock off: the pin rests inactive
            return 0;
        }
        // ON_TIME and OFF_TIME are 16-bit tick counts.
        const std::uint64_t off = period - on;
        if (on > 0xFFFF || off > 0xFFFF) return -EINVAL;
        const std::uint32_t param = static_cast<std::uint32_t>(on | off << 16);
        hw_.write32(base_ + Pwm::PWM_PARAM_S0 + Pwm::kChannelStride * channel, param);
        hw_.write32(base_ + Pwm::PWM_PARAM_S1 + Pwm::kChannelStride * channel, param);
        hw_.write32(base_ + ctrl_at, Pwm::KICK | Pwm::CLOCK_EN | Pwm::REPLAY_MODE | pol | 1u << Pwm::S0_STAY_SHIFT |
                                         1u << Pwm::S1_STAY_SHIFT);
    } catch (const BusError&) {
        return -EIO;
    }
    return 0;
}

}  // namespace svp::os

// A PWM controller for apps (Capabilities.Pwm, "PWM-CONTROLLER-n": four channels), on the
// platform's model (models/periph/pwm.h). apply() is Azure Sphere's PWM_Apply: period and
// duty in nanoseconds, polarity, enabled. The group's tick clock is 2 MHz (MediaTek's
// os_hal_pwm default): 500 ns steps, the on and the off time each at most 32.7 ms; the channel plays S0
// and S1 set alike, replayed. Bus errors are -EIO.
#pragma once

#include <string>

#include "os-sim/kernel/hw.h"

namespace svp::os {

class PwmDriver {
public:
    static constexpr unsigned kChannels = 4;
    static constexpr std::uint64_t kTickHz = 2'000'000;

    PwmDriver(Hw& hw, std::string controller, std::uint64_t base) : hw_(hw), controller_(std::move(controller)), base_(base) {}

    const std::string& controller() const { return controller_; }
    // 0, -EINVAL (channel, period out of range, duty above period), -EIO.
    long apply(unsigned channel, std::uint64_t period_ns, std::uint64_t duty_ns, bool active_low, bool enabled);

private:
    Hw& hw_;
    std::string controller_;
    std::uint64_t base_;
};

}  // namespace svp::os

// The ADC controller for apps (Capabilities.Adc, "ADC-CONTROLLER-0"), on the platform's model
// (models/periph/adc.h): one sample of one channel is a one-shot scan with the FIFO trigger
// level at 1; the driver sleeps on the ADC's interrupt and pops the sample (Azure Sphere's
// ADC_Poll). The reference is 2.5 V, or 1.8 V after set_reference_mv(1800)
// (ADC_SetReferenceVoltage). Bus errors are -EIO.
#pragma once

#include "models/base/irq.h"
#include "os-sim/kernel/hw.h"

namespace svp::os {

class AdcDriver {
public:
    static constexpr unsigned kChannels = 8, kBits = 12;

    AdcDriver(Hw& hw, std::uint64_t base, IrqLine* irq) : hw_(hw), base_(base), irq_(irq) {}

    // The 12-bit sample of `channel`, -EINVAL for a channel past 7, -EIO, -ETIMEDOUT.
    long sample(unsigned channel);
    // 1800 or 2500 mV; -EINVAL otherwise.
    long set_reference_mv(unsigned mv);
    unsigned reference_mv() const { return reference_mv_; }

private:
    Hw& hw_;
    std::uint64_t base_;
    IrqLine* irq_;
    unsigned reference_mv_ = 2500;
};

}  // namespace svp::os

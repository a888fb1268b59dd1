#include "os-sim/drivers/adc_driver.h"

#include <cerrno>

#include "models/periph/adc.h"

namespace svp::os {

long AdcDriver::set_reference_mv(unsigned mv) {
    if (mv != 1800 && mv != 2500) return -EINVAL;
    try {
        hw_.write32(base_ + Adc::ADC_CTL3, mv == 1800 ? Adc::VCM_AZURE_EN : 0);
    } catch (const BusError&) {
        return -EIO;
    }
    reference_mv_ = mv;
    return 0;
}

long AdcDriver::sample(unsigned channel) {
    if (channel >= kChannels) return -EINVAL;
    try {
        // Stop a scan still running, empty the FIFO, then one scan of this channel
        // (T_CH 8, T_INIT 20, no averaging: Codethink's ADC_Read settings).
        hw_.write32(base_ + Adc::ADC_CTL0, 0);
        while (hw_.read32(base_ + Adc::ADC_FIFO_LSR) & Adc::LSR_DR) hw_.read32(base_ + Adc::ADC_FIFO_RBR);
        hw_.write32(base_ + Adc::ADC_FIFO_TRI_LVL, 1u << 2);
        hw_.write32(base_ + Adc::ADC_FIFO_IER, Adc::RXFEN);
        hw_.write32(base_ + Adc::ADC_CTL0, Adc::ADC_FSM_EN | 8u << Adc::T_CH_SHIFT | 20u << Adc::T_INIT_SHIFT |
                                               1u << (Adc::CH_MAP_SHIFT + channel));
        sc_core::sc_event never;  // without an interrupt line: poll every millisecond
        for (int tries = 0; !(hw_.read32(base_ + Adc::ADC_FIFO_LSR) & Adc::LSR_DR); ++tries) {
            if (tries == 10) return -ETIMEDOUT;
            hw_.cpu().block_on_for(irq_ ? irq_->rising() : never, sc_core::sc_time(1, sc_core::SC_MS));
        }
        const std::uint32_t s = hw_.read32(base_ + Adc::ADC_FIFO_RBR);
        hw_.write32(base_ + Adc::ADC_FIFO_IER, 0);
        if ((s & 0xF) != channel) return -EIO;
        return static_cast<long>((s >> 4) & 0xFFF);
    } catch (const BusError&) {
        return -EIO;
    }
}

}  // namespace svp::os

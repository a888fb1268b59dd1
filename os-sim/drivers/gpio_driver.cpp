#include "os-sim/drivers/gpio_driver.h"

#include <cerrno>

namespace svp::os {

const GpioBlock* GpioDriver::find(int pin, std::uint32_t& bit) const {
    for (const auto& b : blocks_)
        for (std::size_t n = 0; n < b.pins.size() && n < 32; ++n)
            if (b.pins[n] == pin) {
                bit = 1u << n;
                return &b;
            }
    return nullptr;
}

int GpioDriver::set_output(int pin, bool output) {
    std::uint32_t bit = 0;
    const auto* b = find(pin, bit);
    if (!b) return -ENODEV;
    try {
        hw_.write32(b->base + (output ? OE_SET : OE_RESET), bit);
    } catch (const BusError&) {
        return -EIO;
    }
    return 0;
}

int GpioDriver::write(int pin, bool value) {
    std::uint32_t bit = 0;
    const auto* b = find(pin, bit);
    if (!b) return -ENODEV;
    try {
        hw_.write32(b->base + (value ? DOUT_SET : DOUT_RESET), bit);
    } catch (const BusError&) {
        return -EIO;
    }
    return 0;
}

int GpioDriver::read(int pin) {
    std::uint32_t bit = 0;
    const auto* b = find(pin, bit);
    if (!b) return -ENODEV;
    try {
        // An output reads back what it drives; an input reads the pad.
        const bool output = hw_.read32(b->base + OE) & bit;
        return (hw_.read32(b->base + (output ? DOUT : DIN)) & bit) ? 1 : 0;
    } catch (const BusError&) {
        return -EIO;
    }
}

}  // namespace svp::os

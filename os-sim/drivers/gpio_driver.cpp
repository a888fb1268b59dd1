#include "os-sim/drivers/gpio_driver.h"

#include <cerrno>

namespace svp::os {

std::optional<GpioBlock> GpioDriver::mt3620_block(std::uint64_t base) {
    if (base < kFirstBlockBase || (base - kFirstBlockBase) % kBlockStride) return std::nullopt;
    const auto index = (base - kFirstBlockBase) / kBlockStride;
    if (index > 5) return std::nullopt;
    return GpioBlock{base, static_cast<int>(index) * 4, 4};
}

const GpioBlock* GpioDriver::find(int pin) const {
    for (const auto& b : blocks_)
        if (pin >= b.first_pin && pin < b.first_pin + b.pins) return &b;
    return nullptr;
}

int GpioDriver::set_output(int pin, bool output) {
    const auto* b = find(pin);
    if (!b) return -ENODEV;
    try {
        hw_.write32(b->base + (output ? OE_SET : OE_RESET), 1u << (pin - b->first_pin));
    } catch (const BusError&) {
        return -EIO;
    }
    return 0;
}

int GpioDriver::write(int pin, bool value) {
    const auto* b = find(pin);
    if (!b) return -ENODEV;
    try {
        hw_.write32(b->base + (value ? DOUT_SET : DOUT_RESET), 1u << (pin - b->first_pin));
    } catch (const BusError&) {
        return -EIO;
    }
    return 0;
}

int GpioDriver::read(int pin) {
    const auto* b = find(pin);
    if (!b) return -ENODEV;
    try {
        const auto bit = 1u << (pin - b->first_pin);
        // An output reads back what it drives; an input reads the pad.
        const bool output = hw_.read32(b->base + OE) & bit;
        return (hw_.read32(b->base + (output ? DOUT : DIN)) & bit) ? 1 : 0;
    } catch (const BusError&) {
        return -EIO;
    }
}

}  // namespace svp::os

// The GPIO driver for MT3620 GPIO blocks (models/periph/gpio.h). Register layout of a block
// (CodethinkLabs mt3620-m4-drivers, mt3620/gpio.h):
//   0x04 DIN (RO)  0x10 DOUT  0x14 DOUT_SET  0x18 DOUT_RESET  0x20 OE  0x24 OE_SET  0x28 OE_RESET
// Which package pin each bit drives comes from the device tree (the variant's `pins:`), so the
// driver keeps no table of its own. Every access goes over the bus as the app core, so a pin
// block the firewall gave to another core answers with a bus error, which the driver returns
// as -EIO.
#pragma once

#include <optional>
#include <vector>

#include "os-sim/kernel/hw.h"

namespace svp::os {

struct GpioBlock {
    std::uint64_t base = 0;
    std::vector<int> pins;  // bit n of each register is pins[n]
};

class GpioDriver {
public:
    static constexpr std::uint32_t DIN = 0x04, DOUT = 0x10, DOUT_SET = 0x14, DOUT_RESET = 0x18, OE = 0x20,
                                   OE_SET = 0x24, OE_RESET = 0x28;

    GpioDriver(Hw& hw, std::vector<GpioBlock> blocks) : hw_(hw), blocks_(std::move(blocks)) {}

    bool has_pin(int pin) const {
        std::uint32_t bit = 0;
        return find(pin, bit) != nullptr;
    }
    int set_output(int pin, bool output);  // 0 or -errno
    int write(int pin, bool value);
    int read(int pin);                     // 0/1 or -errno

private:
    // The block driving `pin` and the pin's bit in it.
    const GpioBlock* find(int pin, std::uint32_t& bit) const;
    Hw& hw_;
    std::vector<GpioBlock> blocks_;
};

}  // namespace svp::os

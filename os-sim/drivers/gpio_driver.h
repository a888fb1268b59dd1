// The GPIO driver for MT3620 GPIO blocks. Each block drives four pins; its registers follow
// the MT3620 GPIO_PWM group layout (CodethinkLabs mt3620-m4-drivers, mt3620/gpio.h):
//   0x04 DIN (RO)  0x10 DOUT  0x14 DOUT_SET  0x18 DOUT_RESET  0x20 OE  0x24 OE_SET  0x28 OE_RESET
// Blocks GPIO_PWM_0..2 at 0x38010000..0x38030000 hold pins 0-11 and GPIO_3..5 at
// 0x38040000..0x38060000 pins 12-23 (reference §1.3). Every access goes over the bus as the
// app core, so a pin block the firewall gave to another core answers with a bus error, which
// the driver returns as -EIO.
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
    static constexpr std::uint64_t kFirstBlockBase = 0x38010000, kBlockStride = 0x10000;

    GpioDriver(Hw& hw, std::vector<GpioBlock> blocks) : hw_(hw), blocks_(std::move(blocks)) {}
    // The block an MT3620 GPIO window at `base` is, when the device tree gives no pin list:
    // GPIO_PWM_0..2 and GPIO_3..5 hold four pins each from pin 0 (reference §1.3).
    static std::optional<GpioBlock> mt3620_block(std::uint64_t base);

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

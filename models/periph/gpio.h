// GPIO: the package's pins (MT3620: 0..93, reference §1.3) and the register blocks that drive
// them. `GpioPins` is the board: what each pin's level is, given what the chip drives, what
// the host (a test, a scenario, a simulated sensor) drives from outside, and the pulls.
// `Gpio` is one register block; the variant says which pins its bits are.
//
// Register layout of a block (CodethinkLabs mt3620-m4-drivers, mt3620/gpio.h, mt3620_gpio_t):
//   0x00 GLOBAL_CTRL   0x04 DIN (RO)
//   0x10 DOUT  0x14 DOUT_SET  0x18 DOUT_RESET     0x20 OE  0x24 OE_SET  0x28 OE_RESET
//   0x30 PU    0x34 PU_SET    0x38 PU_RESET       0x40 PD  0x44 PD_SET  0x48 PD_RESET
//   0x50 SR    0x54 SR_SET    0x58 SR_RESET       0x60 IES 0x64 IES_SET 0x68 IES_RESET
//   0x70 PADDRV  0x80 RDSEL  0x90 TDSEL  0xA0 EA (+SET/RESET)  0xB0 RSEL (+SET/RESET)
// Bit n of each register is the block's n-th pin. Blocks: GPIO_PWM_0..2 and GPIO_3..5 at
// 0x38010000..0x38060000 (4 pins each), ISU0..5 at 0x38070000.. (5 pins), ADC at 0x38000000
// (pins 41..48), I2S0/1 at 0x380D0100/0x380E0100, and the "NONMAP" pins at 0x30020000 (DTSI
// pinctrl table: bits 0..1 = pins 24..25, 2..8 = 49..55, 9..21 = 81..93).
//
// Pin interrupts: on the MT3620 they reach the M4 cores through their EINT/IRQ-config block,
// whose layout is not public. Assumed here, in the block's reserved space:
//   0xC0 INT_EN  0xC4 INT_RISE  0xC8 INT_FALL  (RW: which edges interrupt)  0xCC INT_STS (W1C)
// IES resets to all ones (inputs enabled, assumed); every other register resets to 0.
// DIN reads the pin's level where IES is set (an output reads back what it drives), 0 elsewhere.
#pragma once

#include <functional>
#include <vector>

#include "models/base/irq.h"
#include "models/base/peripheral.h"

namespace svp {

class GpioPins {
public:
    enum class Pull : std::uint8_t { none, up, down };
    explicit GpioPins(DeviceContext& device, std::size_t count = 94);

    std::size_t count() const { return pins_.size(); }
    // ---- host side: the world outside the chip
    void drive(unsigned pin, bool level);  // an external driver holds the pin at `level`
    void release(unsigned pin);            // nothing outside drives it any more
    // ---- what a probe on the pin sees, and who is driving it
    bool level(unsigned pin) const;
    bool output_enabled(unsigned pin) const { return pins_.at(pin).oe; }
    // Called with (pin, new level) whenever a pin's level changes, whoever changed it.
    void on_change(std::function<void(unsigned, bool)> listener) { listeners_.push_back(std::move(listener)); }

    // ---- chip side (the GPIO blocks)
    void set_output(unsigned pin, bool enabled, bool level);
    void set_pull(unsigned pin, Pull pull);

private:
    struct Pin {
        bool oe = false, out = false, host_driven = false, host_level = false;
        Pull pull = Pull::none;
    };
    static bool resolve(const Pin& p);
    template <class F> void update(unsigned pin, F change);

    DeviceContext& device_;
    std::vector<Pin> pins_;
    std::vector<std::function<void(unsigned, bool)>> listeners_;
};

class Gpio : public Peripheral {
public:
    static constexpr std::uint32_t GLOBAL_CTRL = 0x00, DIN = 0x04, DOUT = 0x10, OE = 0x20, PU = 0x30, PD = 0x40,
                                   SR = 0x50, IES = 0x60, PADDRV = 0x70, RDSEL = 0x80, TDSEL = 0x90, EA = 0xA0,
                                   RSEL = 0xB0, SET = 0x4, RESET = 0x8,  // DOUT_SET = DOUT + SET, ...
                                   INT_EN = 0xC0, INT_RISE = 0xC4, INT_FALL = 0xC8, INT_STS = 0xCC;

    // `pins`: the package pin of each bit, bit 0 first.
    Gpio(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, GpioPins& board,
         std::vector<unsigned> pins, IrqLine* irq);

    const std::vector<unsigned>& pins() const { return pins_; }

private:
    // A register with SET and RESET companions (MediaTek style); `apply` pushes it to the pins.
    void add_set_reset(const char* name, std::uint32_t offset, std::uint32_t reset, std::function<void()> apply);
    void drive_outputs();
    void apply_pulls();
    std::uint32_t din() const;
    void pin_changed(unsigned bit, bool level);
    void update_irq();

    GpioPins& board_;
    std::vector<unsigned> pins_;
    std::uint32_t mask_;
    IrqLine* irq_;
};

}  // namespace svp

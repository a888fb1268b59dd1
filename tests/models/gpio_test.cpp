// GPIO, read like the MT3620 block layout: outputs reach the pins, host-driven inputs reach DIN,
// pulls, set/reset registers, edge interrupts, and the NONMAP block's scattered pins.
#include <catch2/catch.hpp>

#include "models/periph/gpio.h"
#include "tests/support/periph_bench.h"

using namespace svp;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

namespace {
constexpr std::uint64_t kGpio0 = 0x38010000, kNonmap = 0x30020000;
}

TEST_CASE("GPIO: reset values, and an unmapped offset is a bus error") {
    test::PeriphBench b;
    GpioPins pins(b.ctx.device);
    Gpio gpio("gpio_pwm_0", b.ctx.device, sc_time(10, SC_NS), pins, {0, 1, 2, 3}, nullptr);
    b.attach("gpio", gpio.socket, kGpio0, 0x100);
    test::run_thread([&] {
        CHECK(b.rd(kGpio0 + Gpio::DIN) == 0);
        CHECK(b.rd(kGpio0 + Gpio::DOUT) == 0);
        CHECK(b.rd(kGpio0 + Gpio::OE) == 0);
        CHECK(b.rd(kGpio0 + Gpio::IES) == 0xF);  // inputs enabled at reset (assumed)
        CHECK(b.unmapped_is_bus_error(gpio, kGpio0 + 0x0C));
        CHECK(b.unmapped_is_bus_error(gpio, kGpio0 + 0xD0));
    });
    CHECK(pins.count() == 94);
}

TEST_CASE("GPIO: an output drives its pin (seen by the host) and reads back, set/reset touch only their bits") {
    test::PeriphBench b;
    GpioPins pins(b.ctx.device);
    Gpio gpio("gpio_pwm_0", b.ctx.device, sc_time(10, SC_NS), pins, {0, 1, 2, 3}, nullptr);
    b.attach("gpio", gpio.socket, kGpio0, 0x100);
    std::vector<std::pair<unsigned, bool>> seen;
    pins.on_change([&](unsigned p, bool l) { seen.emplace_back(p, l); });
    test::run_thread([&] {
        b.wr(kGpio0 + Gpio::OE + Gpio::SET, 0b0101);
        b.wr(kGpio0 + Gpio::DOUT + Gpio::SET, 0b0100);
        CHECK(pins.level(2));
        CHECK_FALSE(pins.level(0));
        CHECK(pins.output_enabled(0));
        CHECK(b.rd(kGpio0 + Gpio::DIN) == 0b0100);
        b.wr(kGpio0 + Gpio::DOUT + Gpio::RESET, 0b0100);
        CHECK_FALSE(pins.level(2));
        CHECK(b.rd(kGpio0 + Gpio::OE) == 0b0101);
        // A set/reset register is write-only.
        b.rd(kGpio0 + Gpio::OE + Gpio::SET);
        CHECK(gpio.registers().guest_errors() == 1);
    });
    CHECK(seen == std::vector<std::pair<unsigned, bool>>{{2, true}, {2, false}});
    CHECK(b.ctx.log.count(ev::gpio_pin_changed) == 2);
}

TEST_CASE("GPIO: host-driven inputs and pulls reach DIN, and a rising edge at t interrupts at t") {
    test::PeriphBench b;
    GpioPins pins(b.ctx.device);
    IrqLine irq("gpio_irq");
    Gpio gpio("gpio_pwm_0", b.ctx.device, sc_time(10, SC_NS), pins, {0, 1, 2, 3}, &irq);
    b.attach("gpio", gpio.socket, kGpio0, 0x100);
    test::run_thread([&] {
        b.wr(kGpio0 + Gpio::PU + Gpio::SET, 0b1000);
        CHECK(b.rd(kGpio0 + Gpio::DIN) == 0b1000);  // pulled up
        b.wr(kGpio0 + Gpio::IES + Gpio::RESET, 0b1000);
        CHECK(b.rd(kGpio0 + Gpio::DIN) == 0);       // input disabled reads 0
        b.wr(kGpio0 + Gpio::INT_EN, 0b0010);
        b.wr(kGpio0 + Gpio::INT_RISE, 0b0010);
        sc_core::wait(sc_time(5, SC_US));
        const auto t = b.now();
        pins.drive(1, true);  // a button pressed on pin 1
        sc_core::wait(irq.rising());
        CHECK(b.now() == t);
        CHECK(b.rd(kGpio0 + Gpio::DIN) == 0b0010);
        CHECK(b.rd(kGpio0 + Gpio::INT_STS) == 0b0010);
        pins.drive(1, false);  // falling edges are not enabled
        b.wr(kGpio0 + Gpio::INT_STS, 0b0010);
        sc_core::wait(sc_core::SC_ZERO_TIME);
        CHECK_FALSE(irq.level());
        pins.release(1);
        CHECK(b.rd(kGpio0 + Gpio::DIN) == 0);
    });
}

TEST_CASE("GPIO: the NONMAP block's bits are pins 24-25, 49-55 and 81-93, so every pin up to 93 is reachable") {
    test::PeriphBench b;
    GpioPins pins(b.ctx.device);
    std::vector<unsigned> nonmap{24, 25};
    for (unsigned p = 49; p <= 55; ++p) nonmap.push_back(p);
    for (unsigned p = 81; p <= 93; ++p) nonmap.push_back(p);
    Gpio gpio("gpio_nonmap", b.ctx.device, sc_time(10, SC_NS), pins, nonmap, nullptr);
    b.attach("gpio", gpio.socket, kNonmap, 0x300);
    test::run_thread([&] {
        b.wr(kNonmap + Gpio::OE, 1u << 21);
        b.wr(kNonmap + Gpio::DOUT, 1u << 21);
        CHECK(pins.level(93));
        pins.drive(49, true);
        CHECK(b.rd(kNonmap + Gpio::DIN) == ((1u << 21) | (1u << 2)));
    });
}

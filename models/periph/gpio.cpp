#include "models/periph/gpio.h"

#include <stdexcept>

#include <fmt/format.h>

namespace svp {

// ---- the board -------------------------------------------------------------------------------

GpioPins::GpioPins(DeviceContext& device, std::size_t count) : device_(device), pins_(count) {}

bool GpioPins::resolve(const Pin& p) {
    if (p.oe) return p.out;  // the chip drives it (a host driver fighting it loses: not modelled)
    if (p.host_driven) return p.host_level;
    return p.pull == Pull::up;  // pulled up, pulled down, or floating (reads 0, assumed)
}

template <class F>
void GpioPins::update(unsigned pin, F change) {
    auto& p = pins_.at(pin);
    const bool before = resolve(p);
    change(p);
    const bool after = resolve(p);
    if (before == after) return;
    device_.emit(ev::gpio_pin_changed, {{"pin", pin}, {"level", after ? 1 : 0}, {"driver", p.oe ? "chip" : p.host_driven ? "host" : "pull"}});
    auto listeners = listeners_;
    for (auto& l : listeners) l(pin, after);
}

void GpioPins::drive(unsigned pin, bool level) {
    update(pin, [level](Pin& p) {
        p.host_driven = true;
        p.host_level = level;
    });
}

void GpioPins::release(unsigned pin) {
    update(pin, [](Pin& p) { p.host_driven = false; });
}

bool GpioPins::level(unsigned pin) const { return resolve(pins_.at(pin)); }

void GpioPins::set_output(unsigned pin, bool enabled, bool level) {
    update(pin, [enabled, level](Pin& p) {
        p.oe = enabled;
        p.out = level;
    });
}

void GpioPins::set_pull(unsigned pin, Pull pull) {
    update(pin, [pull](Pin& p) { p.pull = pull; });
}

// ---- one register block ----------------------------------------------------------------------

Gpio::Gpio(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, GpioPins& board,
           std::vector<unsigned> pins, IrqLine* irq)
    : Peripheral(name, device, latency), board_(board), pins_(std::move(pins)), irq_(irq) {
    if (pins_.empty() || pins_.size() > 32) throw std::invalid_argument(fmt::format("{}: a block has 1..32 pins", this->name()));
    for (auto p : pins_)
        if (p >= board_.count()) throw std::invalid_argument(fmt::format("{}: pin {} is not on the package", this->name(), p));
    mask_ = pins_.size() == 32 ? 0xFFFFFFFFu : (1u << pins_.size()) - 1;

    regs_.add("GLOBAL_CTRL", GLOBAL_CTRL, 0, Access::rw, 0xF);
    regs_.add("DIN", DIN, 0, Access::ro).on_read([this](bool) { return din(); });
    add_set_reset("DOUT", DOUT, 0, [this] { drive_outputs(); });
    add_set_reset("OE", OE, 0, [this] { drive_outputs(); });
    add_set_reset("PU", PU, 0, [this] { apply_pulls(); });
    add_set_reset("PD", PD, 0, [this] { apply_pulls(); });
    add_set_reset("SR", SR, 0, [] {});
    add_set_reset("IES", IES, mask_, [] {});
    regs_.add("PADDRV", PADDRV, 0, Access::rw, 0xFF);  // drive strength: stored, no electrical model
    regs_.add("RDSEL", RDSEL, 0, Access::rw, 0xFF);
    regs_.add("TDSEL", TDSEL, 0, Access::rw, 0xFFFF);
    add_set_reset("EA", EA, 0, [] {});
    add_set_reset("RSEL", RSEL, 0, [] {});
    auto irq_changed = [this](std::uint32_t, std::uint32_t) { update_irq(); };
    regs_.add("INT_EN", INT_EN, 0, Access::rw, mask_).on_write(irq_changed);
    regs_.add("INT_RISE", INT_RISE, 0, Access::rw, mask_);
    regs_.add("INT_FALL", INT_FALL, 0, Access::rw, mask_);
    regs_.add("INT_STS", INT_STS, 0, Access::w1c, mask_).on_write(irq_changed);

    board_.on_change([this](unsigned pin, bool level) {
        for (unsigned bit = 0; bit < pins_.size(); ++bit)
            if (pins_[bit] == pin) pin_changed(bit, level);
    });
}

void Gpio::add_set_reset(const char* name, std::uint32_t offset, std::uint32_t reset, std::function<void()> apply) {
    const std::string base = name;
    regs_.add(base, offset, reset, Access::rw, mask_).on_write([apply](std::uint32_t, std::uint32_t) { apply(); });
    regs_.add(base + "_SET", offset + SET, 0, Access::wo, mask_).on_write([this, base, apply](std::uint32_t, std::uint32_t v) {
        regs_[base].set_bits(v);
        regs_[base + "_SET"].set(0);
        apply();
    });
    regs_.add(base + "_RESET", offset + RESET, 0, Access::wo, mask_).on_write([this, base, apply](std::uint32_t, std::uint32_t v) {
        regs_[base].clear_bits(v);
        regs_[base + "_RESET"].set(0);
        apply();
    });
}

void Gpio::drive_outputs() {
    const auto oe = regs_["OE"].value(), out = regs_["DOUT"].value();
    for (unsigned bit = 0; bit < pins_.size(); ++bit) board_.set_output(pins_[bit], (oe >> bit) & 1, (out >> bit) & 1);
}

void Gpio::apply_pulls() {
    const auto pu = regs_["PU"].value(), pd = regs_["PD"].value();
    for (unsigned bit = 0; bit < pins_.size(); ++bit) {
        const bool up = (pu >> bit) & 1, down = (pd >> bit) & 1;
        if (up && down) regs_.report_guest_error(fmt::format("pin {}: pull-up and pull-down both enabled", pins_[bit]));
        board_.set_pull(pins_[bit], up ? GpioPins::Pull::up : down ? GpioPins::Pull::down : GpioPins::Pull::none);
    }
}

std::uint32_t Gpio::din() const {
    std::uint32_t v = 0;
    for (unsigned bit = 0; bit < pins_.size(); ++bit)
        if (board_.level(pins_[bit])) v |= 1u << bit;
    return v & const_cast<Gpio*>(this)->regs_["IES"].value();
}

void Gpio::pin_changed(unsigned bit, bool level) {
    const auto edges = regs_[level ? "INT_RISE" : "INT_FALL"].value();
    if (((regs_["INT_EN"].value() & edges) >> bit) & 1) {
        regs_["INT_STS"].set_bits(1u << bit);
        update_irq();
    }
}

void Gpio::update_irq() {
    if (irq_) irq_->set((regs_["INT_STS"].value() & regs_["INT_EN"].value()) != 0);
}

}  // namespace svp

#include "models/periph/trng.h"

namespace svp {

Trng::Trng(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, sc_core::sc_time word_time,
           IrqLine* irq)
    : Peripheral(name, device, latency), word_time_(word_time), irq_(irq) {
    regs_.add("TRNG_CTRL", TRNG_CTRL, 0, Access::rw, CTRL_EN).on_write([this](std::uint32_t old, std::uint32_t v) {
        if ((v & CTRL_EN) && !(old & CTRL_EN)) {
            ready_.notify(word_time_);
        } else if (!(v & CTRL_EN)) {
            ready_.cancel();
            ready_now_ = false;
        }
    });
    regs_.add("TRNG_STATUS", TRNG_STATUS, 0, Access::ro).on_read([this](bool) { return ready_now_ ? STATUS_READY : 0u; });
    regs_.add("TRNG_DATA", TRNG_DATA, 0, Access::ro).on_read([this](bool debug) -> std::uint32_t {
        if (!ready_now_) {
            if (!debug) regs_.report_guest_error("TRNG_DATA read with no word READY: 0");
            return 0;
        }
        if (debug) return 0;  // a debugger must not consume (or see) entropy
        const auto w = word_;
        ready_now_ = false;
        ++delivered_;
        regs_["TRNG_INT_STS"].clear_bits(INT_READY);
        update_irq();
        if (regs_["TRNG_CTRL"].value() & CTRL_EN) ready_.notify(word_time_);
        return w;
    });
    regs_.add("TRNG_INT_EN", TRNG_INT_EN, 0, Access::rw, INT_READY).on_write([this](std::uint32_t, std::uint32_t) { update_irq(); });
    regs_.add("TRNG_INT_STS", TRNG_INT_STS, 0, Access::w1c, INT_READY).on_write([this](std::uint32_t, std::uint32_t) { update_irq(); });
    sc_core::sc_spawn_options o;
    o.spawn_method();
    o.dont_initialize();
    o.set_sensitivity(&ready_);
    sc_core::sc_spawn([this] { generate(); }, sc_core::sc_gen_unique_name("word"), &o);
}

void Trng::generate() {
    // The device's one seeded generator (rule 2): drawn only when a word is produced, so a
    // model that never uses the TRNG leaves every other stream untouched.
    word_ = static_cast<std::uint32_t>(device_.rng.next_u64());
    ready_now_ = true;
    regs_["TRNG_INT_STS"].set_bits(INT_READY);
    update_irq();
}

void Trng::update_irq() {
    if (irq_) irq_->set((regs_["TRNG_INT_STS"].value() & regs_["TRNG_INT_EN"].value()) != 0);
}

}  // namespace svp

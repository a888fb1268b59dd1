#include "models/periph/watchdog.h"

#include <fmt/format.h>

namespace svp {

Watchdog::Watchdog(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, ResetRequest target,
                   IrqLine* irq)
    : Peripheral(name, device, latency), target_(std::move(target)), irq_(irq) {
    target_.source = this->name();
    mode_ = &regs_.add("WDT_MODE", WDT_MODE, 0, Access::rw, 0xFFFF).on_write([this](std::uint32_t old, std::uint32_t v) {
        if (((v >> 8) & 0xFF) != MODE_KEY) {
            mode_->set(old);
            regs_.report_guest_error(fmt::format("WDT_MODE write 0x{:x} without key 0x22 in bits 15:8: ignored", v));
            return;
        }
        mode_->set(v & MODE_MASK);
        if (v & MODE_ENABLE)
            arm();
        else
            expiry_.cancel();
        update_irq();
    });
    // Reset length: the longest, 0x7FF ticks (64 s; assumed).
    length_ = &regs_.add("WDT_LENGTH", WDT_LENGTH, 0x7FFu << 5, Access::rw, 0xFFFF).on_write([this](std::uint32_t old, std::uint32_t v) {
        if ((v & 0x1F) != LENGTH_KEY) {
            length_->set(old);
            regs_.report_guest_error(fmt::format("WDT_LENGTH write 0x{:x} without key 0x08 in bits 4:0: ignored", v));
            return;
        }
        length_->set(v & 0xFFE0);
        if (mode_->value() & MODE_ENABLE) arm();  // a new length restarts the count
    });
    regs_.add("WDT_RESTART", WDT_RESTART, 0, Access::wo, 0xFFFF).on_write([this](std::uint32_t, std::uint32_t v) {
        regs_["WDT_RESTART"].set(0);
        if (v != RESTART_KEY) {
            regs_.report_guest_error(fmt::format("WDT_RESTART 0x{:x} is not the key 0x1971: no kick", v));
            return;
        }
        if (mode_->value() & MODE_ENABLE) arm();
        timed_out_irq_ = false;
        update_irq();
    });
    sta_ = &regs_.add("WDT_STA", WDT_STA, 0, Access::ro);
    regs_.add("WDT_INTERVAL", WDT_INTERVAL, 0, Access::rw, 0xFFF);
    regs_.add("WDT_SWRST", WDT_SWRST, 0, Access::wo, 0xFFFF).on_write([this](std::uint32_t, std::uint32_t v) {
        regs_["WDT_SWRST"].set(0);
        if (v != SWRST_KEY) {
            regs_.report_guest_error(fmt::format("WDT_SWRST 0x{:x} is not the key 0x1209: ignored", v));
            return;
        }
        request_reset("software-reset", STA_SW);
    });
    regs_.add("WDT_SWINT", WDT_SWINT, 0, Access::rw, SWINT_SET | SWINT_CLR).on_write([this](std::uint32_t, std::uint32_t v) {
        if (v & SWINT_SET) sw_irq_ = true;
        if (v & SWINT_CLR) sw_irq_ = false;
        regs_["WDT_SWINT"].set(sw_irq_ ? SWINT_SET : 0);
        update_irq();
    });
    sc_core::sc_spawn_options o;
    o.spawn_method();
    o.dont_initialize();
    o.set_sensitivity(&expiry_);
    sc_core::sc_spawn([this] { expired(); }, sc_core::sc_gen_unique_name("expiry"), &o);
}

sc_core::sc_time Watchdog::timeout() const {
    const std::uint64_t ticks = std::max<std::uint32_t>((length_->value() >> 5) & 0x7FF, 1);
    return sc_core::sc_time(static_cast<double>(ticks) / kTickHz, sc_core::SC_SEC);
}

void Watchdog::arm() {
    expiry_.cancel();
    expiry_.notify(timeout());
}

void Watchdog::expired() {
    if (!(mode_->value() & MODE_ENABLE)) return;
    if (mode_->value() & MODE_IRQ) {
        timed_out_irq_ = true;
        sta_->set_bits(STA_HW);
        device_.emit(ev::wdt_expired, {{"wdt", std::string(name())}, {"action", "interrupt"}});
        update_irq();
        arm();  // keeps counting: a second miss interrupts again
        return;
    }
    request_reset("watchdog-timeout", STA_HW);
}

void Watchdog::request_reset(const char* reason, std::uint32_t sta) {
    auto request = target_;
    request.reason = reason;
    device_.emit(ev::wdt_expired, {{"wdt", std::string(name())},
                                   {"action", request.scope == ResetRequest::Scope::core ? "reset-core" : "reset-device"},
                                   {"core", request.core},
                                   {"reason", reason}});
    reset();
    sta_->set(sta);  // survives the reset it causes
    auto listeners = listeners_;
    for (auto& l : listeners) l(request);
}

void Watchdog::reset() {
    expiry_.cancel();
    const auto sta = sta_->value();
    regs_.reset();
    sta_->set(sta);
    timed_out_irq_ = sw_irq_ = false;
    update_irq();
}

void Watchdog::update_irq() {
    if (irq_) irq_->set(timed_out_irq_ || sw_irq_);
}

}  // namespace svp

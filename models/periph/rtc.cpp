#include "models/periph/rtc.h"

namespace svp {
namespace {
using u128 = unsigned __int128;
std::uint64_t ps_of(sc_core::sc_time t) { return t.value() / sc_core::sc_time(1, sc_core::SC_PS).value(); }
}  // namespace

Rtc::Rtc(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, std::uint64_t clock_hz, IrqLine* irq)
    : Peripheral(name, device, latency), hz_(clock_hz), irq_(irq) {
    regs_.add("RTC_CTRL", RTC_CTRL, CTRL_RUN, Access::rw, CTRL_RUN).on_write([this](std::uint32_t old, std::uint32_t v) {
        if ((old & CTRL_RUN) == (v & CTRL_RUN)) return;
        base_ticks_ = ticks_now();  // freeze or resume from where it is
        base_time_ = sc_core::sc_time_stamp();
        running_ = v & CTRL_RUN;
        schedule();
    });
    regs_.add("RTC_TIME_S", RTC_TIME_S, 0, Access::ro).on_read([this](bool) { return static_cast<std::uint32_t>(seconds()); });
    regs_.add("RTC_TIME_SUB", RTC_TIME_SUB, 0, Access::ro).on_read([this](bool) {
        return static_cast<std::uint32_t>(subsecond_ticks());
    });
    regs_.add("RTC_SET_S", RTC_SET_S, 0, Access::wo).on_write([this](std::uint32_t, std::uint32_t v) {
        regs_["RTC_SET_S"].set(0);
        set_time(v);
    });
    regs_.add("RTC_ALARM_S", RTC_ALARM_S).on_write([this](std::uint32_t, std::uint32_t) { schedule(); });
    regs_.add("RTC_INT_EN", RTC_INT_EN, 0, Access::rw, INT_ALARM | INT_SECOND).on_write([this](std::uint32_t, std::uint32_t) {
        schedule();
        update_irq();
    });
    regs_.add("RTC_INT_STS", RTC_INT_STS, 0, Access::w1c, INT_ALARM | INT_SECOND).on_write([this](std::uint32_t, std::uint32_t) {
        update_irq();
    });
    sc_core::sc_spawn_options o;
    o.spawn_method();
    o.dont_initialize();
    o.set_sensitivity(&next_);
    sc_core::sc_spawn([this] { fire(); }, sc_core::sc_gen_unique_name("tick"), &o);
}

std::uint64_t Rtc::ticks_now() const {
    if (!running_) return base_ticks_;
    const u128 ps = ps_of(sc_core::sc_time_stamp() - base_time_);
    return base_ticks_ + static_cast<std::uint64_t>(ps * hz_ / 1'000'000'000'000ull);
}

void Rtc::set_time(std::int64_t unix_s) {
    base_ticks_ = static_cast<std::uint64_t>(std::max<std::int64_t>(unix_s, 0)) * hz_;
    base_time_ = sc_core::sc_time_stamp();
    schedule();
}

std::int64_t Rtc::seconds() const { return static_cast<std::int64_t>(ticks_now() / hz_); }
std::uint64_t Rtc::subsecond_ticks() const { return ticks_now() % hz_; }

void Rtc::schedule() {
    next_.cancel();
    if (!running_) return;
    const auto en = regs_["RTC_INT_EN"].value();
    const std::uint64_t now = ticks_now();
    std::uint64_t target = ~0ull;
    if (en & INT_SECOND) target = (now / hz_ + 1) * hz_;
    const std::uint64_t alarm = static_cast<std::uint64_t>(regs_["RTC_ALARM_S"].value()) * hz_;
    if ((en & INT_ALARM) && alarm > now) target = std::min(target, alarm);
    if (target == ~0ull) return;
    // The instant tick `target` begins, rounded up to the picosecond.
    const u128 ps = (static_cast<u128>(target - base_ticks_) * 1'000'000'000'000ull + hz_ - 1) / hz_;
    next_.notify(base_time_ + sc_core::sc_time(static_cast<double>(ps), sc_core::SC_PS) - sc_core::sc_time_stamp());
}

void Rtc::fire() {
    const std::uint64_t now = ticks_now();
    auto& sts = regs_["RTC_INT_STS"];
    const auto en = regs_["RTC_INT_EN"].value();
    if ((en & INT_SECOND) && now % hz_ == 0) sts.set_bits(INT_SECOND);
    if ((en & INT_ALARM) && now == static_cast<std::uint64_t>(regs_["RTC_ALARM_S"].value()) * hz_) {
        sts.set_bits(INT_ALARM);
        device_.emit(ev::rtc_alarm, {{"rtc", std::string(name())}, {"time_s", now / hz_}});
    }
    update_irq();
    schedule();
}

void Rtc::update_irq() {
    if (irq_) irq_->set((regs_["RTC_INT_STS"].value() & regs_["RTC_INT_EN"].value()) != 0);
}

}  // namespace svp

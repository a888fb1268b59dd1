#include "models/periph/gpt.h"

namespace svp {
namespace {

using u128 = unsigned __int128;

std::uint64_t ps_of(sc_core::sc_time t) {
    static const auto one_ps = sc_core::sc_time(1, sc_core::SC_PS).value();
    return t.value() / one_ps;
}

}  // namespace

std::uint64_t Gpt::Clocked::ticks(sc_core::sc_time now) const {
    if (!running) return 0;
    const u128 ps = ps_of(now - start);
    return static_cast<std::uint64_t>(ps * hz_num / (static_cast<u128>(hz_den) * 1'000'000'000'000ull));
}

sc_core::sc_time Gpt::Clocked::time_of(std::uint64_t tick) const {
    const u128 den = hz_num;
    const u128 ps = (static_cast<u128>(tick) * hz_den * 1'000'000'000'000ull + den - 1) / den;  // ceil
    return start + sc_core::sc_time(static_cast<double>(ps), sc_core::SC_PS);
}

Gpt::Gpt(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, std::uint64_t xtal_hz,
         std::uint64_t bus_hz, IrqLine* irq)
    : Peripheral(name, device, latency), xtal_hz_(xtal_hz), bus_hz_(bus_hz), irq_(irq) {
    regs_.add("GPT_ISR", GPT_ISR, 0, Access::w1c, 0x3).on_write([this](std::uint32_t, std::uint32_t) { update_irq(); });
    regs_.add("GPT_IER", GPT_IER, 0, Access::rw, 0x3).on_write([this](std::uint32_t, std::uint32_t) { update_irq(); });
    for (int n = 0; n < 2; ++n) {
        const std::uint32_t base = n == 0 ? GPT0_CTRL : GPT1_CTRL;
        const std::string id = "GPT" + std::to_string(n);
        ctrl_[n] = &regs_.add(id + "_CTRL", base, 0, Access::rw, 0xF).on_write([this, n](std::uint32_t old, std::uint32_t v) {
            ctrl_[n]->clear_bits(CTRL_RESTART);  // self-clearing
            if (!(v & CTRL_EN)) {
                if (old & CTRL_EN) {  // stopped: the count freezes where it is
                    frozen_[n] = down_count(n);
                    down_[n].running = false;
                    expire_[n].cancel();
                }
                return;
            }
            if (!(old & CTRL_EN) || (v & CTRL_RESTART)) start_down(n);
        });
        icnt_[n] = &regs_.add(id + "_ICNT", base + 4);
        regs_.add(id + "_CNT", n == 0 ? GPT0_CNT : GPT1_CNT, 0, Access::ro).on_read([this, n](bool) { return down_count(n); });
        sc_core::sc_spawn_options o;
        o.spawn_method();
        o.dont_initialize();
        o.set_sensitivity(&expire_[n]);
        sc_core::sc_spawn([this, n] { down_expired(n); }, sc_core::sc_gen_unique_name((id + "_expiry").c_str()), &o);
    }
    regs_.add("GPT2_CTRL", GPT2_CTRL, 0, Access::rw, 0x3).on_write([this](std::uint32_t old, std::uint32_t v) {
        if ((v & CTRL_EN) && !(old & CTRL_EN)) {
            gpt2_ = {true, sc_core::sc_time_stamp(), kHighSpeedHz, (v & GPT2_SPEED_32K) ? 1u : 33u};
        } else if (!(v & CTRL_EN) && (old & CTRL_EN)) {
            gpt2_frozen_ = static_cast<std::uint32_t>(gpt2_.ticks(sc_core::sc_time_stamp()));
            gpt2_.running = false;
        }
    });
    regs_.add("GPT2_CNT", GPT2_CNT, 0, Access::ro).on_read([this](bool) {
        return gpt2_.running ? static_cast<std::uint32_t>(gpt2_.ticks(sc_core::sc_time_stamp())) : gpt2_frozen_;
    });
    regs_.add("GPT3_CTRL", GPT3_CTRL, 0, Access::rw, 0x3F8001).on_write([this](std::uint32_t old, std::uint32_t v) {
        if (v & GPT3_ICLR) {
            gpt3_pending_ = false;
            update_irq();
        }
        if ((v & CTRL_EN) && !(old & CTRL_EN)) {
            start_gpt3();
        } else if (!(v & CTRL_EN) && (old & CTRL_EN)) {
            gpt3_frozen_ = gpt3_count();
            gpt3_.running = false;
            gpt3_expire_.cancel();
        }
    });
    regs_.add("GPT3_INIT", GPT3_INIT);
    regs_.add("GPT3_CNT", GPT3_CNT, 0, Access::ro).on_read([this](bool) { return gpt3_.running ? gpt3_count() : gpt3_frozen_; });
    regs_.add("GPT3_EXPIRE", GPT3_EXPIRE).on_write([this](std::uint32_t, std::uint32_t) {
        if (gpt3_.running) start_gpt3_expiry();
    });
    regs_.add("GPT4_CTRL", GPT4_CTRL, 0, Access::rw, 0x3).on_write([this](std::uint32_t old, std::uint32_t v) {
        if ((v & CTRL_EN) && !(old & CTRL_EN)) {
            gpt4_ = {true, sc_core::sc_time_stamp(), bus_hz_, (v & GPT4_SPEED_BUS) ? 1u : 2u};
        } else if (!(v & CTRL_EN) && (old & CTRL_EN)) {
            gpt4_frozen_ = gpt4_count();
            gpt4_.running = false;
        }
    });
    regs_.add("GPT4_INIT", GPT4_INIT);
    regs_.add("GPT4_CNT", GPT4_CNT, 0, Access::ro).on_read([this](bool) { return gpt4_.running ? gpt4_count() : gpt4_frozen_; });

    sc_core::sc_spawn_options o;
    o.spawn_method();
    o.dont_initialize();
    o.set_sensitivity(&gpt3_expire_);
    sc_core::sc_spawn(
        [this] {
            gpt3_pending_ = true;
            update_irq();
        },
        sc_core::sc_gen_unique_name("GPT3_expiry"), &o);
}

void Gpt::start_down(int n) {
    const auto ctrl = ctrl_[n]->value();
    down_[n] = {true, sc_core::sc_time_stamp(), kHighSpeedHz, (ctrl & CTRL_SPEED_32K) ? 1u : 33u};
    load_[n] = icnt_[n]->value();
    expire_[n].cancel();
    expire_[n].notify(down_[n].time_of(std::max<std::uint32_t>(load_[n], 1)) - sc_core::sc_time_stamp());
}

std::uint32_t Gpt::down_count(int n) const {
    if (!down_[n].running) return frozen_[n];
    const std::uint64_t t = down_[n].ticks(sc_core::sc_time_stamp());
    if (t >= load_[n]) return 0;
    return static_cast<std::uint32_t>(load_[n] - t);
}

void Gpt::down_expired(int n) {
    regs_["GPT_ISR"].set_bits(1u << n);
    update_irq();
    if (ctrl_[n]->value() & CTRL_MODE_REPEAT) {
        start_down(n);  // reload from ICNT and go again
    } else {
        down_[n].running = false;
        frozen_[n] = 0;
        ctrl_[n]->clear_bits(CTRL_EN);  // one-shot: the timer stops (assumed: EN self-clears)
    }
}

void Gpt::start_gpt3() {
    const std::uint64_t osc = (regs_["GPT3_CTRL"].value() >> 16) & 0x3F;
    gpt3_ = {true, sc_core::sc_time_stamp(), xtal_hz_, osc + 1};
    start_gpt3_expiry();
}

void Gpt::start_gpt3_expiry() {
    gpt3_expire_.cancel();
    const std::uint32_t init = regs_["GPT3_INIT"].value(), expire = regs_["GPT3_EXPIRE"].value();
    const std::uint64_t now_ticks = gpt3_.ticks(sc_core::sc_time_stamp());
    // Ticks from start at which the count equals EXPIRE (the 32-bit count wraps).
    std::uint64_t at = static_cast<std::uint32_t>(expire - init);
    while (at <= now_ticks) at += 1ull << 32;
    gpt3_expire_.notify(gpt3_.time_of(at) - sc_core::sc_time_stamp());
}

std::uint32_t Gpt::gpt3_count() {
    return regs_["GPT3_INIT"].value() + static_cast<std::uint32_t>(gpt3_.ticks(sc_core::sc_time_stamp()));
}

std::uint32_t Gpt::gpt4_count() {
    return regs_["GPT4_INIT"].value() + static_cast<std::uint32_t>(gpt4_.ticks(sc_core::sc_time_stamp()));
}

void Gpt::update_irq() {
    if (irq_) irq_->set((regs_["GPT_ISR"].value() & regs_["GPT_IER"].value()) != 0 || gpt3_pending_);
}

}  // namespace svp

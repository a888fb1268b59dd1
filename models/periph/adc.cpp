#include "models/periph/adc.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/util/log.h"

namespace svp {

Adc::Adc(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, IrqLine* irq)
    : Peripheral(name, device, latency), irq_(irq) {
    regs_.add("ADC_CTL0", ADC_CTL0).on_write([this](std::uint32_t old, std::uint32_t v) {
        if ((v & ADC_FSM_EN) && !(old & ADC_FSM_EN)) {
            start_scan(true);
        } else if (!(v & ADC_FSM_EN) && (old & ADC_FSM_EN)) {
            step_.cancel();  // the state machine stops; a conversion under way is lost
            scan_.clear();
        }
    });
    regs_.add("REG_PERIOD", REG_PERIOD);
    regs_.add("ADC_CTL2", ADC_CTL2, 0, Access::rw, 0x00300000);
    regs_.add("ADC_CTL3", ADC_CTL3);
    regs_.add("ADC_CTL4", ADC_CTL4, 0, Access::ro);
    regs_.add("ADC_FIFO_RBR", ADC_FIFO_RBR, 0, Access::ro).on_read([this](bool debug) -> std::uint32_t {
        if (fifo_.empty()) return 0;
        const std::uint32_t s = fifo_.front();
        if (!debug) {
            fifo_.pop_front();
            rptr_ = (rptr_ + 1) & 0x1F;
            overrun_reported_ = false;
            update_irq();
        }
        return s;
    });
    regs_.add("ADC_FIFO_IER", ADC_FIFO_IER, 0, Access::rw, RXFEN | RXTEN).on_write([this](std::uint32_t, std::uint32_t v) {
        if (v & RXTEN) log::get("unimp")->warn("{}: unimplemented: ADC FIFO timeout interrupt (RXTEN)", this->name());
        update_irq();
    });
    regs_.add("ADC_IIR", ADC_IIR, IIR_NONE, Access::ro).on_read([this](bool) -> std::uint32_t {
        return (regs_["ADC_FIFO_IER"].value() & RXFEN) && fifo_.size() >= trigger_level() ? IIR_RX_DATA : IIR_NONE;
    });
    regs_.add("ADC_FIFO_LSR", ADC_FIFO_LSR, 0, Access::ro).on_read([this](bool debug) -> std::uint32_t {
        const std::uint32_t v = (fifo_.empty() ? 0 : LSR_DR) | (overrun_ ? LSR_OE : 0);
        if (!debug) overrun_ = false;  // the overrun flag is cleared by reading it
        return v;
    });
    regs_.add("ADC_FIFO_DMA_EN", ADC_FIFO_DMA_EN, 0, Access::rw, 0x5).on_write([this](std::uint32_t, std::uint32_t v) {
        if (v & 1) log::get("unimp")->warn("{}: unimplemented: ADC FIFO DMA (RX_DMA_EN); read ADC_FIFO_RBR", this->name());
    });
    regs_.add("ADC_FIFO_TRI_LVL", ADC_FIFO_TRI_LVL, 0x1C, Access::rw, 0xFC).on_write([this](std::uint32_t, std::uint32_t) {
        update_irq();
    });
    regs_.add("ADC_FIFO_DEBUG16", ADC_FIFO_DEBUG16, 0, Access::ro).on_read([this](bool) -> std::uint32_t {
        return rptr_ | wptr_ << 5;
    });

    sc_core::sc_spawn_options o;
    o.spawn_method();
    o.dont_initialize();
    o.set_sensitivity(&step_);
    sc_core::sc_spawn([this] { scan_step(); }, sc_core::sc_gen_unique_name((std::string(basename()) + "_scan").c_str()), &o);
}

void Adc::reset() {
    Peripheral::reset();
    step_.cancel();
    scan_.clear();
    fifo_.clear();
    rptr_ = wptr_ = 0;
    overrun_ = overrun_reported_ = false;
    update_irq();
}

void Adc::set_input_mv(unsigned channel, double millivolts) {
    if (channel >= kChannels) throw std::out_of_range(fmt::format("ADC channel {} (the ADC has 0..7)", channel));
    inputs_mv_[channel] = millivolts;
}

double Adc::reference_mv() { return (regs_["ADC_CTL3"].value() & VCM_AZURE_EN) ? 1800.0 : 2500.0; }

std::uint16_t Adc::code_of(unsigned channel) {
    const double v = std::clamp(inputs_mv_.at(channel), 0.0, reference_mv());
    return static_cast<std::uint16_t>(std::lround(v / reference_mv() * 4095.0));
}

unsigned Adc::trigger_level() { return std::max(1u, (regs_["ADC_FIFO_TRI_LVL"].value() >> 2) & 0x1F); }

void Adc::start_scan(bool first) {
    const std::uint32_t ctl0 = regs_["ADC_CTL0"].value();
    scan_.clear();
    for (unsigned ch = 0; ch < kChannels; ++ch)
        if (ctl0 & (1u << (CH_MAP_SHIFT + ch))) scan_.push_back(ch);
    if (scan_.empty()) {
        regs_.report_guest_error("ADC_FSM_EN set with no channel in REG_CH_MAP; nothing converted");
        regs_["ADC_CTL0"].clear_bits(ADC_FSM_EN);
        return;
    }
    if (ctl0 & (0xFFu << (CH_MAP_SHIFT + kChannels)))
        regs_.report_guest_error("REG_CH_MAP names channels past 7; the ADC has 8");
    const std::uint64_t t_init = first ? (ctl0 >> T_INIT_SHIFT) & 0x7F : 0;
    const std::uint64_t per_channel = (((ctl0 >> T_CH_SHIFT) & 0xF) + 12) << ((ctl0 >> AVG_SHIFT) & 0x7);
    // Periodic scans are spaced from the end of the settling time.
    scan_start_ = sc_core::sc_time_stamp() + cycle() * static_cast<double>(t_init);
    step_.notify(cycle() * static_cast<double>(t_init + per_channel));
}

void Adc::scan_step() {
    if (scan_.empty()) return;
    const unsigned ch = scan_.front();
    scan_.erase(scan_.begin());
    if (fifo_.size() >= kFifoDepth) {
        overrun_ = true;
        if (!overrun_reported_) device_.emit(ev::adc_overrun, {{"adc", name()}, {"channel", ch}});
        overrun_reported_ = true;
    } else {
        fifo_.push_back(static_cast<std::uint32_t>(code_of(ch)) << 4 | ch);
        wptr_ = (wptr_ + 1) & 0x1F;
    }
    update_irq();
    const std::uint32_t ctl0 = regs_["ADC_CTL0"].value();
    const std::uint64_t per_channel = (((ctl0 >> T_CH_SHIFT) & 0xF) + 12) << ((ctl0 >> AVG_SHIFT) & 0x7);
    if (!scan_.empty()) {
        step_.notify(cycle() * static_cast<double>(per_channel));
        return;
    }
    if (!(ctl0 & PMODE_EN)) {
        regs_["ADC_CTL0"].clear_bits(ADC_FSM_EN);  // a one-shot scan is done
        return;
    }
    // Periodic: the next scan starts REG_PERIOD + 1 cycles after this one started, or now if
    // the scan took longer than that (assumed).
    const auto next = std::max(scan_start_ + cycle() * static_cast<double>(regs_["REG_PERIOD"].value() + 1ull),
                               sc_core::sc_time_stamp());
    const auto wait = next - sc_core::sc_time_stamp();
    start_scan(false);
    scan_start_ = next;
    step_.cancel();
    step_.notify(wait + cycle() * static_cast<double>(per_channel));
}

void Adc::update_irq() {
    if (irq_) irq_->set((regs_["ADC_FIFO_IER"].value() & RXFEN) && fifo_.size() >= trigger_level());
}

}  // namespace svp

#include "models/cpu/armv7m/clock_control.h"

#include <fmt/format.h>

namespace svp {

Cm4ClockControl::Cm4ClockControl(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency,
                                 Clocks clocks, ChangeFn on_change)
    : Peripheral(name, device, latency), clocks_(clocks), on_change_(std::move(on_change)) {
    regs_.add("IO_CM4_RGU", IO_CM4_RGU, 0).on_write([this](std::uint32_t, std::uint32_t v) {
        const std::uint32_t to = (v & HCLK_MASK) >> HCLK_SHIFT;
        if (to > pll) {
            regs_.report_guest_error(fmt::format("IO_CM4_RGU: HCLK source {} is reserved; the clock stays at {} Hz", to, hz()));
            return;
        }
        if (to == source_) return;
        source_ = to;
        if (on_change_) on_change_(hz(), source_name(to));
    });
}

std::uint64_t Cm4ClockControl::hz_of(std::uint32_t source) const {
    switch (source) {
    case rtc_32k: return clocks_.rtc_hz;
    case pll: return clocks_.pll_hz;
    default: return clocks_.crystal_hz;
    }
}

std::uint64_t Cm4ClockControl::hz() const { return hz_of(source_); }

const char* Cm4ClockControl::source_name(std::uint32_t source) {
    switch (source) {
    case crystal: return "crystal";
    case rtc_32k: return "32k";
    case pll: return "pll";
    }
    return "reserved";
}

void Cm4ClockControl::reset() {
    Peripheral::reset();
    if (source_ == crystal) return;
    source_ = crystal;
    if (on_change_) on_change_(hz(), source_name(crystal));
}

}  // namespace svp

// The clock register of an MT3620 real-time core: IO_CM4_RGU at 0x2101000C in the core's own
// map. Bits 9:8 select the core's HCLK source (CodethinkLabs mt3620-m4-drivers mt3620/clock.h,
// MT3620_CLOCK_*): 0 the 26 MHz crystal (the value after reset), 1 the 32 kHz clock, 2 the
// PLL at 197.6 MHz. RTApp samples boost the core with `val &= 0xFFFF00FF; val |= 0x200`
// ("Boost M4 core to 197.6MHz (@26MHz)", reference §1.1). The other bits of the register and
// the rest of the block are not public: they are stored and read back (assumed), and an access
// to another offset of the block is a bus error. Source 3 is reserved: the write is stored,
// the clock is left alone and a guest error is logged.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "models/base/peripheral.h"

namespace svp {

class Cm4ClockControl : public Peripheral {
public:
    static constexpr std::uint32_t IO_CM4_RGU = 0x0C;
    static constexpr std::uint32_t HCLK_SHIFT = 8, HCLK_MASK = 0x3u << HCLK_SHIFT;
    enum Source : std::uint32_t { crystal = 0, rtc_32k = 1, pll = 2 };

    struct Clocks {
        std::uint64_t crystal_hz = 26'000'000;
        std::uint64_t rtc_hz = 32'768;
        std::uint64_t pll_hz = 197'600'000;
    };
    // `on_change(hz, source)` is called when a write selects a different source.
    using ChangeFn = std::function<void(std::uint64_t hz, const std::string& source)>;

    Cm4ClockControl(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, Clocks clocks,
                    ChangeFn on_change);

    std::uint64_t hz() const;
    static const char* source_name(std::uint32_t source);
    // Back to the crystal (the core is reset): reported through on_change if it was elsewhere.
    void reset() override;

private:
    std::uint64_t hz_of(std::uint32_t source) const;
    Clocks clocks_;
    ChangeFn on_change_;
    std::uint32_t source_ = crystal;  // the source in use (a reserved value is never taken)
};

}  // namespace svp

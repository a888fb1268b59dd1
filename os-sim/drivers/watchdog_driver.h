// The app core's watchdog (MT3620: 0x30050000, DTSI watchdog@30050030), MediaTek's layout
// and keys (MediaTek-Labs mt3620_m4_software, hdl_wdt.c):
//   0x30 WDT_MODE     bit 0 ENABLE, bit 3 IRQ instead of reset; key 0x22 in bits 15:8
//   0x34 WDT_LENGTH   bits 15:5 timeout in 1/32 s ticks (at most 0x7FF = 64 s); key 0x08 in bits 4:0
//   0x38 WDT_RESTART  0x1971 kicks it
//   0x3C WDT_STA      bit 15 the last reset was a watchdog timeout, bit 14 a software reset
// The kernel arms it at boot in reset mode and a service kicks it; if the kernel stops
// scheduling (a hang, a panic that cannot reset) the device resets, and an unconfirmed update
// is then reverted by the security subsystem.
#pragma once

#include "os-sim/kernel/hw.h"

namespace svp::os {

class WatchdogDriver {
public:
    static constexpr std::uint32_t WDT_MODE = 0x30, WDT_LENGTH = 0x34, WDT_RESTART = 0x38, WDT_STA = 0x3C;
    static constexpr std::uint32_t MODE_KEY = 0x22 << 8, MODE_ENABLE = 0x01, LENGTH_KEY = 0x08, RESTART_KEY = 0x1971,
                                   STA_HW = 0x8000, STA_SW = 0x4000;
    static constexpr std::uint32_t kMaxTicks = 0x7FF, kTicksPerSecond = 32;

    WatchdogDriver(Hw& hw, std::uint64_t base) : hw_(hw), base_(base) {}
    // Why the device last reset, as the watchdog recorded it: "watchdog", "software" or "".
    std::string last_reset();
    // Arms it in reset mode with a timeout of `seconds` (clamped to 1..64); false on a bus error.
    bool arm(std::uint32_t seconds);
    bool kick();
    bool disarm();

private:
    Hw& hw_;
    std::uint64_t base_;
};

}  // namespace svp::os

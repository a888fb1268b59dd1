#include "os-sim/drivers/watchdog_driver.h"

#include <algorithm>

namespace svp::os {

std::string WatchdogDriver::last_reset() {
    try {
        const auto sta = hw_.read32(base_ + WDT_STA);
        if (sta & STA_HW) return "watchdog";
        if (sta & STA_SW) return "software";
    } catch (const BusError&) {
    }
    return "";
}

bool WatchdogDriver::arm(std::uint32_t seconds) {
    const auto ticks = std::clamp<std::uint32_t>(seconds * kTicksPerSecond, kTicksPerSecond, kMaxTicks);
    try {
        hw_.write32(base_ + WDT_LENGTH, ticks << 5 | LENGTH_KEY);
        hw_.write32(base_ + WDT_RESTART, RESTART_KEY);
        hw_.write32(base_ + WDT_MODE, MODE_KEY | MODE_ENABLE);
    } catch (const BusError&) {
        return false;
    }
    return true;
}

bool WatchdogDriver::kick() {
    try {
        hw_.write32(base_ + WDT_RESTART, RESTART_KEY);
    } catch (const BusError&) {
        return false;
    }
    return true;
}

bool WatchdogDriver::disarm() {
    try {
        hw_.write32(base_ + WDT_MODE, MODE_KEY);
    } catch (const BusError&) {
        return false;
    }
    return true;
}

}  // namespace svp::os

// The real-time clock (MT3620: `Real_Time_Clock@30090000`, size 0x200, GIC SPI 0, on a 32 kHz
// clock; DTSI). It holds wall-clock time for the device, and starts at the scenario's epoch
// (DESIGN.md: the device's RTC starts at the same epoch as the cloud stub's clock), so
// certificate lifetimes are judged on simulated time.
//
// The MT3620 RTC's register layout is not public; this one is assumed:
//   0x00 RTC_CTRL     RW  bit 0 RUN (reset 1: the RTC runs from power-on)
//   0x04 RTC_TIME_S   RO  seconds since 1970-01-01 UTC
//   0x08 RTC_TIME_SUB RO  ticks of the current second (0 .. clock-1)
//   0x0C RTC_SET_S    WO  sets the time to this second (sub-second count to 0)
//   0x10 RTC_ALARM_S  RW  interrupt when RTC_TIME_S reaches this value
//   0x14 RTC_INT_EN   RW  bit 0 ALARM, bit 1 SECOND (every second boundary)
//   0x18 RTC_INT_STS  W1C bit 0 ALARM, bit 1 SECOND
#pragma once

#include "models/base/irq.h"
#include "models/base/peripheral.h"

namespace svp {

class Rtc : public Peripheral {
public:
    static constexpr std::uint32_t RTC_CTRL = 0x00, RTC_TIME_S = 0x04, RTC_TIME_SUB = 0x08, RTC_SET_S = 0x0C,
                                   RTC_ALARM_S = 0x10, RTC_INT_EN = 0x14, RTC_INT_STS = 0x18;
    static constexpr std::uint32_t CTRL_RUN = 1, INT_ALARM = 1, INT_SECOND = 2;

    Rtc(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, std::uint64_t clock_hz, IrqLine* irq);

    // Sets the time the clock shows now (the platform sets the scenario epoch at power-on).
    void set_time(std::int64_t unix_s);
    // The time it shows now, in whole seconds and ticks.
    std::int64_t seconds() const;
    std::uint64_t subsecond_ticks() const;

private:
    std::uint64_t ticks_now() const;  // ticks since 1970 at this instant
    void schedule();
    void fire();
    void update_irq();

    std::uint64_t hz_;
    IrqLine* irq_;
    std::uint64_t base_ticks_ = 0;  // ticks since 1970 at `base_time_`
    sc_core::sc_time base_time_;
    bool running_ = true;
    sc_core::sc_event next_;
};

}  // namespace svp

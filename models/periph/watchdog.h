// The watchdog (MT3620: the A7's at 0x30050000, DTSI `watchdog@30050030`, GIC SPI 4; each RT
// core's at 0x21020000). Once enabled it must be kicked within its length, or it either
// interrupts (IRQ mode) or resets what it guards: its core, or the whole device (variant:
// `resets: core|device`). The reset itself is the platform's business: the watchdog reports a
// ResetRequest to its listeners (Device wires them) and records why in WDT_STA.
//
// Register layout and keys (MediaTek-Labs mt3620_m4_software, MT3620_M4_Driver/HDL/src/hdl_wdt.c):
//   0x30 WDT_MODE     bits 0 ENABLE, 3 IRQ (interrupt instead of reset), 4 IRQ_OTHER_EN;
//                     a write takes effect only with key 0x22 in bits 15:8
//   0x34 WDT_LENGTH   bits 15:5 timeout in ticks of 1024 / 32768 Hz = 1/32 s (at most 0x7FF,
//                     i.e. 64 s); key 0x08 in bits 4:0
//   0x38 WDT_RESTART  write 0x1971 to kick
//   0x3C WDT_STA      bit 15 the last reset was a watchdog timeout, bit 14 a software reset
//   0x40 WDT_INTERVAL bits 11:0 (stored; not used by this model)
//   0x44 WDT_SWRST    write 0x1209 to reset at once
//   0x80 WDT_SWINT    bit 31 raise the interrupt, bit 30 clear it
// A write with a wrong key is ignored (a guest error, as silicon would ignore it). WDT_STA
// survives the reset it causes (that is how software learns why it restarted).
#pragma once

#include <functional>
#include <string>

#include "models/base/irq.h"
#include "models/base/peripheral.h"

namespace svp {

struct ResetRequest {
    enum class Scope : std::uint8_t { core, device };
    Scope scope = Scope::device;
    std::string core;    // the core to reset (scope core)
    std::string source;  // the block asking ("wdt_rt0")
    std::string reason;  // "watchdog-timeout", "software-reset"
};

class Watchdog : public Peripheral {
public:
    static constexpr std::uint32_t WDT_MODE = 0x30, WDT_LENGTH = 0x34, WDT_RESTART = 0x38, WDT_STA = 0x3C,
                                   WDT_INTERVAL = 0x40, WDT_SWRST = 0x44, WDT_SWINT = 0x80;
    static constexpr std::uint32_t MODE_ENABLE = 0x01, MODE_IRQ = 0x08, MODE_IRQ_OTHER_EN = 0x10, MODE_MASK = 0x19,
                                   MODE_KEY = 0x22, LENGTH_KEY = 0x08, RESTART_KEY = 0x1971, SWRST_KEY = 0x1209,
                                   STA_HW = 0x8000, STA_SW = 0x4000, SWINT_SET = 1u << 31, SWINT_CLR = 1u << 30;
    static constexpr std::uint64_t kTickHz = 32;  // one length tick = 1024 / 32768 Hz (hdl_wdt.h)

    Watchdog(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, ResetRequest target,
             IrqLine* irq);

    void on_reset_request(std::function<void(const ResetRequest&)> listener) { listeners_.push_back(std::move(listener)); }
    // The timeout as programmed (length ticks / 32 s).
    sc_core::sc_time timeout() const;
    // A device or core reset: everything but WDT_STA returns to its reset value.
    void reset();

private:
    void arm();
    void expired();
    void request_reset(const char* reason, std::uint32_t sta);
    void update_irq();

    ResetRequest target_;
    IrqLine* irq_;
    sc_core::sc_event expiry_;
    bool timed_out_irq_ = false, sw_irq_ = false;
    std::vector<std::function<void(const ResetRequest&)>> listeners_;
    Register *mode_ = nullptr, *length_ = nullptr, *sta_ = nullptr;
};

}  // namespace svp

// The application core's execution context (a Cortex-A7-class core running a host-compiled
// OS, issue: os-sim). It holds the core in reset until the security subsystem releases it,
// then calls the OS entry in the core's own SystemC thread. The OS charges every operation in
// cycles at this core's clock (ClockDomain) and reaches memory and devices only through this
// core's bus identity, so firewall rules and wait states apply to it.
#pragma once

#include <functional>
#include <optional>

#include "models/base/bus_master.h"
#include "models/base/clock.h"
#include "models/base/device_context.h"
#include "models/security/security_subsystem.h"

namespace svp {

class AppCore : public sc_core::sc_module {
public:
    AppCore(sc_core::sc_module_name name, DeviceContext& device, std::uint64_t clock_hz, BusInitiator who);

    using OsEntry = std::function<void(AppCore&, const BootHandoff&)>;
    void set_os_entry(OsEntry entry) { os_entry_ = std::move(entry); }
    // Called by the security subsystem: leave reset and run the OS from `handoff`.
    void release(const BootHandoff& handoff);

    // Back into reset: the running OS (this core's thread and every process it spawned) is
    // killed and unwound; the core waits to be released again. Call from a SystemC process.
    void reset();

    BusMaster& bus() { return bus_; }
    const ClockDomain& clock() const { return clock_; }
    DeviceContext& device() { return device_; }
    bool running() const { return running_; }

private:
    void start();
    void run();

    DeviceContext& device_;
    ClockDomain clock_;
    BusMaster bus_;
    OsEntry os_entry_;
    std::optional<BootHandoff> handoff_;
    sc_core::sc_event released_;
    sc_core::sc_process_handle thread_;
    bool running_ = false;
};

}  // namespace svp

#include "models/cpu/app_core.h"

namespace svp {

AppCore::AppCore(sc_core::sc_module_name name, DeviceContext& device, std::uint64_t clock_hz, BusInitiator who)
    : sc_module(name), device_(device), clock_(clock_hz), bus_("bus", who) {
    start();
}

void AppCore::start() {
    sc_core::sc_spawn_options options;
    options.set_stack_size(4 << 20);  // the OS runs TLS handshakes on this stack
    thread_ = sc_core::sc_spawn([this] { run(); }, "core", &options);
}

void AppCore::reset() {
    if (thread_.valid() && !thread_.terminated()) thread_.kill(sc_core::SC_INCLUDE_DESCENDANTS);
    running_ = false;
    handoff_.reset();
    bus_.invalidate_all();
    start();
}

void AppCore::release(const BootHandoff& handoff) {
    handoff_ = handoff;
    released_.notify(sc_core::SC_ZERO_TIME);
}

void AppCore::run() {
    wait(released_);
    running_ = true;
    if (os_entry_) os_entry_(*this, *handoff_);
}

}  // namespace svp

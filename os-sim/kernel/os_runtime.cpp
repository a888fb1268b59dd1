#include "os-sim/kernel/os_runtime.h"

namespace svp::os {

OsRuntime::OsRuntime(AppCore& core, DeviceTree tree) : core_(core), tree_(std::move(tree)) {
    core_.set_os_entry([this](AppCore&, const BootHandoff& handoff) {
        // The previous kernel's threads are gone (killed with the core's thread at reset).
        kernel_.reset();
        kernel_ = std::make_unique<Kernel>(core_, tree_);
        ++boots_;
        if (on_boot_) on_boot_(*kernel_);
        kernel_->boot(handoff);
    });
}

}  // namespace svp::os

// The OS as the app core runs it: every time the core leaves reset, a fresh Kernel boots (the
// previous boot's processes were killed with the core's thread; its Kernel is dropped here).
// Tests and the scenario runner read the current boot's kernel.
#pragma once

#include <functional>
#include <memory>

#include "os-sim/kernel/kernel.h"

namespace svp::os {

class OsRuntime {
public:
    // Installs itself as `core`'s OS entry.
    OsRuntime(AppCore& core, DeviceTree tree);

    Kernel* kernel() { return kernel_.get(); }
    unsigned boots() const { return boots_; }
    // Called after each Kernel is made and before it boots (tests register observers here).
    void on_boot(std::function<void(Kernel&)> f) { on_boot_ = std::move(f); }

private:
    AppCore& core_;
    DeviceTree tree_;
    std::unique_ptr<Kernel> kernel_;
    unsigned boots_ = 0;
    std::function<void(Kernel&)> on_boot_;
};

}  // namespace svp::os

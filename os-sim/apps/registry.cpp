// The apps this OS build can run, by the EntryPoint their manifest names.
#include "os-sim/apps/app.h"

namespace svp::os {

std::unique_ptr<App> make_telemetry_app();

const std::vector<AppRegistration>& builtin_apps() {
    static const std::vector<AppRegistration> apps = {
        {"/bin/telemetry", "reports a temperature reading to the cloud every interval", make_telemetry_app},
    };
    return apps;
}

}  // namespace svp::os

// The apps this OS build can run, by the EntryPoint their manifest names.
#include "os-sim/apps/app.h"

namespace svp::os {

std::unique_ptr<App> make_telemetry_app();
std::unique_ptr<App> make_intercore_app();
std::unique_ptr<App> make_misbehaving_app();
std::unique_ptr<App> make_guardian_app();

AppRegistry::AppRegistry() {
    apps_ = {
        {"/bin/telemetry", "reports a temperature reading to the cloud every interval", make_telemetry_app},
        {"/bin/intercore", "exchanges messages with a real-time app over the inter-core mailbox", make_intercore_app},
        {"/bin/guardian", "bridges a legacy device on an ISU UART to the cloud, reading by reading (scenario G1)", make_guardian_app},
        {"/bin/misbehave", "attacks the OS from inside an app as its CmdArgs say (scenarios A1-A9)", make_misbehaving_app},
    };
}

}  // namespace svp::os

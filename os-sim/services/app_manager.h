// init (pid 1) and the application manager. At boot init starts the system services, then
// installs every app image in the apps partition — each verified by the security subsystem,
// its manifest parsed (default deny), its files checked (no device nodes, no set-uid), its
// peripherals claimed (one owner per resource and pin) and assigned to the app core in the
// firewall, which is then locked — and starts them: "apps running" is the boot time
// architects read. Afterwards it supervises: an app that exits or crashes is reported to the
// crash reporter and restarted after a back-off that doubles on each quick failure (1 s,
// 2 s, 4 s ... up to 5 min) and resets after a healthy run. Stopping an app sends SIGTERM,
// then SIGKILL after the grace time (Azure Sphere's app lifecycle, reference §3).
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "os-sim/apps/container.h"

namespace svp::os {

class Kernel;
struct Process;

class AppManager {
public:
    explicit AppManager(Kernel& kernel);

    int run_init(Process& self);  // pid 1's body; never returns while the device runs

    const std::vector<std::unique_ptr<AppContainer>>& apps() const { return apps_; }
    AppContainer* find(const std::string& name);
    // Stops an app (SIGTERM, then SIGKILL after the grace time), in the caller's process;
    // it stays stopped until started again. 0, or -ESRCH when it is not running.
    int stop(Process& caller, AppContainer& app);
    int start(AppContainer& app);
    // Whether every installed app is running and has been for `ns` (a healthy boot).
    bool healthy_for(std::uint64_t ns) const;
    bool apps_started() const { return apps_started_; }
    const sc_core::sc_event& apps_running() const { return apps_running_; }

private:
    void install_all();
    void install_image(std::uint64_t offset, std::uint64_t address);
    void reject(const std::string& app, const std::string& reason, const std::string& detail = "");
    void verify_rt_image(std::uint64_t offset, std::uint64_t address);
    void start_rt_apps();
    void assign_firewall();
    void on_exit(Process& p);
    void handle_exit(AppContainer& app, int status, int signal, const std::string& detail);
    void supervise(Process& self);

    Kernel& kernel_;
    std::vector<std::unique_ptr<AppContainer>> apps_;
    struct RtApp {  // a verified real-time firmware image, started after the firewall is set
        std::string name, core, version;
        Bytes elf;
    };
    std::vector<RtApp> rt_apps_;
    int next_uid_;
    bool apps_started_ = false;
    sc_core::sc_event apps_running_;
    struct Exit {
        AppContainer* app;
        int status, signal;
        std::string detail;
    };
    std::deque<Exit> exits_;
    sc_core::sc_event changed_;
};

}  // namespace svp::os

// The os-sim kernel: a minimal Linux-like OS running host-compiled on the app core after the
// security subsystem released it. It reads its configuration from its own verified image,
// binds drivers from the device tree, keeps a process table with a preemptive round-robin
// scheduler on the one core, starts the system services (attestation agent) and the apps
// found in the apps partition, each verified by the security subsystem first.
// Every operation is charged in cycles at the app core's clock from the variant's cost table.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "models/cpu/app_core.h"
#include "os-sim/apps/app.h"
#include "os-sim/drivers/console.h"
#include "os-sim/drivers/nic_driver.h"
#include "os-sim/drivers/security_driver.h"
#include "os-sim/kernel/device_tree.h"
#include "os-sim/kernel/os_config.h"

namespace svp::os {

struct Process {
    int pid = 0;
    int uid = 0;
    std::string name;
    bool running = false;
    int exit_status = 0;
    sc_core::sc_event exited;
};

class Kernel {
public:
    Kernel(AppCore& core, DeviceTree tree);

    // The OS entry point: runs in the app core's thread when it leaves reset.
    void boot(const BootHandoff& handoff);

    // Starts a process running `body` (its return value is the exit status).
    Process& spawn(const std::string& name, int uid, std::function<int(Process&)> body);

    DeviceContext& device() { return core_.device(); }
    CpuScheduler& cpu() { return cpu_; }
    Console& console() { return *console_; }
    SecurityDriver& security() { return *security_; }
    NicDriver& nic() { return *nic_; }
    const OsConfig& config() const { return config_; }
    std::uint64_t cost(const std::string& name) const;
    std::int64_t now_unix_s() const;
    std::uint64_t now_unix_ms() const;
    // dmesg-style line on the console and into the kernel log ring.
    void klog(const std::string& message);
    const std::deque<std::string>& kernel_log() const { return klog_; }

    // ---- device identity and the cloud -----------------------------------------------------
    const std::optional<crypto::RawPublicKey>& device_key();
    void set_device_certificate(std::string pem);
    const std::optional<std::string>& device_certificate() const { return device_certificate_; }
    const sc_core::sc_event& certificate_changed() const { return certificate_changed_; }
    // A fresh TLS session to the cloud; with `authenticate`, mutual TLS with the device cert.
    HttpResult cloud_post(const std::string& target, const nlohmann::json& body, bool authenticate);

private:
    void start_apps();
    void start_rt_app(std::uint64_t address, std::size_t size);
    std::uint64_t allocate_dma(std::uint64_t bytes);

    AppCore& core_;
    DeviceTree tree_;
    CpuScheduler cpu_;
    Hw hw_;
    std::unique_ptr<Console> console_;
    std::unique_ptr<SecurityDriver> security_;
    std::unique_ptr<NicDriver> nic_;
    OsConfig config_;
    std::map<int, std::unique_ptr<Process>> processes_;
    std::map<int, AppManifest> manifests_;
    int next_pid_ = 1;
    std::uint64_t dma_next_ = 0;
    std::deque<std::string> klog_;
    std::optional<crypto::RawPublicKey> device_key_;
    std::optional<std::string> device_certificate_;
    sc_core::sc_event certificate_changed_;
};

}  // namespace svp::os

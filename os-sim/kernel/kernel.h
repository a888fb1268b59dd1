// The os-sim kernel: a minimal Linux-like OS running host-compiled on the app core after the
// security subsystem released it. One Kernel object lives for one boot (os_runtime.h makes a
// fresh one each time the core leaves reset).
//
// Boot (dmesg-style log with simulated timestamps, and os.init/boot.stage events):
//   kernel   read the OS configuration from the image the security subsystem just verified
//   drivers  bind drivers from the device tree (console, security mailbox, NIC, GPIO, ...)
//   storage  mount the flash store (/mnt/config, app storage, the crash-report queue)
//   init     start init (pid 1), which starts the system services and then the apps
//   apps     "apps running": the boot time architects read
//
// The kernel owns the process table, the scheduler, signals, the system calls (syscalls.cpp),
// device nodes and /proc (devfs.cpp, procfs.cpp), the kernel log ring, and resource ownership.
// Every operation is charged in cycles at the app core's clock from the variant's cost table.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "models/cpu/app_core.h"
#include "os-sim/apps/container.h"
#include "os-sim/drivers/console.h"
#include "os-sim/drivers/adc_driver.h"
#include "os-sim/drivers/gpio_driver.h"
#include "os-sim/drivers/i2c_driver.h"
#include "os-sim/drivers/pwm_driver.h"
#include "os-sim/drivers/spi_driver.h"
#include "os-sim/drivers/uart_driver.h"
#include "os-sim/drivers/intercore_driver.h"
#include "os-sim/drivers/nic_driver.h"
#include "os-sim/drivers/security_driver.h"
#include "os-sim/drivers/storage_driver.h"
#include "os-sim/drivers/watchdog_driver.h"
#include "os-sim/kernel/device_tree.h"
#include "os-sim/kernel/flash_store.h"
#include "os-sim/kernel/os_config.h"
#include "os-sim/kernel/process.h"
#include "os-sim/net/https_client.h"

namespace svp::os {

class AppManager;
class AttestationAgent;
class CrashReporter;
class Networkd;
class UpdateAgent;

inline constexpr int kKernelPid = 0;
inline constexpr int kSystemUid = 0;
inline constexpr int kFirstAppUid = 1000;
inline constexpr int kAppPriority = 0;
inline constexpr int kServicePriority = 10;
inline constexpr int kInitPriority = 20;

// What one process asks the kernel to start.
struct SpawnRequest {
    std::string name;
    int uid = kSystemUid;
    std::uint32_t caps = 0;
    int priority = kServicePriority;
    AppContainer* container = nullptr;
    int ppid = kKernelPid;
    std::function<int(Process&)> body;
};

class Kernel {
public:
    Kernel(AppCore& core, DeviceTree tree);
    ~Kernel();
    Kernel(const Kernel&) = delete;
    Kernel& operator=(const Kernel&) = delete;

    // The OS entry point: runs in the app core's thread when it leaves reset, and never
    // returns while the core runs (after boot the thread starts the processes asked for).
    void boot(const BootHandoff& handoff);

    // ---- processes ---------------------------------------------------------------------
    // Starts a process (its thread begins a delta later). Charges process_start to the caller.
    Process& spawn(SpawnRequest request);
    Process* process(int pid);
    Process* current();  // the process holding the CPU (null while the kernel boots)
    const std::map<int, std::unique_ptr<Process>>& processes() const { return processes_; }
    // Sends `sig` to `target`; 0 or -EPERM/-ESRCH. Delivery semantics in process.h.
    int send_signal(Process& target, int sig, Process* sender);
    // Delivers pending signals to `p` (its own thread, at a delivery point): runs a SIGTERM
    // handler or throws ProcessExit.
    void deliver_signals(Process& p);
    // Waits for `event` (or only for `timeout` when null), interruptible by signals:
    // 0 (the event came), -ETIMEDOUT, or -EINTR.
    int wait_interruptible(Process& p, const sc_core::sc_event* event, sc_core::sc_time timeout);
    // Observers of process exits (the application manager).
    void on_process_exit(std::function<void(Process&)> f) { exit_observers_.push_back(std::move(f)); }

    // ---- system calls (syscalls.cpp); each returns a count/descriptor or -errno ----------
    int sys_open(Process& p, const std::string& path, int flags);
    long sys_read(Process& p, int fd, std::span<std::uint8_t> out);
    long sys_write(Process& p, int fd, ByteView data);
    long sys_ioctl(Process& p, int fd, std::uint32_t request, std::span<std::uint8_t> arg);
    long sys_lseek(Process& p, int fd, std::int64_t offset);
    int sys_close(Process& p, int fd);
    std::int64_t sys_mmap(Process& p, std::uint64_t length, std::uint32_t prot);
    int sys_mprotect(Process& p, std::uint64_t address, std::uint64_t length, std::uint32_t prot);
    int sys_munmap(Process& p, std::uint64_t address, std::uint64_t length);
    int sys_socket(Process& p);
    int sys_connect(Process& p, int fd, const std::string& host, std::uint16_t port);
    long sys_send(Process& p, int fd, ByteView data);
    long sys_recv(Process& p, int fd, std::span<std::uint8_t> out);
    int sys_nanosleep(Process& p, sc_core::sc_time duration);
    int sys_spawn_child(Process& p, const std::string& name, std::function<int(Process&)> body);
    int sys_waitpid(Process& p, int pid, int* status, bool nohang);
    int sys_kill(Process& p, int pid, int sig);
    int sys_sigaction(Process& p, int sig, std::function<void(int)> handler);
    int sys_application_connect(Process& p, const std::string& component_id);
    int sys_defer_update(Process& p, std::uint64_t seconds);
    int sys_settime(Process& p, std::int64_t unix_s);
    void charge_syscall(Process& p);
    // Runs `body` as a system call of `p`: charges it, delivers signals on entry and exit, and
    // keeps it uninterruptible except where it waits interruptibly.
    template <class F>
    auto syscall(Process& p, F&& body) {
        charge_syscall(p);
        deliver_signals(p);
        struct Section {
            Process& p;
            explicit Section(Process& p) : p(p) { ++p.uninterruptible; }
            ~Section() { --p.uninterruptible; }
        };
        auto result = [&] {
            Section s(p);
            return body();
        }();
        deliver_signals(p);
        return result;
    }

    // ---- policy, with events (rule 8: one named check each) -------------------------------
    // Whether `p` may use `r`: granted by its manifest and owned by its app. EPERM otherwise,
    // with an os.security/capability.denied event naming app, capability and resource.
    bool check_capability(Process& p, const std::string& capability, const std::string& resource, bool granted);
    bool check_kernel_capability(Process& p, std::uint32_t cap, const std::string& resource);
    // Resource ownership: one owner per resource (and per pin).
    const AppContainer* owner_of(const std::string& claim) const;
    std::optional<std::string> claim_resources(AppContainer& app);  // the conflicting claim, if any
    void release_resources(AppContainer& app);

    // ---- services and drivers --------------------------------------------------------------
    DeviceContext& device() { return core_.device(); }
    CpuScheduler& cpu() { return cpu_; }
    Hw& hw() { return hw_; }
    Console& console() { return *console_; }
    SecurityDriver& security() { return *security_; }
    NicDriver& nic() { return *nic_; }
    GpioDriver* gpio() { return gpio_.get(); }
    // The UART of ISU `isu` ("ISU1") apps may use, or nullptr (none, or it is the console).
    UartDriver* uart(const std::string& isu);
    // The ISU's I2C or SPI master, the ADC controller ("ADC-CONTROLLER-0"), a PWM controller
    // ("PWM-CONTROLLER-1"): nullptr when the device has none.
    I2cDriver* i2c(const std::string& isu);
    SpiDriver* spi(const std::string& isu);
    AdcDriver* adc(const std::string& controller);
    PwmDriver* pwm(const std::string& controller);
    WatchdogDriver* watchdog() { return watchdog_.get(); }
    IntercoreDriver* intercore(const std::string& core);
    FlashStore& store() { return *store_; }
    bool storage_ready() const { return store_ && store_->mounted(); }
    Networkd& networkd() { return *networkd_; }
    AppManager& apps() { return *app_manager_; }
    CrashReporter& crash_reporter() { return *crash_reporter_; }
    UpdateAgent& update_agent() { return *update_agent_; }
    AttestationAgent& attestation() { return *attestation_; }
    const OsConfig& config() const { return config_; }
    const DeviceTree& tree() const { return tree_; }
    // Whether an OS defence is on (common/defences/defences.def); only a test variant turns one off.
    bool defence(std::string_view name) const { return tree_.defences.on(name); }
    const BootHandoff& handoff() const { return handoff_; }
    const std::string& product() const { return product_; }  // the OS image's product GUID
    std::uint64_t cost(const std::string& name) const;
    std::int64_t now_unix_s() const;
    std::uint64_t now_unix_ms() const;
    bool panicked() const { return panicked_; }

    // A security-subsystem call on behalf of `p`, queued fairly among apps (per-app bound).
    SecurityDriver::Reply security_call(Process* p, secproto::Command command,
                                        const nlohmann::json& request = nlohmann::json::object());

    // ---- logs ----------------------------------------------------------------------------
    // dmesg-style line "[    0.012421] message" on the console and into the kernel log ring.
    void klog(const std::string& message);
    const std::deque<std::string>& kernel_log() const { return klog_; }
    std::uint64_t boot_started_ns() const { return boot_started_ns_; }
    // Emits os.init/boot.stage with the time since the core was released.
    void boot_stage(const std::string& stage, Fields extra = Fields::object());

    // ---- device identity and the cloud -----------------------------------------------------
    const std::optional<crypto::RawPublicKey>& device_key();
    void set_device_certificate(std::string pem, std::int64_t not_after);
    const std::optional<std::string>& device_certificate() const { return device_certificate_; }
    std::int64_t certificate_not_after() const { return certificate_not_after_; }
    const sc_core::sc_event& certificate_changed() const { return certificate_changed_; }

    // Releases the DMA-able kernel memory for a driver (top of SRAM, 64-byte aligned).
    std::uint64_t allocate_dma(std::uint64_t bytes);
    // A buffer in RAM shared with core `peer` (the least shared such RAM), or nullopt.
    std::optional<std::uint64_t> allocate_shared(const std::string& peer, std::uint64_t bytes);

private:
    friend class AppManager;
    void panic(const std::string& reason);
    void kthreadd();
    void start_thread(Process& p);
    void reap(Process& p, int status);
    void mount_storage();
    void start_init();
    FileRef open_device(Process& p, const std::string& name, int flags, int& error);
    FileRef open_proc(Process& p, const std::string& path, int flags, int& error);
    FileRef open_store_file(Process& p, const std::string& path, int flags, int& error);

    AppCore& core_;
    DeviceTree tree_;
    CpuScheduler cpu_;
    Hw hw_;
    BootHandoff handoff_;
    std::unique_ptr<Console> console_;
    std::unique_ptr<SecurityDriver> security_;
    std::unique_ptr<NicDriver> nic_;
    std::unique_ptr<GpioDriver> gpio_;
    std::map<std::string, std::unique_ptr<UartDriver>> uarts_;  // by ISU name
    std::map<std::string, std::unique_ptr<I2cDriver>> i2cs_;    // by ISU name
    std::map<std::string, std::unique_ptr<SpiDriver>> spis_;    // by ISU name
    std::map<std::string, std::unique_ptr<AdcDriver>> adcs_;    // by controller name
    std::map<std::string, std::unique_ptr<PwmDriver>> pwms_;    // by controller name
    std::unique_ptr<WatchdogDriver> watchdog_;
    std::map<std::string, std::unique_ptr<IntercoreDriver>> intercore_;
    std::unique_ptr<SecureFlashBackend> flash_backend_;
    std::unique_ptr<FlashStore> store_;
    bool store_busy_ = false;
    sc_core::sc_event store_free_;
    OsConfig config_;
    std::string product_;
    bool panicked_ = false;

    std::map<int, std::unique_ptr<Process>> processes_;
    MemoryAccount system_memory_{std::uint64_t{1} << 40};  // system services: no limit
    int next_pid_ = 1;
    std::deque<Process*> spawn_queue_;
    sc_core::sc_event spawn_requested_;
    std::vector<std::function<void(Process&)>> exit_observers_;
    std::map<std::string, AppContainer*> owners_;

    // Fair queueing of security-subsystem calls: one FIFO per caller, served round robin.
    std::map<int, std::deque<std::uint64_t>> security_waiting_;  // uid -> tickets
    std::deque<int> security_turns_;                              // uids with waiters, in turn order
    std::uint64_t security_next_ticket_ = 0;
    bool security_busy_ = false;
    sc_core::sc_event security_free_;

    std::int64_t time_offset_s_ = 0;  // set by SystemTime
    std::uint64_t dma_next_ = 0;
    std::map<std::string, std::uint64_t> shared_next_;  // bytes handed out per shared RAM
    std::deque<std::string> klog_;
    std::uint64_t boot_started_ns_ = 0;
    std::optional<crypto::RawPublicKey> device_key_;
    std::optional<std::string> device_certificate_;
    std::int64_t certificate_not_after_ = 0;
    sc_core::sc_event certificate_changed_;

    std::unique_ptr<Networkd> networkd_;
    std::unique_ptr<AttestationAgent> attestation_;
    std::unique_ptr<CrashReporter> crash_reporter_;
    std::unique_ptr<UpdateAgent> update_agent_;
    std::unique_ptr<AppManager> app_manager_;
};

}  // namespace svp::os

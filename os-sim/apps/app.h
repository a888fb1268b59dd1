// Apps are C++ classes, registered by entry point, that the kernel runs as processes and that
// reach the system only through AppContext: a small POSIX-like surface (open/read/write/ioctl/
// socket/connect/send/recv/sleep/exit ...) plus Azure Sphere's manifest-gated calls. Every call
// is a system call of the app's process (kernel.h, syscalls.cpp): it returns a count, a
// descriptor or -errno; sensitive ones are checked against the manifest (default deny, EPERM
// plus an event).
//
// The seam is deliberate: AppContext only marshals arguments to Kernel::sys_*; a later runtime
// that runs apps as real binaries on the app core traps their system calls into the same
// functions, with buffers read from and written to guest memory instead of host spans.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

#include "common/events/event.h"
#include "os-sim/apps/manifest.h"
#include "os-sim/kernel/ioctl.h"
#include "os-sim/kernel/memory.h"
#include "os-sim/kernel/vfs.h"
#include "os-sim/net/https_client.h"

namespace svp::os {

class Kernel;
struct Process;

class AppContext {
public:
    AppContext(Kernel& kernel, Process& process);

    const AppManifest& manifest() const;
    const std::string& name() const;
    int pid() const;
    int uid() const;

    // ---- files and devices -------------------------------------------------------------
    int open(const std::string& path, int flags = o_rdonly);
    long read(int fd, std::span<std::uint8_t> out);
    long write(int fd, ByteView data);
    long write(int fd, std::string_view text) { return write(fd, as_bytes(text)); }
    long ioctl(int fd, std::uint32_t request, std::span<std::uint8_t> arg = {});
    long lseek(int fd, std::int64_t offset);
    int close(int fd);
    // Reads a whole (small) file; -errno as the error.
    long read_file(const std::string& path, std::string& out);

    // ---- memory ------------------------------------------------------------------------
    std::int64_t mmap(std::uint64_t length, std::uint32_t prot);  // address or -errno
    int mprotect(std::uint64_t address, std::uint64_t length, std::uint32_t prot);
    int munmap(std::uint64_t address, std::uint64_t length);
    const std::vector<Mapping> mappings() const;

    // ---- network (AllowedConnections) ---------------------------------------------------
    int socket();
    int connect(int fd, const std::string& host, std::uint16_t port);
    long send(int fd, ByteView data);
    long recv(int fd, std::span<std::uint8_t> out);
    // POST to the cloud over mutual TLS with the device certificate. Needs DeviceAuthentication
    // and the cloud host in AllowedConnections.
    HttpResult cloud_post(const std::string& target, const nlohmann::json& body);

    // ---- processes, time, signals -------------------------------------------------------
    int sleep(sc_core::sc_time duration);           // 0, or -EINTR when a signal came
    void compute(std::uint64_t cycles);             // time the app spends computing (user mode)
    [[noreturn]] void exit(int status);
    // Starts another process of this app (it shares the app's memory and process limits).
    int spawn(const std::string& name, std::function<int(AppContext&)> body);
    int waitpid(int pid, int* status, bool nohang = false);
    int kill(int pid, int sig);
    int on_signal(int sig, std::function<void(int)> handler);
    std::uint64_t now_unix_ms() const;
    double uniform();                               // the device's seeded generator

    // ---- Azure Sphere application calls --------------------------------------------------
    // An inter-core channel to a real-time app (AllowedApplicationConnections); an fd.
    int application_connect(const std::string& component_id);
    // Holds back a pending OS update install (SoftwareUpdateDeferral).
    int defer_update(std::uint64_t seconds);
    int set_time(std::int64_t unix_s);              // SystemTime
    // Peripherals by their open fd (/dev/i2c-isuN, /dev/spi-isuN, /dev/adcN, /dev/pwmN), as
    // Azure Sphere's I2CMaster_WriteThenRead, SPIMaster_WriteThenRead, ADC_Poll and PWM_Apply:
    // the bytes moved, the sample, 0, or -errno.
    long i2c_write_then_read(int fd, std::uint8_t address, ByteView out, std::span<std::uint8_t> in);
    long spi_write_then_read(int fd, unsigned chip_select, ByteView out, std::span<std::uint8_t> in);
    long adc_poll(int fd, unsigned channel);
    long pwm_apply(int fd, unsigned channel, std::uint32_t period_ns, std::uint32_t duty_ns, bool active_low, bool enabled);

    void log(std::string_view line);                // to the console, prefixed with the app name
    void emit(const EventType& type, Fields fields);

    Kernel& kernel() { return kernel_; }
    Process& process() { return process_; }

private:
    Kernel& kernel_;
    Process& process_;
};

class App {
public:
    virtual ~App() = default;
    virtual int main(AppContext& ctx) = 0;  // the exit status
};

using AppFactory = std::function<std::unique_ptr<App>()>;
struct AppRegistration {
    std::string entry_point;  // as in app_manifest.json: "/bin/telemetry"
    std::string summary;
    AppFactory make;
};

// Every app this OS build can run, by the EntryPoint their manifest names (apps/registry.cpp
// lists the built-in ones; tests may add their own before the simulation starts).
class AppRegistry {
public:
    static AppRegistry& instance();
    void add(AppRegistration r);
    const AppRegistration* find(const std::string& entry_point) const;
    const std::vector<AppRegistration>& all() const { return apps_; }

private:
    AppRegistry();
    std::vector<AppRegistration> apps_;
};

// An app made of one function (tests, small examples).
class FunctionApp : public App {
public:
    explicit FunctionApp(std::function<int(AppContext&)> f) : f_(std::move(f)) {}
    int main(AppContext& ctx) override { return f_(ctx); }

private:
    std::function<int(AppContext&)> f_;
};

}  // namespace svp::os

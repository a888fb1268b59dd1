#include "os-sim/apps/app.h"

#include <algorithm>

#include "os-sim/kernel/kernel.h"
#include "os-sim/services/networkd.h"

namespace svp::os {

AppContext::AppContext(Kernel& kernel, Process& process) : kernel_(kernel), process_(process) {}

const AppManifest& AppContext::manifest() const {
    static const AppManifest none;
    return process_.container ? process_.container->manifest : none;
}
const std::string& AppContext::name() const { return process_.container ? process_.container->name() : process_.name; }
int AppContext::pid() const { return process_.pid; }
int AppContext::uid() const { return process_.uid; }

int AppContext::open(const std::string& path, int flags) { return kernel_.sys_open(process_, path, flags); }
long AppContext::read(int fd, std::span<std::uint8_t> out) { return kernel_.sys_read(process_, fd, out); }
long AppContext::write(int fd, ByteView data) { return kernel_.sys_write(process_, fd, data); }
long AppContext::ioctl(int fd, std::uint32_t request, std::span<std::uint8_t> arg) {
    return kernel_.sys_ioctl(process_, fd, request, arg);
}
long AppContext::lseek(int fd, std::int64_t offset) { return kernel_.sys_lseek(process_, fd, offset); }
int AppContext::close(int fd) { return kernel_.sys_close(process_, fd); }

long AppContext::read_file(const std::string& path, std::string& out) {
    const int fd = open(path, o_rdonly);
    if (fd < 0) return fd;
    out.clear();
    std::uint8_t buf[512];
    long n;
    while ((n = read(fd, buf)) > 0) out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
    close(fd);
    return n < 0 ? n : static_cast<long>(out.size());
}

std::int64_t AppContext::mmap(std::uint64_t length, std::uint32_t prot) { return kernel_.sys_mmap(process_, length, prot); }
int AppContext::mprotect(std::uint64_t address, std::uint64_t length, std::uint32_t prot) {
    return kernel_.sys_mprotect(process_, address, length, prot);
}
int AppContext::munmap(std::uint64_t address, std::uint64_t length) { return kernel_.sys_munmap(process_, address, length); }
const std::vector<Mapping> AppContext::mappings() const { return process_.mm->mappings(); }

int AppContext::socket() { return kernel_.sys_socket(process_); }
int AppContext::connect(int fd, const std::string& host, std::uint16_t port) {
    return kernel_.sys_connect(process_, fd, host, port);
}
long AppContext::send(int fd, ByteView data) { return kernel_.sys_send(process_, fd, data); }
long AppContext::recv(int fd, std::span<std::uint8_t> out) { return kernel_.sys_recv(process_, fd, out); }

HttpResult AppContext::cloud_post(const std::string& target, const nlohmann::json& body) {
    return kernel_.syscall(process_, [&] { return kernel_.networkd().app_cloud_post(process_, target, body); });
}

int AppContext::sleep(sc_core::sc_time duration) { return kernel_.sys_nanosleep(process_, duration); }

void AppContext::compute(std::uint64_t cycles) {
    // User mode: the timer may preempt, and a signal is delivered on the way back.
    kernel_.cpu().consume(cycles);
    kernel_.deliver_signals(process_);
}

void AppContext::exit(int status) {
    kernel_.charge_syscall(process_);
    throw ProcessExit{status & 0xFF};
}

int AppContext::spawn(const std::string& name, std::function<int(AppContext&)> body) {
    Kernel& k = kernel_;
    return kernel_.sys_spawn_child(process_, name, [&k, body = std::move(body)](Process& p) {
        AppContext child(k, p);
        return body(child);
    });
}

int AppContext::waitpid(int pid, int* status, bool nohang) { return kernel_.sys_waitpid(process_, pid, status, nohang); }
int AppContext::kill(int pid, int sig) { return kernel_.sys_kill(process_, pid, sig); }
int AppContext::on_signal(int sig, std::function<void(int)> handler) {
    return kernel_.sys_sigaction(process_, sig, std::move(handler));
}

std::uint64_t AppContext::now_unix_ms() const { return kernel_.now_unix_ms(); }
double AppContext::uniform() { return kernel_.device().rng.uniform(); }

int AppContext::application_connect(const std::string& component_id) {
    return kernel_.sys_application_connect(process_, component_id);
}
int AppContext::defer_update(std::uint64_t seconds) { return kernel_.sys_defer_update(process_, seconds); }
int AppContext::set_time(std::int64_t unix_s) { return kernel_.sys_settime(process_, unix_s); }

void AppContext::log(std::string_view line) {
    kernel_.syscall(process_, [&] {
        kernel_.console().write(name() + ": " + std::string(line) + "\n");
        return 0;
    });
}

void AppContext::emit(const EventType& type, Fields fields) { kernel_.device().emit(type, std::move(fields)); }

AppRegistry& AppRegistry::instance() {
    static AppRegistry registry;
    return registry;
}

void AppRegistry::add(AppRegistration r) {
    auto it = std::find_if(apps_.begin(), apps_.end(), [&](const auto& a) { return a.entry_point == r.entry_point; });
    if (it != apps_.end())
        *it = std::move(r);
    else
        apps_.push_back(std::move(r));
}

const AppRegistration* AppRegistry::find(const std::string& entry_point) const {
    for (const auto& a : apps_)
        if (a.entry_point == entry_point) return &a;
    return nullptr;
}

namespace {

long transfer_ioctl(AppContext& c, int fd, std::uint32_t request, unsigned target, ByteView out, std::span<std::uint8_t> in) {
    if (out.size() > 255 || in.size() > 255) return -EINVAL;
    std::vector<std::uint8_t> arg{static_cast<std::uint8_t>(target), static_cast<std::uint8_t>(out.size()),
                                  static_cast<std::uint8_t>(in.size())};
    arg.insert(arg.end(), out.begin(), out.end());
    arg.resize(arg.size() + in.size());
    const long rc = c.ioctl(fd, request, arg);
    if (rc >= 0) std::copy(arg.end() - static_cast<std::ptrdiff_t>(in.size()), arg.end(), in.begin());
    return rc;
}

void put_le32(std::vector<std::uint8_t>& v, std::uint32_t x) {
    for (int i = 0; i < 4; ++i) v.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
}

}  // namespace

long AppContext::i2c_write_then_read(int fd, std::uint8_t address, ByteView out, std::span<std::uint8_t> in) {
    return transfer_ioctl(*this, fd, ioctl::i2c_write_then_read, address, out, in);
}

long AppContext::spi_write_then_read(int fd, unsigned chip_select, ByteView out, std::span<std::uint8_t> in) {
    return transfer_ioctl(*this, fd, ioctl::spi_write_then_read, chip_select, out, in);
}

long AppContext::adc_poll(int fd, unsigned channel) {
    std::uint8_t arg[1] = {static_cast<std::uint8_t>(channel)};
    return ioctl(fd, ioctl::adc_sample, arg);
}

long AppContext::pwm_apply(int fd, unsigned channel, std::uint32_t period_ns, std::uint32_t duty_ns, bool active_low,
                           bool enabled) {
    std::vector<std::uint8_t> arg{static_cast<std::uint8_t>(channel), active_low, enabled};
    put_le32(arg, period_ns);
    put_le32(arg, duty_ns);
    return ioctl(fd, ioctl::pwm_apply, arg);
}

}  // namespace svp::os

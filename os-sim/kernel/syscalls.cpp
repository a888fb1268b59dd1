// The system calls: path lookup (devfs, procfs, flash storage), descriptors, memory, sockets,
// processes and signals, and the Azure Sphere application calls. Each charges the syscall cost
// and returns a count, a descriptor or -errno.
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "common/image/image_format.h"
#include "os-sim/kernel/files.h"
#include "os-sim/kernel/ioctl.h"
#include "os-sim/kernel/kernel.h"
#include "os-sim/services/networkd.h"

namespace svp::os {
namespace {

std::string app_name(const Process& p) { return p.container ? p.container->name() : p.name; }

bool parse_int(std::string_view s, int& out) {
    if (s.empty() || s.size() > 6) return false;
    out = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        out = out * 10 + (c - '0');
    }
    return true;
}

// A store key may not escape its directory.
bool safe_name(std::string_view name) {
    if (name.empty() || name.size() > 128) return false;
    if (name.find("..") != std::string_view::npos || name.starts_with('/')) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/';
    });
}

}  // namespace

void Kernel::charge_syscall(Process&) { cpu_.consume(cost("syscall")); }

// ---- files of each kind ----------------------------------------------------------------------

long ConsoleFile::write(Process& p, ByteView data) {
    std::string text(reinterpret_cast<const char*>(data.data()), data.size());
    kernel_.console().write(app_name(p) + ": " + text);
    return static_cast<long>(data.size());
}

long GpioFile::ioctl(Process&, std::uint32_t request, std::span<std::uint8_t> arg) {
    auto* gpio = kernel_.gpio();
    if (!gpio) return -ENODEV;
    switch (request) {
    case ioctl::gpio_set_direction:
        if (arg.empty()) return -EINVAL;
        return gpio->set_output(pin_, arg[0] != 0);
    case ioctl::gpio_set_value:
        if (arg.empty()) return -EINVAL;
        return gpio->write(pin_, arg[0] != 0);
    case ioctl::gpio_get_value:
        return gpio->read(pin_);
    default:
        return -ENOTTY;
    }
}

long GpioFile::read(Process&, std::span<std::uint8_t> out) {
    if (!kernel_.gpio()) return -ENODEV;
    const int v = kernel_.gpio()->read(pin_);
    if (v < 0) return v;
    if (out.size() < 2) return -EINVAL;
    out[0] = static_cast<std::uint8_t>('0' + v);
    out[1] = '\n';
    return 2;
}

namespace {

std::uint32_t le32(std::span<const std::uint8_t> b) {
    return static_cast<std::uint32_t>(b[0]) | b[1] << 8 | b[2] << 16 | static_cast<std::uint32_t>(b[3]) << 24;
}

// [target, write length, read length, write bytes..., read bytes...]: the layout of the
// I2C and SPI write-then-read requests; false when the buffer does not hold what it says.
bool split_transfer(std::span<std::uint8_t> arg, ByteView& out, std::span<std::uint8_t>& in) {
    if (arg.size() < 3) return false;
    const std::size_t w = arg[1], r = arg[2];
    if (arg.size() < 3 + w + r) return false;
    out = ByteView(arg.data() + 3, w);
    in = arg.subspan(3 + w, r);
    return true;
}

}  // namespace

long I2cFile::ioctl(Process&, std::uint32_t request, std::span<std::uint8_t> arg) {
    switch (request) {
    case ioctl::i2c_write_then_read: {
        ByteView out;
        std::span<std::uint8_t> in;
        if (!split_transfer(arg, out, in)) return -EINVAL;
        return driver_.write_then_read(arg[0], out, in);
    }
    case ioctl::i2c_set_speed:
        if (arg.size() < 4) return -EINVAL;
        return driver_.set_speed(le32(arg));
    default:
        return -ENOTTY;
    }
}

long SpiFile::ioctl(Process&, std::uint32_t request, std::span<std::uint8_t> arg) {
    switch (request) {
    case ioctl::spi_write_then_read: {
        ByteView out;
        std::span<std::uint8_t> in;
        if (!split_transfer(arg, out, in)) return -EINVAL;
        return driver_.write_then_read(arg[0], out, in);
    }
    case ioctl::spi_set_speed:
        if (arg.size() < 4) return -EINVAL;
        return driver_.set_speed(le32(arg));
    default:
        return -ENOTTY;
    }
}

long AdcFile::ioctl(Process&, std::uint32_t request, std::span<std::uint8_t> arg) {
    switch (request) {
    case ioctl::adc_sample:
        if (arg.empty()) return -EINVAL;
        return driver_.sample(arg[0]);
    case ioctl::adc_set_reference:
        if (arg.size() < 4) return -EINVAL;
        return driver_.set_reference_mv(le32(arg));
    default:
        return -ENOTTY;
    }
}

long PwmFile::ioctl(Process&, std::uint32_t request, std::span<std::uint8_t> arg) {
    if (request != ioctl::pwm_apply) return -ENOTTY;
    if (arg.size() < 11) return -EINVAL;
    return driver_.apply(arg[0], le32(arg.subspan(3)), le32(arg.subspan(7)), arg[1] != 0, arg[2] != 0);
}

long SecurityFile::ioctl(Process& p, std::uint32_t request, std::span<std::uint8_t> arg) {
    using nlohmann::json;
    if (monitor_) {
        // Security-monitor functions need kernel capabilities (TALOS-2021-1343, SCENARIOS A5).
        static const std::map<std::uint32_t, std::pair<std::uint32_t, const char*>> gates = {
            {ioctl::sm_stage_begin, {cap_update_image, "stage-begin"}},
            {ioctl::sm_device_reset, {cap_update_image, "device-reset"}},
            {ioctl::sm_rollback_info, {cap_query_image_info, "rollback-info"}},
            {ioctl::sm_attestation, {cap_attestation_runtime, "process-attestation"}},
            {ioctl::sm_storage_write, {cap_sfs, "storage-write"}}};
        auto it = gates.find(request);
        if (it == gates.end()) return -ENOTTY;
        if (!kernel_.check_kernel_capability(p, it->second.first, it->second.second)) return -EPERM;
        // System services use the kernel's own paths; through this node only queries are served.
        if (request == ioctl::sm_rollback_info) {
            auto r = kernel_.security_call(&p, secproto::rollback_info);
            return r.ok() ? 0 : -EIO;
        }
        return -EOPNOTSUPP;
    }
    switch (request) {
    case ioctl::pluton_read_rng: {
        if (arg.empty() || arg.size() > 1024) return -EINVAL;
        auto r = kernel_.security_call(&p, secproto::read_rng, {{"count", arg.size()}});
        if (r.status == secproto::busy) return -EAGAIN;
        if (!r.ok() || !r.body.contains("bytes") || !r.body["bytes"].is_binary() ||
            r.body["bytes"].get_binary().size() != arg.size())
            return -EIO;
        std::copy(r.body["bytes"].get_binary().begin(), r.body["bytes"].get_binary().end(), arg.begin());
        return static_cast<long>(arg.size());
    }
    case ioctl::pluton_get_security_state: {
        auto r = kernel_.security_call(&p, secproto::get_security_state);
        if (r.status == secproto::busy) return -EAGAIN;
        if (!r.ok() || !r.body.is_object()) return -EIO;
        return (r.body.value("secure_boot", false) ? 1 : 0) | (r.body.value("debug_locked", false) ? 2 : 0);
    }
    case ioctl::pluton_sign_with_device_key: {
        const bool granted = p.container && !p.container->manifest.caps.device_authentication.empty();
        if (!(p.caps & cap_attestation_runtime) &&
            !kernel_.check_capability(p, "DeviceAuthentication", "sign-with-device-key", granted))
            return -EPERM;
        if (arg.size() < 64) return -EINVAL;
        auto r = kernel_.security_call(&p, secproto::sign_with_device_key,
                                       {{"digest", json::binary(std::vector<std::uint8_t>(arg.begin(), arg.begin() + 32))}});
        if (r.status == secproto::busy) return -EAGAIN;
        if (!r.ok() || !r.body.contains("signature") || !r.body["signature"].is_binary() ||
            r.body["signature"].get_binary().size() != 64)
            return -EIO;
        std::copy(r.body["signature"].get_binary().begin(), r.body["signature"].get_binary().end(), arg.begin());
        return 64;
    }
    default:
        return -ENOTTY;
    }
}

long ProcMemFile::read(Process&, std::span<std::uint8_t> out) {
    auto* target = kernel_.process(pid_);
    if (!target || !target->alive()) return -ESRCH;
    const auto* m = target->mm->find(position_);
    if (!m || !(m->prot & prot_read)) return -EIO;
    // Contents are not modelled (host-compiled apps): mapped memory reads as zeros.
    const auto n = std::min<std::uint64_t>(out.size(), m->end() - position_);
    std::fill_n(out.begin(), n, 0);
    position_ += n;
    return static_cast<long>(n);
}

long StoreFile::read(Process&, std::span<std::uint8_t> out) {
    if (!wants_read(flags)) return -EBADF;
    const auto n = std::min(out.size(), content_.size() - std::min(position_, content_.size()));
    std::memcpy(out.data(), content_.data() + position_, n);
    position_ += n;
    return static_cast<long>(n);
}

long StoreFile::write(Process&, ByteView data) {
    if (!wants_write(flags)) return -EBADF;
    if (flags & o_append) position_ = content_.size();
    const auto end = position_ + data.size();
    if (end > FlashStore::kMaxValue) return -EFBIG;
    if (quota_ && end > quota_) return -EDQUOT;
    if (end > content_.size()) content_.resize(end, 0);
    std::memcpy(content_.data() + position_, data.data(), data.size());
    position_ = end;
    dirty_ = true;
    return static_cast<long>(data.size());
}

long StoreFile::seek(std::int64_t offset) {
    if (offset < 0) return -EINVAL;
    position_ = static_cast<std::size_t>(offset);
    return offset;
}

int StoreFile::release(Process&) {
    if (!dirty_) return 0;
    dirty_ = false;
    if (!kernel_.storage_ready()) return -EIO;
    auto& store = kernel_.store();
    if (quota_) {
        const auto others = store.live_bytes(quota_prefix_) - (store.contains(key_) ? store.live_bytes(key_) : 0);
        if (others + content_.size() + key_.size() + 16 > quota_) return -EDQUOT;
    }
    return store.put(key_, content_);
}

long SocketFile::read(Process&, std::span<std::uint8_t> out) {
    if (handle < 0) return -ENOTCONN;
    return kernel_.nic().recv(handle, out);
}

long SocketFile::write(Process&, ByteView data) {
    if (handle < 0) return -ENOTCONN;
    return kernel_.nic().send(handle, data);
}

int SocketFile::release(Process&) {
    if (handle >= 0 && !sc_core::sc_is_unwinding()) kernel_.nic().close(handle);
    handle = -1;
    return 0;
}

long IntercoreFile::read(Process& p, std::span<std::uint8_t> out) {
    for (;;) {
        const long n = driver_.receive(me_, out);
        if (n != -EAGAIN) return n;
        const int rc = kernel_.wait_interruptible(p, &driver_.doorbell(), sc_core::SC_ZERO_TIME);
        if (rc == -EINTR) return rc;
    }
}

long IntercoreFile::write(Process&, ByteView data) { return driver_.send(me_, data); }

long UartFile::read(Process& p, std::span<std::uint8_t> out) {
    if (out.empty()) return 0;
    for (;;) {
        const long n = driver_.read(out);
        if (n != -EAGAIN || (flags & o_nonblock) || !driver_.rx_event()) return n;
        const int rc = kernel_.wait_interruptible(p, driver_.rx_event(), sc_core::SC_ZERO_TIME);
        if (rc == -EINTR) return rc;
    }
}

long UartFile::write(Process&, ByteView data) { return driver_.write(data); }

// ---- path lookup ---------------------------------------------------------------------------

FileRef Kernel::open_device(Process& p, const std::string& name, int flags, int& error) {
    error = 0;
    const bool system = !p.container && p.uid == kSystemUid;
    if (name == "console") return std::make_shared<ConsoleFile>(*this);
    if (name == "kmsg") {
        // dmesg_restrict=1 (reference §3, after TALOS-2020-1089).
        if (!check_kernel_capability(p, cap_syslog, "/dev/kmsg")) {
            error = -EPERM;
            return nullptr;
        }
        std::string text;
        for (const auto& line : klog_) text += line + "\n";
        return std::make_shared<TextFile>("/dev/kmsg", text);
    }
    if (name == "pluton" || name == "security-monitor") return std::make_shared<SecurityFile>(*this, name != "pluton");
    int pin = 0;
    if (name.starts_with("gpio") && parse_int(std::string_view(name).substr(4), pin) && pin <= kMaxGpio) {
        const auto resource = fmt::format("gpio{}", pin);
        const bool listed = p.container && p.container->manifest.grants({"Gpio", resource});
        const bool owned = p.container && owner_of(resource) == p.container;
        if (!system && !check_capability(p, "Gpio", resource, listed && owned)) {
            error = -EPERM;
            return nullptr;
        }
        if (!gpio_ || !gpio_->has_pin(pin)) {
            error = -ENODEV;
            return nullptr;
        }
        return std::make_shared<GpioFile>(*this, pin);
    }
    // ISU peripherals, the ADC and PWM: the capability is checked first, so an app learns
    // nothing about hardware it was not granted; ENODEV when the device has no such block
    // (and for ISU0's UART, which is the console).
    static const std::vector<std::tuple<std::string, std::string, std::string>> others = {
        {"uart-isu", "Uart", "ISU"}, {"i2c-isu", "I2cMaster", "ISU"}, {"spi-isu", "SpiMaster", "ISU"},
        {"adc", "Adc", "ADC-CONTROLLER-"}, {"pwm", "Pwm", "PWM-CONTROLLER-"}};
    for (const auto& [prefix, capability, resource_prefix] : others) {
        int n = 0;
        if (!name.starts_with(prefix) || !parse_int(std::string_view(name).substr(prefix.size()), n)) continue;
        const auto resource = resource_prefix + std::to_string(n);
        if (pins_of(resource).empty()) break;
        const bool listed = p.container && p.container->manifest.grants({capability, resource});
        const bool owned = p.container && owner_of(resource) == p.container;
        if (!system && !check_capability(p, capability, resource, listed && owned)) {
            error = -EPERM;
            return nullptr;
        }
        if (capability == "Uart")
            if (auto* uart = this->uart(resource)) return std::make_shared<UartFile>(*this, *uart);
        if (capability == "I2cMaster")
            if (auto* d = i2c(resource)) return std::make_shared<I2cFile>(*d);
        if (capability == "SpiMaster")
            if (auto* d = spi(resource)) return std::make_shared<SpiFile>(*d);
        if (capability == "Adc")
            if (auto* d = adc(resource)) return std::make_shared<AdcFile>(*d, n);
        if (capability == "Pwm")
            if (auto* d = pwm(resource)) return std::make_shared<PwmFile>(*d, n);
        error = -ENODEV;
        return nullptr;
    }
    if (name == "watchdog") {
        if (!check_kernel_capability(p, cap_update_image, "/dev/watchdog")) {
            error = -EPERM;
            return nullptr;
        }
        error = -ENODEV;
        return nullptr;
    }
    (void)flags;
    error = -ENOENT;
    return nullptr;
}

FileRef Kernel::open_proc(Process& p, const std::string& path, int flags, int& error) {
    // /proc/self/<file>, /proc/<pid>/<file>, /proc/<pid>/task/<tid>/<file>
    std::vector<std::string> parts;
    for (std::size_t at = 6; at <= path.size();) {
        auto slash = path.find('/', at);
        if (slash == std::string::npos) slash = path.size();
        if (slash > at) parts.push_back(path.substr(at, slash - at));
        at = slash + 1;
    }
    error = -ENOENT;
    if (parts.size() == 4 && parts[1] == "task") parts = {parts[0], parts[3]};  // a task is its process here
    if (parts.size() != 2) return nullptr;
    int pid = p.pid;
    if (parts[0] != "self" && !parse_int(parts[0], pid)) return nullptr;
    Process* target = process(pid);
    if (!target || !target->alive()) return nullptr;
    // hidepid: an app sees only its own processes.
    if (p.container && target->container != p.container) return nullptr;
    const auto& file = parts[1];
    if (file == "maps" || file == "status") {
        if (wants_write(flags)) {
            error = -EACCES;
            return nullptr;
        }
        error = 0;
        if (file == "maps") return std::make_shared<TextFile>(path, target->mm->maps_text());
        return std::make_shared<TextFile>(
            path, fmt::format("Name:\t{}\nPid:\t{}\nPPid:\t{}\nUid:\t{}\nVmRSS:\t{} kB\nVmLimit:\t{} kB\n", target->name,
                              target->pid, target->ppid, target->uid, target->mm->mapped_bytes() / 1024,
                              target->mm->account().limit() / 1024));
    }
    if (file == "mem") {
        if (wants_write(flags) && defence("os.wx")) {
            // /proc/self/mem is read-only (reference §3, after TALOS-2020-1093): writing through
            // it would write code pages and bypass W^X.
            device().emit(ev::os_security_wx_denied,
                          {{"app", app_name(p)}, {"pid", p.pid}, {"operation", "open " + path + " for writing"}});
            klog(fmt::format("audit: {} (pid {}) denied write access to {}", app_name(p), p.pid, path));
            error = -EACCES;
            return nullptr;
        }
        error = 0;
        return std::make_shared<ProcMemFile>(*this, target->pid);
    }
    return nullptr;
}

FileRef Kernel::open_store_file(Process& p, const std::string& path, int flags, int& error) {
    std::string key, quota_prefix;
    std::uint64_t quota = 0;
    if (path.starts_with("/mnt/config/")) {
        if (!check_kernel_capability(p, cap_sfs, path)) {
            error = -EPERM;
            return nullptr;
        }
        const auto name = path.substr(12);
        if (!safe_name(name)) {
            error = -EINVAL;
            return nullptr;
        }
        key = "config/" + name;
    } else {
        const bool granted = p.container && p.container->manifest.caps.mutable_storage_kib;
        if (!check_capability(p, "MutableStorage", path, granted)) {
            error = -EPERM;
            return nullptr;
        }
        const auto name = path.substr(13);
        if (!safe_name(name)) {
            error = -EINVAL;
            return nullptr;
        }
        quota_prefix = "apps/" + p.container->manifest.component_id + "/";
        key = quota_prefix + name;
        quota = std::uint64_t{*p.container->manifest.caps.mutable_storage_kib} * 1024;
    }
    if (!storage_ready()) {
        error = -EIO;
        return nullptr;
    }
    Bytes content;
    if (auto v = store_->get(key)) {
        if (!(flags & o_trunc)) content = std::move(*v);
    } else if (!(flags & o_creat)) {
        error = -ENOENT;
        return nullptr;
    }
    error = 0;
    auto f = std::make_shared<StoreFile>(*this, path, key, quota_prefix, quota, std::move(content));
    if ((flags & o_trunc) && wants_write(flags)) f->mark_dirty();
    return f;
}

// ---- descriptors ---------------------------------------------------------------------------

int Kernel::sys_open(Process& p, const std::string& path, int flags) {
    return syscall(p, [&]() -> int {
        int error = -ENOENT;
        FileRef f;
        if (path.starts_with("/dev/"))
            f = open_device(p, path.substr(5), flags, error);
        else if (path.starts_with("/proc/"))
            f = open_proc(p, path, flags, error);
        else if (path.starts_with("/mnt/config/") || path.starts_with("/mnt/storage/"))
            f = open_store_file(p, path, flags, error);
        if (!f) return error;
        f->flags = flags;
        return p.fds.install(std::move(f));
    });
}

long Kernel::sys_read(Process& p, int fd, std::span<std::uint8_t> out) {
    return syscall(p, [&]() -> long {
        auto f = p.fds.get(fd);
        if (!f) return -EBADF;
        if (!wants_read(f->flags)) return -EBADF;
        const long n = f->read(p, out);
        if (n > 0) cpu_.consume(cost("per_kib_copied") * (static_cast<std::uint64_t>(n) + 1023) / 1024);
        return n;
    });
}

long Kernel::sys_write(Process& p, int fd, ByteView data) {
    return syscall(p, [&]() -> long {
        auto f = p.fds.get(fd);
        if (!f) return -EBADF;
        if (!wants_write(f->flags)) return -EBADF;
        cpu_.consume(cost("per_kib_copied") * (data.size() + 1023) / 1024);
        return f->write(p, data);
    });
}

long Kernel::sys_ioctl(Process& p, int fd, std::uint32_t request, std::span<std::uint8_t> arg) {
    return syscall(p, [&]() -> long {
        auto f = p.fds.get(fd);
        if (!f) return -EBADF;
        return f->ioctl(p, request, arg);
    });
}

long Kernel::sys_lseek(Process& p, int fd, std::int64_t offset) {
    return syscall(p, [&]() -> long {
        auto f = p.fds.get(fd);
        if (!f) return -EBADF;
        return f->seek(offset);
    });
}

int Kernel::sys_close(Process& p, int fd) {
    return syscall(p, [&]() -> int {
        auto f = p.fds.take(fd);
        if (!f) return -EBADF;
        return f.use_count() == 1 ? f->release(p) : 0;
    });
}

// ---- memory --------------------------------------------------------------------------------

std::int64_t Kernel::sys_mmap(Process& p, std::uint64_t length, std::uint32_t prot) {
    return syscall(p, [&]() -> std::int64_t {
        const auto rc = p.mm->map(length, prot, "[anon]");
        if (rc == -EACCES)
            device().emit(ev::os_security_wx_denied, {{"app", app_name(p)}, {"pid", p.pid},
                                                      {"operation", "mmap " + prot_string(prot)}});
        if (rc == -ENOMEM)
            device().emit(ev::os_security_memory_limit,
                          {{"app", app_name(p)}, {"pid", p.pid}, {"requested", page_round(length)},
                           {"used", p.mm->account().used()}, {"limit", p.mm->account().limit()}});
        return rc;
    });
}

int Kernel::sys_mprotect(Process& p, std::uint64_t address, std::uint64_t length, std::uint32_t prot) {
    return syscall(p, [&]() -> int {
        const int rc = p.mm->protect(address, length, prot);
        if (rc == -EACCES) {
            device().emit(ev::os_security_wx_denied,
                          {{"app", app_name(p)}, {"pid", p.pid},
                           {"operation", fmt::format("mprotect 0x{:08x} {}", address, prot_string(prot))}});
            klog(fmt::format("audit: {} (pid {}) denied mprotect {} at 0x{:08x} (W^X)", app_name(p), p.pid,
                             prot_string(prot), address));
        }
        return rc;
    });
}

int Kernel::sys_munmap(Process& p, std::uint64_t address, std::uint64_t length) {
    return syscall(p, [&] { return p.mm->unmap(address, length); });
}

// ---- network -------------------------------------------------------------------------------

int Kernel::sys_socket(Process& p) {
    return syscall(p, [&] {
        auto f = std::make_shared<SocketFile>(*this);
        f->flags = o_rdwr;
        return p.fds.install(std::move(f));
    });
}

int Kernel::sys_connect(Process& p, int fd, const std::string& host, std::uint16_t port) {
    return syscall(p, [&]() -> int {
        auto f = std::dynamic_pointer_cast<SocketFile>(p.fds.get(fd));
        if (!f) return p.fds.get(fd) ? -ENOTSOCK : -EBADF;
        if (f->handle >= 0) return -EISCONN;
        const auto ip = networkd_->resolve(host);
        if (!networkd_->check_allowed_connection(p, host, ip)) return -EPERM;
        if (!ip) return -EHOSTUNREACH;
        const int handle = nic_->connect(*ip, port);
        if (handle < 0) return handle;
        f->handle = handle;
        f->host = host;
        return 0;
    });
}

long Kernel::sys_send(Process& p, int fd, ByteView data) { return sys_write(p, fd, data); }
long Kernel::sys_recv(Process& p, int fd, std::span<std::uint8_t> out) { return sys_read(p, fd, out); }

// ---- processes and signals -----------------------------------------------------------------

int Kernel::sys_nanosleep(Process& p, sc_core::sc_time duration) {
    return syscall(p, [&]() -> int {
        if (duration == sc_core::SC_ZERO_TIME) return 0;
        return wait_interruptible(p, nullptr, duration) == -EINTR ? -EINTR : 0;
    });
}

int Kernel::sys_spawn_child(Process& p, const std::string& name, std::function<int(Process&)> body) {
    return syscall(p, [&]() -> int {
        if (p.container && p.container->pids.size() >= config_.app_max_processes && defence("os.resource-limits")) {
            device().emit(ev::os_security_process_limit, {{"app", app_name(p)}, {"limit", config_.app_max_processes}});
            return -EAGAIN;
        }
        SpawnRequest r;
        r.name = name;
        r.uid = p.uid;
        r.caps = p.caps;
        r.priority = cpu_.priority(p.pid);
        r.container = p.container;
        r.ppid = p.pid;
        r.body = std::move(body);
        Process& child = spawn(std::move(r));
        // Its own stack, charged to the app: memory bounds a fork bomb too.
        if (child.mm->map_fixed(0x7FFF0000 - 0x4000, 0x4000, prot_read | prot_write, "[stack]") < 0) {
            device().emit(ev::os_security_memory_limit,
                          {{"app", app_name(p)}, {"pid", p.pid}, {"requested", 0x4000},
                           {"used", p.mm->account().used()}, {"limit", p.mm->account().limit()}});
            child.pending |= 1u << sig_kill;  // it ends before it runs
            return -ENOMEM;
        }
        return child.pid;
    });
}

int Kernel::sys_waitpid(Process& p, int pid, int* status, bool nohang) {
    return syscall(p, [&]() -> int {
        Process* child = process(pid);
        if (!child || child->ppid != p.pid) return -ECHILD;
        while (child->alive()) {
            if (nohang) return 0;
            if (wait_interruptible(p, &child->exited, sc_core::SC_ZERO_TIME) == -EINTR) return -EINTR;
        }
        if (status) *status = child->exit_status;
        child->ppid = 1;  // collected: the kernel forgets it once its thread has ended
        return pid;
    });
}

int Kernel::sys_kill(Process& p, int pid, int sig) {
    return syscall(p, [&]() -> int {
        Process* target = process(pid);
        if (!target || !target->alive()) return -ESRCH;
        return send_signal(*target, sig, &p);
    });
}

int Kernel::sys_sigaction(Process& p, int sig, std::function<void(int)> handler) {
    return syscall(p, [&]() -> int {
        if (sig != sig_term) return -EINVAL;  // SIGKILL cannot be caught
        if (handler)
            p.handlers[sig] = std::move(handler);
        else
            p.handlers.erase(sig);
        return 0;
    });
}

// ---- Azure Sphere application calls ------------------------------------------------------

int Kernel::sys_application_connect(Process& p, const std::string& component_id) {
    return syscall(p, [&]() -> int {
        auto lower = [](std::string s) {
            std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
            return s;
        };
        bool listed = false;
        if (p.container)
            for (const auto& id : p.container->manifest.caps.allowed_application_connections)
                listed = listed || lower(id) == lower(component_id);
        if (!check_capability(p, "AllowedApplicationConnections", component_id, listed)) return -EPERM;
        auto where = config_.realtime_apps.find(lower(component_id));
        if (where == config_.realtime_apps.end()) return -ECONNREFUSED;
        auto* driver = intercore(where->second);
        if (!driver) return -ENODEV;
        IntercoreDriver::ComponentId me{};
        try {
            me = image::guid_from_string(p.container->manifest.component_id);
        } catch (const sc_core::sc_unwind_exception&) {
            throw;  // the simulation is ending this thread: let it unwind
        } catch (const std::exception&) {
            return -EINVAL;
        }
        if (const int rc = driver->setup(); rc < 0) return rc;
        auto f = std::make_shared<IntercoreFile>(*this, *driver, me, component_id);
        f->flags = o_rdwr;
        return p.fds.install(std::move(f));
    });
}

int Kernel::sys_defer_update(Process& p, std::uint64_t seconds) {
    return syscall(p, [&]() -> int {
        const bool granted = p.container && p.container->manifest.caps.software_update_deferral;
        if (!check_capability(p, "SoftwareUpdateDeferral", "update-install", granted)) return -EPERM;
        seconds = std::min(seconds, config_.max_update_deferral_s);
        p.container->deferral_until_ns = sim_now_ns() + seconds * 1'000'000'000ull;
        return 0;
    });
}

int Kernel::sys_settime(Process& p, std::int64_t unix_s) {
    return syscall(p, [&]() -> int {
        const bool granted = (p.container && p.container->manifest.caps.system_time) || (!p.container && p.uid == 0);
        if (!check_capability(p, "SystemTime", "clock", granted)) return -EPERM;
        time_offset_s_ = unix_s - (tree_.rtc_epoch_unix_s + static_cast<std::int64_t>(sim_now_ns() / 1'000'000'000ull));
        return 0;
    });
}

}  // namespace svp::os

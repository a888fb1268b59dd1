// The kinds of open file the kernel hands out (devfs, procfs, flash storage, sockets).
#pragma once

#include <cctype>
#include <string>

#include "os-sim/drivers/adc_driver.h"
#include "os-sim/drivers/i2c_driver.h"
#include "os-sim/drivers/intercore_driver.h"
#include "os-sim/drivers/pwm_driver.h"
#include "os-sim/drivers/spi_driver.h"
#include "os-sim/drivers/uart_driver.h"
#include "os-sim/kernel/vfs.h"

namespace svp::os {

class Kernel;
class AppContainer;

inline std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// /dev/console: what a process writes goes to the console UART, prefixed with its name.
class ConsoleFile : public File {
public:
    explicit ConsoleFile(Kernel& k) : kernel_(k) {}
    long write(Process& p, ByteView data) override;
    std::string describe() const override { return "/dev/console"; }

private:
    Kernel& kernel_;
};

// /dev/gpioN
class GpioFile : public File {
public:
    GpioFile(Kernel& k, int pin) : kernel_(k), pin_(pin) {}
    long ioctl(Process& p, std::uint32_t request, std::span<std::uint8_t> arg) override;
    long read(Process& p, std::span<std::uint8_t> out) override;  // "0\n" or "1\n"
    std::string describe() const override { return "/dev/gpio" + std::to_string(pin_); }

private:
    Kernel& kernel_;
    int pin_;
};

// /dev/uart-isuN: the ISU's UART (reads block until bytes arrive, unless O_NONBLOCK)
class UartFile : public File {
public:
    UartFile(Kernel& k, UartDriver& d) : kernel_(k), driver_(d) {}
    long read(Process& p, std::span<std::uint8_t> out) override;
    long write(Process& p, ByteView data) override;
    std::string describe() const override { return "/dev/uart-" + driver_.isu(); }

private:
    Kernel& kernel_;
    UartDriver& driver_;
};

// /dev/i2c-isuN, /dev/spi-isuN, /dev/adcN, /dev/pwmN: one ioctl each (kernel/ioctl.h) on the
// peripheral's driver; nothing to read or write as a stream.
class I2cFile : public File {
public:
    explicit I2cFile(I2cDriver& d) : driver_(d) {}
    long ioctl(Process& p, std::uint32_t request, std::span<std::uint8_t> arg) override;
    std::string describe() const override { return "/dev/i2c-" + lower(driver_.isu()); }

private:
    I2cDriver& driver_;
};

class SpiFile : public File {
public:
    explicit SpiFile(SpiDriver& d) : driver_(d) {}
    long ioctl(Process& p, std::uint32_t request, std::span<std::uint8_t> arg) override;
    std::string describe() const override { return "/dev/spi-" + lower(driver_.isu()); }

private:
    SpiDriver& driver_;
};

class AdcFile : public File {
public:
    AdcFile(AdcDriver& d, int n) : driver_(d), n_(n) {}
    long ioctl(Process& p, std::uint32_t request, std::span<std::uint8_t> arg) override;
    std::string describe() const override { return "/dev/adc" + std::to_string(n_); }

private:
    AdcDriver& driver_;
    int n_;
};

class PwmFile : public File {
public:
    PwmFile(PwmDriver& d, int n) : driver_(d), n_(n) {}
    long ioctl(Process& p, std::uint32_t request, std::span<std::uint8_t> arg) override;
    std::string describe() const override { return "/dev/pwm" + std::to_string(n_); }

private:
    PwmDriver& driver_;
    int n_;
};

// /dev/pluton and /dev/security-monitor: requests to the security subsystem, each gated.
class SecurityFile : public File {
public:
    SecurityFile(Kernel& k, bool monitor) : kernel_(k), monitor_(monitor) {}
    long ioctl(Process& p, std::uint32_t request, std::span<std::uint8_t> arg) override;
    std::string describe() const override { return monitor_ ? "/dev/security-monitor" : "/dev/pluton"; }

private:
    Kernel& kernel_;
    bool monitor_;
};

// /proc/<pid>/mem: readable (zeros inside mappings, EIO outside), never writable.
class ProcMemFile : public File {
public:
    ProcMemFile(Kernel& k, int pid) : kernel_(k), pid_(pid) {}
    long read(Process& p, std::span<std::uint8_t> out) override;
    long seek(std::int64_t offset) override {
        position_ = static_cast<std::uint64_t>(offset);
        return offset;
    }
    std::string describe() const override { return "/proc/" + std::to_string(pid_) + "/mem"; }

private:
    Kernel& kernel_;
    int pid_;
    std::uint64_t position_ = 0;
};

// A file in the flash store (/mnt/config/..., /mnt/storage/...): read into memory at open,
// written back as one record when closed (a record is atomic on flash).
class StoreFile : public File {
public:
    StoreFile(Kernel& k, std::string path, std::string key, std::string quota_prefix, std::uint64_t quota, Bytes content)
        : kernel_(k), path_(std::move(path)), key_(std::move(key)), quota_prefix_(std::move(quota_prefix)), quota_(quota),
          content_(std::move(content)) {}
    long read(Process& p, std::span<std::uint8_t> out) override;
    long write(Process& p, ByteView data) override;
    long seek(std::int64_t offset) override;
    int release(Process& p) override;
    std::string describe() const override { return path_; }
    void mark_dirty() { dirty_ = true; }

private:
    Kernel& kernel_;
    std::string path_, key_, quota_prefix_;
    std::uint64_t quota_;
    Bytes content_;
    std::size_t position_ = 0;
    bool dirty_ = false;
};

// A TCP socket offloaded to the NIC.
class SocketFile : public File {
public:
    explicit SocketFile(Kernel& k) : kernel_(k) {}
    long read(Process& p, std::span<std::uint8_t> out) override;
    long write(Process& p, ByteView data) override;
    int release(Process& p) override;
    std::string describe() const override { return "socket:[" + std::to_string(handle) + "]"; }

    int handle = -1;
    std::string host;

private:
    Kernel& kernel_;
};

// An inter-core channel to a real-time app.
class IntercoreFile : public File {
public:
    IntercoreFile(Kernel& k, IntercoreDriver& d, IntercoreDriver::ComponentId me, std::string peer)
        : kernel_(k), driver_(d), me_(me), peer_(std::move(peer)) {}
    long read(Process& p, std::span<std::uint8_t> out) override;  // blocks until a message
    long write(Process& p, ByteView data) override;
    std::string describe() const override { return "intercore:" + peer_; }

private:
    Kernel& kernel_;
    IntercoreDriver& driver_;
    IntercoreDriver::ComponentId me_;
    std::string peer_;
};

}  // namespace svp::os

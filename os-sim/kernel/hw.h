// Register access for drivers: every access goes over the app core's bus (so firewalls and
// wait states apply to the kernel too) and its latency is charged to the running process.
#pragma once

#include <cstdint>
#include <stdexcept>

#include <fmt/format.h>

#include "models/base/bus_master.h"
#include "os-sim/kernel/cpu_scheduler.h"

namespace svp::os {

// A bus error seen by the kernel: the driver turns it into EIO/EFAULT for its caller.
class BusError : public std::runtime_error {
public:
    explicit BusError(std::uint64_t address)
        : std::runtime_error(fmt::format("bus error at 0x{:08x}", address)), address(address) {}
    std::uint64_t address;
};

class Hw {
public:
    Hw(BusMaster& bus, CpuScheduler& cpu) : bus_(bus), cpu_(cpu) {}

    std::uint32_t read32(std::uint64_t address) {
        std::uint32_t v = 0;
        read(address, &v, 4);
        return v;
    }
    void write32(std::uint64_t address, std::uint32_t value) { write(address, &value, 4); }
    void read(std::uint64_t address, void* data, std::size_t n) {
        sc_core::sc_time delay;
        if (bus_.read(address, data, n, delay) != tlm::TLM_OK_RESPONSE) throw BusError(address);
        cpu_.add_time(delay);
    }
    void write(std::uint64_t address, const void* data, std::size_t n) {
        sc_core::sc_time delay;
        if (bus_.write(address, data, n, delay) != tlm::TLM_OK_RESPONSE) throw BusError(address);
        cpu_.add_time(delay);
    }
    CpuScheduler& cpu() { return cpu_; }
    BusMaster& bus() { return bus_; }

private:
    BusMaster& bus_;
    CpuScheduler& cpu_;
};

}  // namespace svp::os

#include "os-sim/drivers/nic_driver.h"

#include <algorithm>
#include <cerrno>

#include "models/periph/nic.h"

namespace svp::os {

NicDriver::NicDriver(Hw& hw, std::uint64_t nic_base, IrqLine* irq, std::uint64_t buffer_address)
    : hw_(hw), base_(nic_base), irq_(irq), buffer_(buffer_address) {}

std::int32_t NicDriver::run(std::uint32_t cmd) {
    hw_.write32(base_ + Nic::INT_EN, 1);
    hw_.write32(base_ + Nic::CMD, cmd);
    while (hw_.read32(base_ + Nic::STATUS) & 1) {
        if (!irq_->level()) hw_.cpu().block_on(irq_->rising());
    }
    hw_.write32(base_ + Nic::INT_STS, 1);
    return static_cast<std::int32_t>(hw_.read32(base_ + Nic::RESULT));
}

// Each public call holds the NIC for its whole command (the NIC runs one at a time).
struct NicLock {
    NicLock(bool& busy, sc_core::sc_event& free, CpuScheduler& cpu) : busy(busy), free(free) {
        while (busy) cpu.block_on(free);
        busy = true;
    }
    ~NicLock() {
        busy = false;
        free.notify(sc_core::SC_ZERO_TIME);
    }
    bool& busy;
    sc_core::sc_event& free;
};

int NicDriver::connect(std::uint32_t ip, std::uint16_t port) {
    NicLock lock(busy_, free_, hw_.cpu());
    hw_.write32(base_ + Nic::REMOTE_IP, ip);
    hw_.write32(base_ + Nic::REMOTE_PORT, port);
    return run(Nic::cmd_connect);
}

long NicDriver::send(int socket, std::span<const std::uint8_t> data) {
    NicLock lock(busy_, free_, hw_.cpu());
    long total = 0;
    while (!data.empty()) {
        const auto n = std::min<std::size_t>(data.size(), kBufferSize);
        hw_.write(buffer_, data.data(), n);
        hw_.write32(base_ + Nic::SOCKET, static_cast<std::uint32_t>(socket));
        hw_.write32(base_ + Nic::ADDR, static_cast<std::uint32_t>(buffer_));
        hw_.write32(base_ + Nic::LEN, static_cast<std::uint32_t>(n));
        const auto rc = run(Nic::cmd_send);
        if (rc < 0) return total ? total : rc;
        total += rc;
        data = data.subspan(n);
    }
    return total;
}

long NicDriver::recv(int socket, std::span<std::uint8_t> out) {
    NicLock lock(busy_, free_, hw_.cpu());
    const auto n = std::min<std::size_t>(out.size(), kBufferSize);
    hw_.write32(base_ + Nic::SOCKET, static_cast<std::uint32_t>(socket));
    hw_.write32(base_ + Nic::ADDR, static_cast<std::uint32_t>(buffer_));
    hw_.write32(base_ + Nic::LEN, static_cast<std::uint32_t>(n));
    const auto rc = run(Nic::cmd_recv);
    if (rc > 0) hw_.read(buffer_, out.data(), static_cast<std::size_t>(rc));
    return rc;
}

void NicDriver::close(int socket) {
    NicLock lock(busy_, free_, hw_.cpu());
    hw_.write32(base_ + Nic::SOCKET, static_cast<std::uint32_t>(socket));
    run(Nic::cmd_close);
}

}  // namespace svp::os

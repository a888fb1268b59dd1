// The kernel's socket-offload NIC driver: blocking connect/send/recv/close with errno results,
// one command at a time, payload through a DMA buffer in SRAM.
#pragma once

#include <span>

#include "models/base/irq.h"
#include "os-sim/kernel/hw.h"

namespace svp::os {

class NicDriver {
public:
    static constexpr std::uint32_t kBufferSize = 16384;

    NicDriver(Hw& hw, std::uint64_t nic_base, IrqLine* irq, std::uint64_t buffer_address);

    int connect(std::uint32_t ip, std::uint16_t port);         // handle or -errno
    long send(int socket, std::span<const std::uint8_t> data); // bytes or -errno
    long recv(int socket, std::span<std::uint8_t> out);        // bytes, 0 = closed, -EAGAIN = stalled
    void close(int socket);

private:
    std::int32_t run(std::uint32_t cmd);
    Hw& hw_;
    std::uint64_t base_;
    IrqLine* irq_;
    std::uint64_t buffer_;
    bool busy_ = false;
    sc_core::sc_event free_;
};

}  // namespace svp::os

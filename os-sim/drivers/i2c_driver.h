// An ISU's I2C master for apps (Capabilities.I2cMaster), on the platform's model
// (models/periph/i2c_master.h). One call is one bus transfer: a write packet, a read packet
// after a repeated START, or both (Azure Sphere's I2CMaster_Write / Read / WriteThenRead),
// each at most the 8-byte FIFO (no DMA). The driver starts the transfer and sleeps on the
// block's interrupt until MM_INT_STA says it is over. Every access goes over the bus as the
// app core, so an ISU the firewall gave to another core answers -EIO.
#pragma once

#include <span>
#include <string>

#include "common/util/bytes.h"
#include "models/base/irq.h"
#include "os-sim/kernel/hw.h"

namespace svp::os {

class I2cDriver {
public:
    static constexpr std::size_t kMaxBytes = 8;  // each direction: the FIFO (MT3620_I2C_TX/RX_FIFO_DEPTH)

    I2cDriver(Hw& hw, std::string isu, std::uint64_t base, IrqLine* irq, std::uint64_t source_hz)
        : hw_(hw), isu_(std::move(isu)), base_(base), irq_(irq), source_hz_(source_hz) {}

    const std::string& isu() const { return isu_; }
    // SCL at `hz`: 100 kHz, 400 kHz or 1 MHz, as Azure Sphere's I2CMaster_SetBusSpeed accepts.
    // 0, -EINVAL for another speed, -EIO on a bus error.
    long set_speed(std::uint32_t hz);
    // Writes `out` to the 7-bit `address`, then reads `in.size()` bytes from it. Returns the
    // bytes moved, -ENXIO when the address is NAKed, -EIO on a NAKed data byte or a bus error,
    // -EINVAL for a bad address or more than 8 bytes a direction, -ETIMEDOUT if it never ends.
    long write_then_read(std::uint8_t address, ByteView out, std::span<std::uint8_t> in);

private:
    void open();
    Hw& hw_;
    std::string isu_;
    std::uint64_t base_;
    IrqLine* irq_;
    std::uint64_t source_hz_;
    bool opened_ = false;
};

}  // namespace svp::os

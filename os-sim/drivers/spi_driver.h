// An ISU's SPI master for apps (Capabilities.SpiMaster), on the platform's model
// (models/periph/spi_master.h). One call is one chip-select frame, half duplex: up to 4 bytes
// of command (SOAR) and 32 of data out, then bytes in (Azure Sphere's SPIMaster_WriteThenRead;
// out + in at most 32 besides the command). The driver sleeps on the block's interrupt until
// the frame is over and acknowledges it by reading SCSR. Bus errors (an ISU the firewall gave
// to another core) are -EIO.
#pragma once

#include <span>
#include <string>

#include "common/util/bytes.h"
#include "models/base/irq.h"
#include "os-sim/kernel/hw.h"

namespace svp::os {

class SpiDriver {
public:
    static constexpr std::size_t kCommandBytes = 4, kDataBytes = 32;

    SpiDriver(Hw& hw, std::string isu, std::uint64_t base, IrqLine* irq, std::uint64_t hclk_hz)
        : hw_(hw), isu_(std::move(isu)), base_(base), irq_(irq), hclk_hz_(hclk_hz) {}

    const std::string& isu() const { return isu_; }
    // SCK at most `hz` (the divider rounds down the speed, as Codethink's SPIMaster_Configure).
    long set_speed(std::uint32_t hz);
    // One frame on chip select `cs` (0 or 1): `out`, then `in.size()` bytes. Returns the bytes
    // moved, -EINVAL for a bad chip select or sizes, -EIO on a bus error, -ETIMEDOUT.
    long write_then_read(unsigned cs, ByteView out, std::span<std::uint8_t> in);
    std::uint32_t speed_hz() const { return static_cast<std::uint32_t>(hclk_hz_ / (clk_sel_ + 2)); }

private:
    Hw& hw_;
    std::string isu_;
    std::uint64_t base_;
    IrqLine* irq_;
    std::uint64_t hclk_hz_;
    std::uint32_t clk_sel_ = 38;  // 2 MHz, Codethink's SPIMaster_Open default
};

}  // namespace svp::os

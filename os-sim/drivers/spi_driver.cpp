#include "os-sim/drivers/spi_driver.h"

#include <algorithm>
#include <cerrno>

#include "models/periph/spi_master.h"

namespace svp::os {

long SpiDriver::set_speed(std::uint32_t hz) {
    if (hz == 0) return -EINVAL;
    const std::uint64_t div = (hclk_hz_ + hz - 1) / hz;  // round the speed down
    if (div > 4095 + 2) return -EINVAL;
    clk_sel_ = static_cast<std::uint32_t>(div < 2 ? 0 : div - 2);
    return 0;
}

long SpiDriver::write_then_read(unsigned cs, ByteView out, std::span<std::uint8_t> in) {
    if (cs > 1) return -EINVAL;
    const std::size_t cmd = std::min(out.size(), kCommandBytes), data_out = out.size() - cmd;
    if (data_out + in.size() > kDataBytes || (out.empty() && in.empty())) return -EINVAL;
    try {
        if (hw_.read32(base_ + SpiMaster::STCSR) & SpiMaster::SPI_MASTER_BUSY) return -EBUSY;
        hw_.write32(base_ + SpiMaster::SMMR, SpiMaster::INT_EN | SpiMaster::MORE_BUF_MODE |
                                                 clk_sel_ << SpiMaster::RS_CLK_SEL_SHIFT |
                                                 static_cast<std::uint32_t>(cs) << SpiMaster::RS_SLAVE_SEL_SHIFT);
        std::uint32_t soar = 0;
        for (std::size_t i = 0; i < cmd; ++i) soar = soar << 8 | out[i];  // the first byte goes out first
        hw_.write32(base_ + SpiMaster::SOAR, soar);
        std::uint8_t sdor[kDataBytes];
        std::fill(std::begin(sdor), std::end(sdor), 0xFF);
        std::copy(out.begin() + static_cast<std::ptrdiff_t>(cmd), out.end(), sdor);
        for (std::size_t w = 0; w < (data_out + 3) / 4; ++w)
            hw_.write32(base_ + SpiMaster::SDOR0 + 4 * w, static_cast<std::uint32_t>(sdor[4 * w]) | sdor[4 * w + 1] << 8 |
                                                               sdor[4 * w + 2] << 16 |
                                                               static_cast<std::uint32_t>(sdor[4 * w + 3]) << 24);
        hw_.write32(base_ + SpiMaster::SMBCR, static_cast<std::uint32_t>(cmd * 8) << 24 |
                                                  static_cast<std::uint32_t>(in.size() * 8) << 12 |
                                                  static_cast<std::uint32_t>(data_out * 8));
        hw_.write32(base_ + SpiMaster::STCSR, SpiMaster::SPI_MASTER_START);
        sc_core::sc_event never;  // without an interrupt line: poll every 10 ms
        std::uint32_t scsr = 0;
        for (int tries = 0;; ++tries) {
            if (!(hw_.read32(base_ + SpiMaster::STCSR) & SpiMaster::SPI_MASTER_BUSY)) {
                scsr = hw_.read32(base_ + SpiMaster::SCSR);  // also acknowledges the interrupt
                break;
            }
            if (tries == 5) return -ETIMEDOUT;
            hw_.cpu().block_on_for(irq_ ? irq_->rising() : never, sc_core::sc_time(10, sc_core::SC_MS));
        }
        if (!(scsr & SpiMaster::SPI_OK)) return -EIO;
        for (std::size_t i = 0; i < in.size(); i += 4) {
            const std::uint32_t w = hw_.read32(base_ + SpiMaster::SDIR0 + i);
            for (std::size_t k = 0; k < 4 && i + k < in.size(); ++k) in[i + k] = static_cast<std::uint8_t>(w >> (8 * k));
        }
    } catch (const BusError&) {
        return -EIO;
    }
    return static_cast<long>(out.size() + in.size());
}

}  // namespace svp::os

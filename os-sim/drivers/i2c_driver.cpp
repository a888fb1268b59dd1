#include "os-sim/drivers/i2c_driver.h"

#include <cerrno>

#include "models/periph/i2c_master.h"

namespace svp::os {

void I2cDriver::open() {
    if (opened_) return;
    hw_.write32(base_ + I2cMaster::MM_CON0, I2cMaster::MASTER_EN);
    hw_.write32(base_ + I2cMaster::MM_FIFO_CON0, I2cMaster::RX_FIFO_CLR | I2cMaster::TX_FIFO_CLR);
    hw_.write32(base_ + I2cMaster::INT_CTRL, I2cMaster::MM_INT_EN | I2cMaster::MM_INT_STA);
    opened_ = true;
}

long I2cDriver::set_speed(std::uint32_t hz) {
    if (hz != 100'000 && hz != 400'000 && hz != 1'000'000) return -EINVAL;
    // SCL phases as Codethink's I2CMaster_SetBusSpeed splits the period: (p+1)/4, p/4, (p+2)/4, (p+3)/4.
    const std::uint64_t p = source_hz_ / hz;
    if (p < 4 || p >= 255 * 4) return -EINVAL;
    try {
        open();
        hw_.write32(base_ + I2cMaster::MM_CNT_VAL_PHL, static_cast<std::uint32_t>((p + 1) / 4 | (p / 4) << 8));
        hw_.write32(base_ + I2cMaster::MM_CNT_VAL_PHH, static_cast<std::uint32_t>((p + 2) / 4 | ((p + 3) / 4) << 8));
    } catch (const BusError&) {
        return -EIO;
    }
    return 0;
}

long I2cDriver::write_then_read(std::uint8_t address, ByteView out, std::span<std::uint8_t> in) {
    if (address > 0x7F || out.size() > kMaxBytes || in.size() > kMaxBytes || (out.empty() && in.empty())) return -EINVAL;
    try {
        open();
        if (hw_.read32(base_ + I2cMaster::MM_STATUS) & I2cMaster::BUS_BUSY) return -EBUSY;
        hw_.write32(base_ + I2cMaster::MM_FIFO_CON0, I2cMaster::RX_FIFO_CLR | I2cMaster::TX_FIFO_CLR);
        for (auto b : out) hw_.write32(base_ + I2cMaster::MM_FIFO_DATA, b);
        hw_.write32(base_ + I2cMaster::MM_SLAVE_ID, address);
        std::uint32_t pack = 0;
        unsigned n = 0;
        if (!out.empty()) hw_.write32(base_ + I2cMaster::MM_CNT_BYTE_VAL_PK0 + 4 * n++, static_cast<std::uint32_t>(out.size()));
        if (!in.empty()) {
            pack |= 1u << n;  // the read packet
            hw_.write32(base_ + I2cMaster::MM_CNT_BYTE_VAL_PK0 + 4 * n++, static_cast<std::uint32_t>(in.size()));
        }
        hw_.write32(base_ + I2cMaster::MM_PACK_CON0, pack | (n - 1) << 4);
        hw_.write32(base_ + I2cMaster::MM_CON0, I2cMaster::MASTER_EN | I2cMaster::MM_START_EN);
        // Sleep until the transfer is over: 1 MHz-bus transfers take microseconds, a 100 kHz one
        // about 2 ms at most; 50 ms without an end means the block is not working.
        sc_core::sc_event never;  // without an interrupt line: poll every 10 ms
        for (int tries = 0; !(hw_.read32(base_ + I2cMaster::INT_CTRL) & I2cMaster::MM_INT_STA); ++tries) {
            if (tries == 5) return -ETIMEDOUT;
            hw_.cpu().block_on_for(irq_ ? irq_->rising() : never, sc_core::sc_time(10, sc_core::SC_MS));
        }
        hw_.write32(base_ + I2cMaster::INT_CTRL, I2cMaster::MM_INT_EN | I2cMaster::MM_INT_STA);  // W1C
        const std::uint32_t ack = hw_.read32(base_ + I2cMaster::MM_ACK_VAL);
        if (ack & 0xF00) return -ENXIO;
        if (ack & 0xFF) return -EIO;
        for (auto& b : in) {
            if (hw_.read32(base_ + I2cMaster::MM_FIFO_STATUS) & I2cMaster::RX_EMP) return -EIO;
            b = static_cast<std::uint8_t>(hw_.read32(base_ + I2cMaster::MM_FIFO_DATA));
        }
    } catch (const BusError&) {
        return -EIO;
    }
    return static_cast<long>(out.size() + in.size());
}

}  // namespace svp::os

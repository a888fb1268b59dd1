#include "models/periph/i2c_master.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/util/log.h"

namespace svp {

I2cMaster::I2cMaster(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency,
                     std::uint64_t source_hz, I2cBus& bus, IrqLine* irq)
    : Peripheral(name, device, latency), source_hz_(source_hz), bus_(bus), irq_(irq) {
    // INT_CTRL mixes W1C status bits with RW enables: the status bits are handled here.
    regs_.add("INT_CTRL", INT_CTRL, 0, Access::rw, 0x77).on_write([this](std::uint32_t old, std::uint32_t v) {
        const std::uint32_t w1c = MM_INT_STA | S_INT_STA;
        regs_["INT_CTRL"].set((v & ~w1c) | (old & w1c & ~v));
        update_irq();
    });
    regs_.add("MM_PAD_CON0", MM_PAD_CON0, 0, Access::rw, 0xFF);
    regs_.add("MM_CNT_VAL_PHL", MM_CNT_VAL_PHL, kResetPhases, Access::rw, 0xFFFF);
    regs_.add("MM_CNT_VAL_PHH", MM_CNT_VAL_PHH, kResetPhases, Access::rw, 0xFFFF);
    regs_.add("MM_CNT_BYTE_VAL_PK0", MM_CNT_BYTE_VAL_PK0, 0, Access::rw, 0xFFFF);
    regs_.add("MM_CNT_BYTE_VAL_PK1", MM_CNT_BYTE_VAL_PK1, 0, Access::rw, 0xFFFF);
    regs_.add("MM_CNT_BYTE_VAL_PK2", MM_CNT_BYTE_VAL_PK2, 0, Access::rw, 0xFFFF);
    regs_.add("MM_SLAVE_ID", MM_SLAVE_ID, 0, Access::rw, 0x7F);
    regs_.add("MM_PACK_CON0", MM_PACK_CON0, 0, Access::rw, 0x37);
    regs_.add("MM_ACK_VAL", MM_ACK_VAL, 0, Access::ro);
    regs_.add("MM_CON0", MM_CON0, 0, Access::rw, MM_START_EN | MM_GMODE | MASTER_EN)
        .on_write([this](std::uint32_t, std::uint32_t v) {
            regs_["MM_CON0"].clear_bits(MM_START_EN);  // self-clearing
            if (v & MM_START_EN) start_transfer();
        });
    regs_.add("MM_STATUS", MM_STATUS, MM_START_READY, Access::rw, MM_ARB_LOSE)
        .on_read([this](bool) -> std::uint32_t {
            // A single master never loses arbitration, so MM_ARB_LOSE stays 0.
            return busy_ ? BUS_BUSY : MM_START_READY;
        })
        .on_write([this](std::uint32_t, std::uint32_t) { regs_["MM_STATUS"].set(0); });
    regs_.add("MM_FIFO_CON0", MM_FIFO_CON0, 0, Access::rw, RX_FIFO_CLR | TX_FIFO_CLR)
        .on_write([this](std::uint32_t, std::uint32_t v) {
            regs_["MM_FIFO_CON0"].set(0);  // self-clearing actions
            if (v & RX_FIFO_CLR) {
                rx_.clear();
                rx_rptr_ = rx_wptr_ = 0;
                sticky_ &= ~(RX_UDR | RX_OVF);
            }
            if (v & TX_FIFO_CLR) {
                tx_.clear();
                tx_rptr_ = tx_wptr_ = 0;
                sticky_ &= ~(TX_UDR | TX_OVF);
            }
        });
    regs_.add("MM_FIFO_STATUS", MM_FIFO_STATUS, RX_EMP | TX_EMP, Access::ro).on_read([this](bool) { return fifo_status(); });
    regs_.add("MM_FIFO_PTR", MM_FIFO_PTR, 0, Access::ro).on_read([this](bool) { return fifo_ptr(); });
    regs_.add("MM_FIFO_DATA", MM_FIFO_DATA, 0, Access::rw, 0xFF)
        .on_read([this](bool debug) -> std::uint32_t {
            if (rx_.empty()) {
                if (!debug) sticky_ |= RX_UDR;
                return 0;
            }
            const std::uint8_t b = rx_.front();
            if (!debug) {
                rx_.pop_front();
                rx_rptr_ = (rx_rptr_ + 1) & 0xF;
            }
            return b;
        })
        .on_write([this](std::uint32_t, std::uint32_t v) {
            if (tx_.size() >= kFifoDepth) {
                sticky_ |= TX_OVF;
                regs_.report_guest_error("MM_FIFO_DATA written with the TX FIFO full; byte dropped");
                return;
            }
            tx_.push_back(static_cast<std::uint8_t>(v));
            tx_wptr_ = (tx_wptr_ + 1) & 0xF;
        });
    regs_.add("DMA_CON0", DMA_CON0, 0, Access::rw, 0x30).on_write([this](std::uint32_t, std::uint32_t v) {
        if (v & 0x10) log::get("unimp")->warn("{}: unimplemented: DMA handshake (DMA_CON0); use the FIFO", this->name());
    });
    regs_.add("S_CON0", S_CON0, 0, Access::rw, 0xC800).on_write([this](std::uint32_t, std::uint32_t v) {
        if (v & 0x8000) log::get("unimp")->warn("{}: unimplemented: I2C subordinate mode (S_CON0.SLAVE_EN)", this->name());
    });
    regs_.add("S_SLAVE_ID", S_SLAVE_ID, 0, Access::rw, 0x7F);
    regs_.add("S_FIFO_CON0", S_FIFO_CON0, 0, Access::rw, 0x3).on_write([this](std::uint32_t, std::uint32_t) {
        regs_["S_FIFO_CON0"].set(0);
    });
    regs_.add("S_FIFO_STATUS", S_FIFO_STATUS, RX_EMP | TX_EMP, Access::ro);
    regs_.add("S_FIFO_PTR", S_FIFO_PTR, 0, Access::ro);

    sc_core::sc_spawn(
        [this] {
            for (;;) {
                while (!busy_) sc_core::wait(start_);
                run_transfer();  // returns early when a reset abandons it; busy_ then says if another waits
            }
        },
        sc_core::sc_gen_unique_name((std::string(basename()) + "_wire").c_str()));
}

void I2cMaster::reset() {
    Peripheral::reset();
    tx_.clear();
    rx_.clear();
    sticky_ = 0;
    tx_rptr_ = tx_wptr_ = rx_rptr_ = rx_wptr_ = 0;
    ++generation_;  // a transfer on the wire is abandoned
    busy_ = false;
    update_irq();
}

sc_core::sc_time I2cMaster::scl_period() {
    const std::uint32_t phl = regs_["MM_CNT_VAL_PHL"].value(), phh = regs_["MM_CNT_VAL_PHH"].value();
    const std::uint64_t cycles = (phl & 0xFF) + (phl >> 8 & 0xFF) + (phh & 0xFF) + (phh >> 8 & 0xFF);
    return sc_core::sc_time(static_cast<double>(cycles * 1'000'000'000'000ull / source_hz_), sc_core::SC_PS);
}

void I2cMaster::start_transfer() {
    if (!(regs_["MM_CON0"].value() & MASTER_EN)) {
        regs_.report_guest_error("MM_START_EN with MASTER_EN clear; nothing started");
        return;
    }
    if (busy_) {
        regs_.report_guest_error("MM_START_EN while a transfer is on the bus; ignored");
        return;
    }
    if (scl_period() == sc_core::SC_ZERO_TIME) {
        regs_.report_guest_error("MM_START_EN with all SCL phase counts 0; nothing started");
        return;
    }
    busy_ = true;
    regs_["MM_ACK_VAL"].set(0);
    start_.notify(sc_core::SC_ZERO_TIME);
}

void I2cMaster::run_transfer() {
    if (!busy_) return;
    const std::uint64_t gen = generation_;
    const sc_core::sc_time bit = scl_period();
    const std::uint8_t address = static_cast<std::uint8_t>(regs_["MM_SLAVE_ID"].value());
    const std::uint32_t pack = regs_["MM_PACK_CON0"].value();
    const unsigned packets = std::min<unsigned>(((pack >> 4) & 0x3) + 1, kMaxPackets);
    const std::uint32_t lengths[kMaxPackets] = {regs_["MM_CNT_BYTE_VAL_PK0"].value(), regs_["MM_CNT_BYTE_VAL_PK1"].value(),
                                                regs_["MM_CNT_BYTE_VAL_PK2"].value()};
    I2cTarget* target = bus_.find(address);
    std::uint32_t ack_val = 0;
    unsigned data_written = 0, bytes_written = 0, bytes_read = 0;
    std::string result = "ok";
    const auto on_wire = [&](unsigned periods) {
        sc_core::wait(bit * static_cast<double>(periods));
        return gen == generation_;  // false: the block was reset meanwhile
    };
    bool nak = false;
    for (unsigned p = 0; p < packets && !nak; ++p) {
        const bool read = (pack >> p) & 1;
        if (!on_wire(1 + 9)) return;  // (repeated) START + address byte + ACK
        if (!target || !target->start(read)) {
            ack_val |= 1u << (8 + p);
            result = "address-nak";
            nak = true;
            break;
        }
        for (std::uint32_t i = 0; i < lengths[p]; ++i) {
            if (!on_wire(9)) return;
            if (read) {
                const std::uint8_t b = target->read(i + 1 < lengths[p]);
                ++bytes_read;
                if (rx_.size() >= kFifoDepth) {
                    sticky_ |= RX_OVF;
                } else {
                    rx_.push_back(b);
                    rx_wptr_ = (rx_wptr_ + 1) & 0xF;
                }
            } else {
                std::uint8_t b = 0xFF;
                if (tx_.empty()) {
                    sticky_ |= TX_UDR;
                } else {
                    b = tx_.front();
                    tx_.pop_front();
                    tx_rptr_ = (tx_rptr_ + 1) & 0xF;
                }
                ++bytes_written;
                const bool ack = target->write(b);
                if (!ack) {
                    if (data_written < 8) ack_val |= 1u << data_written;
                    result = "data-nak";
                    nak = true;
                    break;
                }
                ++data_written;
            }
        }
    }
    if (!on_wire(1)) return;  // STOP
    if (target) target->stop();
    busy_ = false;
    regs_["MM_ACK_VAL"].set(ack_val);
    regs_["INT_CTRL"].set_bits(MM_INT_STA);
    update_irq();
    device_.emit(ev::i2c_transfer, {{"i2c", name()},
                                    {"addr", fmt::format("0x{:02x}", address)},
                                    {"wrote", bytes_written},
                                    {"read", bytes_read},
                                    {"result", result}});
}

std::uint32_t I2cMaster::fifo_status() const {
    std::uint32_t s = sticky_;
    if (rx_.empty()) s |= RX_EMP;
    if (rx_.size() >= kFifoDepth) s |= RX_FULL;
    if (tx_.empty()) s |= TX_EMP;
    if (tx_.size() >= kFifoDepth) s |= TX_FULL;
    return s;
}

std::uint32_t I2cMaster::fifo_ptr() const {
    return rx_rptr_ | rx_wptr_ << 4 | tx_rptr_ << 8 | tx_wptr_ << 12;
}

void I2cMaster::update_irq() {
    if (!irq_) return;
    const std::uint32_t c = regs_["INT_CTRL"].value();
    irq_->set((c & MM_INT_STA) && (c & MM_INT_EN) && !(c & MM_INT_MSK));
}

}  // namespace svp

// The I2C master of an MT3620 ISU block (ISU base + 0x200; each ISU is a UART, an SPI master
// or an I2C master). Register layout from CodethinkLabs mt3620-m4-drivers mt3620/i2c.h and
// MediaTek-Labs mt3620_m4_software HDL/inc/hdl_i2c.h:
//   0x00 INT_CTRL       bit 0 MM_INT_STA (W1C), 1 MM_INT_EN, 2 MM_INT_MSK (1 masks),
//                       4..6 the same for the subordinate side
//   0x40 MM_PAD_CON0    de_cnt, sync_en (stored; no electrical model)
//   0x44 MM_CNT_VAL_PHL bits 7:0, 15:8: SCL phase 0 and 1 in source-clock cycles
//   0x48 MM_CNT_VAL_PHH bits 7:0, 15:8: SCL phase 2 and 3
//   0x54/0x58/0x5C MM_CNT_BYTE_VAL_PK0..2  length of packet 0..2 in bytes
//   0x60 MM_SLAVE_ID    7-bit target address
//   0x68 MM_PACK_CON0   bit n: packet n reads (1) or writes (0); bits 5:4 packets - 1
//   0x6C MM_ACK_VAL     RO: bits 11:8 bit n = packet n's address was NAKed;
//                       bits 7:0 bit n = the n-th data byte written was NAKed (assumed)
//   0x70 MM_CON0        bit 0 MM_START_EN (self-clearing), 14 MM_GMODE, 15 MASTER_EN
//   0x74 MM_STATUS      bit 0 BUS_BUSY (RO), 1 MM_ARB_LOSE (W1C), 2 MM_START_READY (RO)
//   0x78 MM_FIFO_CON0   bit 0 RX_FIFO_CLR, 1 TX_FIFO_CLR (self-clearing)
//   0x80 MM_FIFO_STATUS RO: 0 RX_EMP 1 RX_FULL 2 RX_UDR 3 RX_OVF 4 TX_EMP 5 TX_FULL 6 TX_UDR 7 TX_OVF
//   0x84 MM_FIFO_PTR    RO: 3:0 RX read, 7:4 RX write, 11:8 TX read, 15:12 TX write pointer
//   0x90 MM_FIFO_DATA   write pushes the TX FIFO, read pops the RX FIFO (8 entries each)
//   0xC0 DMA_CON0, 0xC4 S_CON0, 0xC8 S_SLAVE_ID, 0xD8 S_FIFO_CON0, 0xE0 S_FIFO_STATUS, 0xE4
//   S_FIFO_PTR: stored only. DMA handshakes and subordinate mode are not modelled (an
//   "unimplemented" log line when a guest turns them on).
// A transfer (MM_START_EN with MASTER_EN set): up to three packets to MM_SLAVE_ID joined by
// repeated STARTs, then STOP. Write packets take their bytes from the TX FIFO (running dry
// sets TX_UDR and sends 0xFF), read packets fill the RX FIFO (a full FIFO sets RX_OVF and drops
// the byte). A NAKed address or data byte ends the transfer with STOP. At the end MM_INT_STA is
// set; the line is MM_INT_STA & MM_INT_EN & !MM_INT_MSK.
// Timing: one SCL period is PHL[7:0] + PHL[15:8] + PHH[7:0] + PHH[15:8] source-clock cycles
// (26 MHz; Codethink I2CMaster_SetBusSpeed). Each byte is 9 SCL periods (8 bits + ACK); a START
// or repeated START and the STOP take one period each (assumed). Reset phases: 65 each, i.e.
// 26 MHz / 260 = 100 kHz standard mode (assumed).
#pragma once

#include <deque>

#include "models/base/irq.h"
#include "models/base/peripheral.h"
#include "models/periph/i2c_bus.h"

namespace svp {

class I2cMaster : public Peripheral {
public:
    static constexpr std::uint32_t INT_CTRL = 0x00, MM_PAD_CON0 = 0x40, MM_CNT_VAL_PHL = 0x44, MM_CNT_VAL_PHH = 0x48,
                                   MM_CNT_BYTE_VAL_PK0 = 0x54, MM_CNT_BYTE_VAL_PK1 = 0x58, MM_CNT_BYTE_VAL_PK2 = 0x5C,
                                   MM_SLAVE_ID = 0x60, MM_PACK_CON0 = 0x68, MM_ACK_VAL = 0x6C, MM_CON0 = 0x70,
                                   MM_STATUS = 0x74, MM_FIFO_CON0 = 0x78, MM_FIFO_STATUS = 0x80, MM_FIFO_PTR = 0x84,
                                   MM_FIFO_DATA = 0x90, DMA_CON0 = 0xC0, S_CON0 = 0xC4, S_SLAVE_ID = 0xC8,
                                   S_FIFO_CON0 = 0xD8, S_FIFO_STATUS = 0xE0, S_FIFO_PTR = 0xE4;
    // INT_CTRL
    static constexpr std::uint32_t MM_INT_STA = 1u << 0, MM_INT_EN = 1u << 1, MM_INT_MSK = 1u << 2,
                                   S_INT_STA = 1u << 4;
    // MM_CON0
    static constexpr std::uint32_t MM_START_EN = 1u << 0, MM_GMODE = 1u << 14, MASTER_EN = 1u << 15;
    // MM_STATUS
    static constexpr std::uint32_t BUS_BUSY = 1u << 0, MM_ARB_LOSE = 1u << 1, MM_START_READY = 1u << 2;
    // MM_FIFO_CON0
    static constexpr std::uint32_t RX_FIFO_CLR = 1u << 0, TX_FIFO_CLR = 1u << 1;
    // MM_FIFO_STATUS
    static constexpr std::uint32_t RX_EMP = 1u << 0, RX_FULL = 1u << 1, RX_UDR = 1u << 2, RX_OVF = 1u << 3,
                                   TX_EMP = 1u << 4, TX_FULL = 1u << 5, TX_UDR = 1u << 6, TX_OVF = 1u << 7;
    static constexpr std::size_t kFifoDepth = 8;   // MT3620_I2C_TX/RX_FIFO_DEPTH
    static constexpr unsigned kMaxPackets = 3;     // MT3620_I2C_QUEUE_DEPTH
    static constexpr std::uint32_t kResetPhases = 0x4141;

    // `source_hz`: the block's source clock (26 MHz on the MT3620). `bus`: who is on the wire.
    I2cMaster(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, std::uint64_t source_hz,
              I2cBus& bus, IrqLine* irq);

    void reset() override;
    // One SCL period as the phase registers program it.
    sc_core::sc_time scl_period();
    bool busy() const { return busy_; }

private:
    void start_transfer();
    void run_transfer();  // the transfer's thread body, one byte at a time in simulated time
    std::uint32_t fifo_status() const;
    std::uint32_t fifo_ptr() const;
    void update_irq();

    std::uint64_t source_hz_;
    I2cBus& bus_;
    IrqLine* irq_;
    std::deque<std::uint8_t> tx_, rx_;
    std::uint32_t sticky_ = 0;                     // UDR/OVF flags until the FIFO is cleared
    unsigned tx_rptr_ = 0, tx_wptr_ = 0, rx_rptr_ = 0, rx_wptr_ = 0;  // 4-bit pointers as MM_FIFO_PTR shows them
    bool busy_ = false;
    std::uint64_t generation_ = 0;  // bumped by reset(): a transfer in flight is abandoned
    sc_core::sc_event start_;
};

}  // namespace svp

// The SPI master of an MT3620 ISU block (ISU base + 0x300). Register layout from CodethinkLabs
// mt3620-m4-drivers mt3620/spi.h and SPIMaster.c:
//   0x00 STCSR   3:0 mosi_byte_cnt, 7:4 miso_byte_cnt (stored), 8 SPI_MASTER_START (self-
//                clearing), 16 SPI_MASTER_BUSY (RO), 20:19 addr_size, 31:24 addr_ext (stored)
//   0x04 SOAR    the command phase: its low CMD_BIT_CNT bits go out first, MSB first
//   0x08..0x24 SDOR0..7  32 bytes of MOSI data (byte n = bits 8*(n%4).. of SDOR[n/4])
//   0x28 SMMR    2 more_buf_mode, 3 lsb_first, 4 cpol, 5 cpha, 9 int_en,
//                10 both_directional_data_mode (full duplex), 27:16 rs_clk_sel,
//                28 clk_mode, 31:29 rs_slave_sel (chip select; 7 = none)
//   0x2C SMBCR   8:0 mosi_bit_cnt, 20:12 miso_bit_cnt, 29:24 cmd_bit_cnt
//   0x34 SCSR    RO: 0 spi_ok, 1 spi_write_ok, 2 spi_read_ok; reading it clears the interrupt
//   0x38 CSPOL   7:0 cs_polar, 8 dma_mode, 15:12 cmd_delay_sel, 19:16 end_delay_sel (stored)
//   0x40 DATAPORT  DMA configuration port: not modelled ("unimplemented" log)
//   0x48..0x64 SDIR0..7  RO: 32 bytes of MISO data
// A frame (SPI_MASTER_START): chip select rs_slave_sel asserted; the command phase
// (cmd_bit_cnt / 8 bytes of SOAR, MISO ignored); then, half duplex, mosi_bit_cnt / 8 bytes from
// SDOR followed by miso_bit_cnt / 8 bytes into SDIR (MOSI idles 0xFF), or, full duplex,
// max(mosi, miso) / 8 bytes exchanged at once (SDOR out, SDIR in, at most 16); chip select
// released. Then SCSR says ok and, if int_en, the interrupt line rises until SCSR is read.
// Bit counts that are not whole bytes are a guest error (the frame does not start).
// Timing: SCK = HCLK / (rs_clk_sel + 2) (Codethink SPIMaster_Configure; HCLK 79.04 MHz on the
// MT3620); a frame takes 8 SCK periods per byte plus one SCK period of chip-select set-up and
// one of hold (assumed). cpol/cpha shape the waveform only and are not modelled further.
#pragma once

#include <array>

#include "models/base/irq.h"
#include "models/base/peripheral.h"
#include "models/periph/spi_bus.h"

namespace svp {

class SpiMaster : public Peripheral {
public:
    static constexpr std::uint32_t STCSR = 0x00, SOAR = 0x04, SDOR0 = 0x08, SMMR = 0x28, SMBCR = 0x2C, SCSR = 0x34,
                                   CSPOL = 0x38, DATAPORT = 0x40, SDIR0 = 0x48;
    // STCSR
    static constexpr std::uint32_t SPI_MASTER_START = 1u << 8, SPI_MASTER_BUSY = 1u << 16;
    // SMMR
    static constexpr std::uint32_t MORE_BUF_MODE = 1u << 2, LSB_FIRST = 1u << 3, CPOL = 1u << 4, CPHA = 1u << 5,
                                   INT_EN = 1u << 9, BOTH_DIRECTIONAL = 1u << 10;
    static constexpr unsigned RS_CLK_SEL_SHIFT = 16, RS_SLAVE_SEL_SHIFT = 29, kNoChipSelect = 7;
    // SCSR
    static constexpr std::uint32_t SPI_OK = 1u << 0, SPI_WRITE_OK = 1u << 1, SPI_READ_OK = 1u << 2;
    static constexpr std::size_t kHalfDuplexBytes = 32, kFullDuplexBytes = 16;  // MT3620_SPI_BUFFER_SIZE_*

    // `hclk_hz`: the block's clock (79.04 MHz on the MT3620, "the datasheet says 80 MHz").
    SpiMaster(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, std::uint64_t hclk_hz,
              SpiBus& bus, IrqLine* irq);

    void reset() override;
    // One SCK period as SMMR.rs_clk_sel programs it.
    sc_core::sc_time sck_period();
    bool busy() const { return busy_; }

private:
    void start_frame();
    void run_frame();
    void update_irq();

    std::uint64_t hclk_hz_;
    SpiBus& bus_;
    IrqLine* irq_;
    std::array<Register*, 8> sdor_{}, sdir_{};
    bool busy_ = false, irq_pending_ = false;
    std::uint64_t generation_ = 0;
    sc_core::sc_event start_;
};

}  // namespace svp

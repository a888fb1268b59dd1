// A serial NOR flash on SPI, Winbond W25Q-class (W25Q16JV datasheet, rev. F): JEDEC commands
//   0x9F read JEDEC ID (manufacturer, type, capacity)   0x05 read status register 1
//   0x06 write enable   0x04 write disable               0x03 read data (24-bit address)
//   0x0B fast read (24-bit address + 1 dummy byte)       0x02 page program (256-byte pages;
//   the address wraps inside its page; bits only go 1 -> 0)   0x20 sector erase (4 KiB)
//   0xD8 block erase (64 KiB)   0xC7 / 0x60 chip erase   0xB9 power down   0xAB release
// Status register 1: bit 0 BUSY (program or erase in progress), bit 1 WEL (write enable latch).
// Program and erase commands take effect when chip select rises, only with WEL set (which they
// then clear), and keep BUSY set for their time (typical figures, datasheet §9.6: page program
// 0.4 ms, sector erase 45 ms, block erase 150 ms, chip erase 5 s; settable). While BUSY or powered
// down, every command but read-status (and release, when down) is ignored.
#pragma once

#include <array>
#include <vector>

#include <systemc>

#include "models/periph/spi_bus.h"

namespace svp {

class SpiNorFlash : public SpiTarget {
public:
    struct Timing {
        sc_core::sc_time page_program{400, sc_core::SC_US};
        sc_core::sc_time sector_erase{45, sc_core::SC_MS};
        sc_core::sc_time block_erase{150, sc_core::SC_MS};
        sc_core::sc_time chip_erase{5, sc_core::SC_SEC};
    };
    static constexpr std::uint8_t kReadId = 0x9F, kReadStatus = 0x05, kWriteEnable = 0x06, kWriteDisable = 0x04,
                                  kRead = 0x03, kFastRead = 0x0B, kPageProgram = 0x02, kSectorErase = 0x20,
                                  kBlockErase = 0xD8, kChipErase = 0xC7, kChipErase2 = 0x60, kPowerDown = 0xB9,
                                  kRelease = 0xAB;
    static constexpr std::uint8_t kBusy = 1u << 0, kWel = 1u << 1;
    static constexpr std::size_t kPage = 256, kSector = 4096, kBlock = 65536;

    // `size`: a power of two, at least 64 KiB. The JEDEC ID is Winbond's (0xEF 0x40) with the
    // capacity byte log2(size).
    explicit SpiNorFlash(std::size_t size = 2 * 1024 * 1024);
    SpiNorFlash(std::size_t size, Timing timing);

    // ---- host side
    const std::vector<std::uint8_t>& contents() const { return memory_; }
    void load(std::size_t address, const std::vector<std::uint8_t>& bytes);  // as if programmed at the factory
    bool busy() const;
    std::array<std::uint8_t, 3> jedec_id() const;

    // ---- SpiTarget
    void select(bool active) override;
    std::uint8_t exchange(std::uint8_t mosi) override;

private:
    std::uint8_t status() const { return static_cast<std::uint8_t>((busy() ? kBusy : 0) | (wel_ ? kWel : 0)); }
    void finish_command();  // chip select rose: program / erase take effect

    std::vector<std::uint8_t> memory_;
    Timing timing_;
    bool selected_ = false, wel_ = false, powered_down_ = false;
    sc_core::sc_time busy_until_;
    std::vector<std::uint8_t> frame_;   // the bytes received in this chip-select frame
    std::uint32_t address_ = 0;         // the read pointer of a read command
    std::vector<std::uint8_t> page_;    // data of a page program
};

}  // namespace svp

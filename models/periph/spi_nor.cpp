#include "models/periph/spi_nor.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

namespace svp {

SpiNorFlash::SpiNorFlash(std::size_t size) : SpiNorFlash(size, Timing{}) {}

SpiNorFlash::SpiNorFlash(std::size_t size, Timing timing) : memory_(size, 0xFF), timing_(timing) {
    if (size < kBlock || !std::has_single_bit(size) || size > (1u << 24))
        throw std::invalid_argument("SPI NOR flash size must be a power of two from 64 KiB to 16 MiB");
}

void SpiNorFlash::load(std::size_t address, const std::vector<std::uint8_t>& bytes) {
    if (address + bytes.size() > memory_.size()) throw std::out_of_range("SPI NOR flash load past the end");
    std::copy(bytes.begin(), bytes.end(), memory_.begin() + static_cast<std::ptrdiff_t>(address));
}

bool SpiNorFlash::busy() const { return sc_core::sc_time_stamp() < busy_until_; }

std::array<std::uint8_t, 3> SpiNorFlash::jedec_id() const {
    return {0xEF, 0x40, static_cast<std::uint8_t>(std::countr_zero(memory_.size()))};
}

void SpiNorFlash::select(bool active) {
    if (active) {
        selected_ = true;
        frame_.clear();
        page_.clear();
        return;
    }
    if (selected_) finish_command();
    selected_ = false;
}

std::uint8_t SpiNorFlash::exchange(std::uint8_t mosi) {
    if (!selected_) return 0xFF;
    frame_.push_back(mosi);
    const std::uint8_t op = frame_[0];
    const std::size_t n = frame_.size();  // this byte is frame_[n - 1]
    if (op == kReadStatus) return n == 1 ? 0xFF : status();  // allowed while busy, repeats
    if (powered_down_ && op != kRelease) return 0xFF;
    if (busy()) return 0xFF;
    const auto addr24 = [&] { return static_cast<std::uint32_t>(frame_[1] << 16 | frame_[2] << 8 | frame_[3]); };
    switch (op) {
    case kReadId: {
        const auto id = jedec_id();
        return n >= 2 && n <= 4 ? id[n - 2] : 0xFF;
    }
    case kRead:
    case kFastRead: {
        const std::size_t header = op == kRead ? 4 : 5;  // opcode, 3 address bytes (+ fast read's dummy)
        if (n == 4) address_ = addr24() & static_cast<std::uint32_t>(memory_.size() - 1);
        if (n <= header) return 0xFF;  // data comes out from the byte after the header
        const std::uint8_t b = memory_[address_];
        address_ = static_cast<std::uint32_t>((address_ + 1) & (memory_.size() - 1));  // wraps at the end
        return b;
    }
    case kPageProgram:
        if (n > 4) page_.push_back(mosi);
        return 0xFF;
    default: return 0xFF;  // the rest act on chip select rising
    }
}

void SpiNorFlash::finish_command() {
    if (frame_.empty()) return;
    const std::uint8_t op = frame_[0];
    if (op == kReadStatus) return;
    if (powered_down_) {
        if (op == kRelease) powered_down_ = false;
        return;
    }
    if (busy()) return;
    const auto now = sc_core::sc_time_stamp();
    const auto addr = [&]() -> std::size_t {
        return static_cast<std::size_t>(frame_[1] << 16 | frame_[2] << 8 | frame_[3]) & (memory_.size() - 1);
    };
    switch (op) {
    case kWriteEnable: wel_ = true; return;
    case kWriteDisable: wel_ = false; return;
    case kPowerDown: powered_down_ = true; return;
    case kPageProgram: {
        if (!wel_ || frame_.size() < 4) return;
        const std::size_t a = addr(), page = a & ~(kPage - 1);
        // More than a page of data: the last 256 bytes win (datasheet 8.2.15); the address wraps in the page.
        const std::size_t skip = page_.size() > kPage ? page_.size() - kPage : 0;
        for (std::size_t i = skip; i < page_.size(); ++i)
            memory_[page + ((a + i - skip) & (kPage - 1))] &= page_[i];
        wel_ = false;
        busy_until_ = now + timing_.page_program;
        return;
    }
    case kSectorErase:
    case kBlockErase: {
        if (!wel_ || frame_.size() < 4) return;
        const std::size_t unit = op == kSectorErase ? kSector : kBlock, start = addr() & ~(unit - 1);
        std::fill_n(memory_.begin() + static_cast<std::ptrdiff_t>(start), unit, 0xFF);
        wel_ = false;
        busy_until_ = now + (op == kSectorErase ? timing_.sector_erase : timing_.block_erase);
        return;
    }
    case kChipErase:
    case kChipErase2:
        if (!wel_) return;
        std::fill(memory_.begin(), memory_.end(), 0xFF);
        wel_ = false;
        busy_until_ = now + timing_.chip_erase;
        return;
    default: return;
    }
}

}  // namespace svp

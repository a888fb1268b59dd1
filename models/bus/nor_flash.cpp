#include "models/bus/nor_flash.h"

#include <fmt/format.h>
#include <stdexcept>

namespace svp {

NorFlash::NorFlash(sc_core::sc_module_name name, DeviceContext& device, std::uint64_t size,
                   std::uint32_t sector_size, NorFlashTiming timing)
    : Memory(name, device, size, timing.read_latency, sc_core::SC_ZERO_TIME, /*read_only=*/true, 0xFF),
      sector_size_(sector_size), timing_(timing), wear_(size / sector_size, 0) {
    if (sector_size == 0 || size % sector_size != 0)
        throw std::invalid_argument(fmt::format("{}: size {} is not a multiple of the sector size {}",
                                                this->name(), size, sector_size));
}

void NorFlash::check_range(std::uint64_t offset, std::uint64_t length, const char* what) const {
    if (offset + length > data_.size())
        throw std::out_of_range(fmt::format("{}: {} of {} bytes at 0x{:x} is past the end (size 0x{:x})",
                                            name(), what, length, offset, data_.size()));
}

sc_core::sc_time NorFlash::erase_sector(std::uint64_t offset) {
    check_range(offset, 1, "erase");
    const std::uint64_t sector = offset / sector_size_;
    std::fill_n(data_.begin() + static_cast<std::ptrdiff_t>(sector * sector_size_), sector_size_, 0xFF);
    ++wear_[sector];
    ++operations_;
    return timing_.erase_per_sector;
}

sc_core::sc_time NorFlash::program(std::uint64_t offset, ByteView bytes) {
    check_range(offset, bytes.size(), "program");
    for (std::size_t i = 0; i < bytes.size(); ++i) data_[offset + i] &= bytes[i];
    ++operations_;
    const std::uint64_t pages = (bytes.size() + 255) / 256;
    return timing_.program_per_page * static_cast<double>(pages);
}

void NorFlash::tamper(std::uint64_t offset, ByteView bytes) {
    check_range(offset, bytes.size(), "tamper");
    std::copy(bytes.begin(), bytes.end(), data_.begin() + static_cast<std::ptrdiff_t>(offset));
    device_.emit(ev::flash_tampered, {{"offset", fmt::format("0x{:x}", offset)}, {"length", bytes.size()}});
}

}  // namespace svp

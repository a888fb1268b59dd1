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

void NorFlash::schedule_power_cut(PowerCut cut) {
    if (cut.after_operations == 0) throw std::invalid_argument(std::string(name()) + ": a power cut after 0 operations");
    cut_ = operations_ + cut.after_operations;
    cut_torn_ = cut.torn;
}

bool NorFlash::begin_operation() {
    if (!powered_) throw FlashPowerLost();
    ++operations_;
    return cut_ && operations_ == *cut_ && cut_torn_;
}

void NorFlash::end_operation(const char* kind, std::uint64_t offset, bool torn) {
    if (!cut_ || operations_ != *cut_) return;
    cut_.reset();
    powered_ = false;
    device_.emit(ev::flash_power_cut, {{"operation", operations_}, {"kind", kind},
                                       {"offset", fmt::format("0x{:x}", offset)}, {"torn", torn}});
    // Nobody may keep reading an unpowered flash through a cached pointer.
    if (socket.size() > 0) socket->invalidate_direct_mem_ptr(0, data_.size() - 1);
    auto listeners = power_cut_listeners_;
    for (auto& l : listeners) l();
}

sc_core::sc_time NorFlash::program_time(std::uint64_t length) const {
    const std::uint64_t pages = (length + 255) / 256;
    return timing_.program_per_page * static_cast<double>(pages);
}

sc_core::sc_time NorFlash::erase_sector(std::uint64_t offset) {
    check_range(offset, 1, "erase");
    const bool torn = begin_operation();
    const std::uint64_t sector = offset / sector_size_;
    // A torn erase stops half way through the sector (erase runs from its start).
    const std::uint64_t erased = torn ? sector_size_ / 2 : sector_size_;
    std::fill_n(data_.begin() + static_cast<std::ptrdiff_t>(sector * sector_size_), erased, 0xFF);
    ++wear_[sector];
    end_operation("erase", sector * sector_size_, torn);
    return torn ? timing_.erase_per_sector / 2.0 : timing_.erase_per_sector;
}

sc_core::sc_time NorFlash::program(std::uint64_t offset, ByteView bytes) {
    check_range(offset, bytes.size(), "program");
    const bool torn = begin_operation();
    // A torn program has set only the first half of its bytes: a half-programmed page.
    const std::size_t done = torn ? bytes.size() / 2 : bytes.size();
    for (std::size_t i = 0; i < done; ++i) data_[offset + i] &= bytes[i];
    end_operation("program", offset, torn);
    return torn ? program_time(bytes.size()) / 2.0 : program_time(bytes.size());
}

void NorFlash::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    if (!powered_) {
        tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        return;
    }
    Memory::b_transport(tx, delay);
}

bool NorFlash::get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
    return powered_ && Memory::get_direct_mem_ptr(tx, dmi);
}

void NorFlash::tamper(std::uint64_t offset, ByteView bytes) {
    check_range(offset, bytes.size(), "tamper");
    std::copy(bytes.begin(), bytes.end(), data_.begin() + static_cast<std::ptrdiff_t>(offset));
    device_.emit(ev::flash_tampered, {{"offset", fmt::format("0x{:x}", offset)}, {"length", bytes.size()}});
}

}  // namespace svp

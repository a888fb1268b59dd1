// NOR flash: reads like memory (execute-in-place), never written by a plain bus write.
// Erase sets a whole sector to 0xFF; programming can only clear bits (new = old & data).
// Every erase and program is an operation with a cost in time and a count (wear per sector),
// so update paths can be cut at "the N-th flash operation" (../shared/STYLE.md, MCUboot).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "models/bus/memory.h"

namespace svp {

struct NorFlashTiming {
    sc_core::sc_time read_latency = sc_core::sc_time(50, sc_core::SC_NS);
    sc_core::sc_time program_per_page = sc_core::sc_time(700, sc_core::SC_US);  // 256-byte page
    sc_core::sc_time erase_per_sector = sc_core::sc_time(45, sc_core::SC_MS);   // 4 KiB sector
};

class NorFlash : public Memory {
public:
    NorFlash(sc_core::sc_module_name name, DeviceContext& device, std::uint64_t size,
             std::uint32_t sector_size, NorFlashTiming timing);

    std::uint32_t sector_size() const { return sector_size_; }

    // Model-side operations (the flash controller and the security subsystem call these);
    // each returns the time it takes. `offset` and `bytes` must lie inside the flash.
    sc_core::sc_time erase_sector(std::uint64_t offset);
    sc_core::sc_time program(std::uint64_t offset, ByteView bytes);

    // Physical attack (B7): overwrite bytes directly, bypassing erase/program rules; an event.
    void tamper(std::uint64_t offset, ByteView bytes);

    std::uint64_t operations() const { return operations_; }
    std::uint32_t erase_count(std::uint64_t sector_index) const { return wear_.at(sector_index); }

private:
    void check_range(std::uint64_t offset, std::uint64_t length, const char* what) const;
    std::uint32_t sector_size_;
    NorFlashTiming timing_;
    std::vector<std::uint32_t> wear_;
    std::uint64_t operations_ = 0;
};

}  // namespace svp

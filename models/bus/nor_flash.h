// NOR flash: reads like memory (execute-in-place), never written by a plain bus write.
// Erase sets a whole sector to 0xFF; programming can only clear bits (new = old & data).
// Every erase and program is an operation with a cost in time and a count (wear per sector),
// so update paths can be cut at "the N-th flash operation" (../shared/STYLE.md, MCUboot).
//
// Power cuts: schedule_power_cut(n) makes the n-th operation from now the last one. A clean
// cut lets it complete; a torn cut stops it half way: a torn program has set only the first
// half of its bytes (a half-programmed page), a torn erase has erased only the first half of
// its sector. Power is then off: the cut is an event, the listener is told (the platform
// resets the device), every later operation throws FlashPowerLost and bus reads fail, until
// power_on().
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <vector>

#include "models/bus/memory.h"

namespace svp {

// An operation attempted while the flash has no power (after an injected power cut).
class FlashPowerLost : public std::runtime_error {
public:
    FlashPowerLost() : std::runtime_error("flash operation attempted after a power cut") {}
};

struct PowerCut {
    std::uint64_t after_operations = 1;  // the n-th operation from now is the last (n >= 1)
    bool torn = false;                   // it stops half way instead of completing
};

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

    // Time an operation takes, before doing it (the flash controller's busy time).
    sc_core::sc_time erase_time() const { return timing_.erase_per_sector; }
    sc_core::sc_time program_time(std::uint64_t length) const;

    // ---- fault injection
    void schedule_power_cut(PowerCut cut);
    void cancel_power_cut() { cut_.reset(); }
    bool powered() const { return powered_; }
    void power_on() { powered_ = true; }
    void on_power_cut(std::function<void()> listener) { power_cut_listeners_.push_back(std::move(listener)); }

    // Physical attack (B7): overwrite bytes directly, bypassing erase/program rules; an event.
    void tamper(std::uint64_t offset, ByteView bytes);

    std::uint64_t operations() const { return operations_; }
    std::uint32_t erase_count(std::uint64_t sector_index) const { return wear_.at(sector_index); }

protected:
    void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override;
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) override;

private:
    void check_range(std::uint64_t offset, std::uint64_t length, const char* what) const;
    // Counts an operation against a scheduled cut: true when this one is torn.
    bool begin_operation();
    void end_operation(const char* kind, std::uint64_t offset, bool torn);
    std::uint32_t sector_size_;
    NorFlashTiming timing_;
    std::vector<std::uint32_t> wear_;
    std::uint64_t operations_ = 0;
    std::optional<std::uint64_t> cut_;   // operations_ value at which power fails
    bool cut_torn_ = false;
    bool powered_ = true;
    std::vector<std::function<void()>> power_cut_listeners_;
};

}  // namespace svp

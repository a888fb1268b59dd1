// One-time-programmable e-fuses: bits can only ever be set. The security subsystem keeps its
// roots here: the device secret (UDS), hashes of the trusted root keys with a revocation bit
// per key, anti-rollback counters per component, debug lock, secure-boot enable and the
// manufacturing state (reference §1.7: "three one-time-programmable memories").
//
// Counters are thermometer codes (one more bit per increment), as fuse counters are on real
// parts: a counter can go up, never down, and its value is the number of set bits.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "common/crypto/digest.h"

namespace svp {

enum class ManufacturingState : std::uint32_t { blank = 0, module_complete = 1, device_complete = 3 };
std::string_view to_string(ManufacturingState s);

class EFuses {
public:
    static constexpr std::size_t kRootKeySlots = 4;
    static constexpr unsigned kCounterBits = 64;  // per component

    // ---- programming (factory or security subsystem) ---------------------------------------
    // Each OR-s bits in; returns false when asked to clear a bit (impossible on fuses).
    bool program_device_secret(const crypto::Digest& secret);
    bool program_root_key(std::size_t slot, const crypto::Digest& key_id);
    void revoke_root_key(std::size_t slot);
    // Raises a component's counter to `value` (no effect when already at or above it);
    // returns false when `value` exceeds what the fuses can count.
    bool advance_counter(const std::string& component, unsigned value);
    void lock_debug() { debug_locked_ = true; }
    void enable_secure_boot() { secure_boot_ = true; }
    bool advance_manufacturing_state(ManufacturingState to);

    // ---- reading ---------------------------------------------------------------------------
    // The device secret reads as zero once latched (until reset): DICE UDS lock.
    crypto::Digest read_device_secret() const;
    void latch_device_secret() { secret_latched_ = true; }
    void reset_latches() { secret_latched_ = false; }
    bool device_secret_latched() const { return secret_latched_; }

    const std::array<crypto::Digest, kRootKeySlots>& root_keys() const { return root_keys_; }
    bool root_key_revoked(std::size_t slot) const { return (revoked_ >> slot) & 1; }
    // The slot holding `key_id`, or -1.
    int root_key_slot(const crypto::Digest& key_id) const;
    unsigned counter(const std::string& component) const;
    bool debug_locked() const { return debug_locked_; }
    bool secure_boot_enabled() const { return secure_boot_; }
    ManufacturingState manufacturing_state() const { return mfg_; }

private:
    crypto::Digest secret_{};
    bool secret_latched_ = false;
    std::array<crypto::Digest, kRootKeySlots> root_keys_{};
    std::uint32_t revoked_ = 0;
    std::map<std::string, std::uint64_t> counters_;  // thermometer-coded
    bool debug_locked_ = false, secure_boot_ = false;
    ManufacturingState mfg_ = ManufacturingState::blank;
};

}  // namespace svp

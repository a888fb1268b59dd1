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

namespace svp { class OtpFuses; }

namespace svp {

enum class ManufacturingState : std::uint32_t { blank = 0, module_complete = 1, device_complete = 3 };
std::string_view to_string(ManufacturingState s);

class EFuses {
public:
    static constexpr std::size_t kRootKeySlots = 4;
    static constexpr unsigned kCounterBits = 64;  // per component

    // Backs these fuses with the bus-visible OTP block (models/bus/otp.h): from then on every
    // bit lives in the block's rows (uds, root_keys, revocation, counters, config), so the
    // block's rules hold for them too: bits only ever set, locked rows refuse programming,
    // the secret row is unreadable on the bus but to the security core, and to nobody once
    // latched. Throws std::invalid_argument when the block lacks a row or the row is too small.
    void back_with(OtpFuses& otp);
    bool backed() const { return otp_ != nullptr; }
    // Fuse words per component counter and the components the counters row holds.
    static constexpr unsigned kCounterWords = kCounterBits / 32;

    // ---- programming (factory or security subsystem) ---------------------------------------
    // Each OR-s bits in; returns false when asked to clear a bit (impossible on fuses).
    bool program_device_secret(const crypto::Digest& secret);
    bool program_root_key(std::size_t slot, const crypto::Digest& key_id);
    void revoke_root_key(std::size_t slot);
    // Raises a component's counter to `value` (no effect when already at or above it);
    // returns false when `value` exceeds what the fuses can count.
    bool advance_counter(const std::string& component, unsigned value);
    void lock_debug();
    void enable_secure_boot();
    bool advance_manufacturing_state(ManufacturingState to);

    // ---- reading ---------------------------------------------------------------------------
    // The device secret reads as zero once latched (until reset): DICE UDS lock.
    crypto::Digest read_device_secret() const;
    void latch_device_secret();
    // A reset reopens the latch (when backed, the platform's reset of the OTP block does).
    void reset_latches() { secret_latched_ = false; }
    bool device_secret_latched() const;

    const std::array<crypto::Digest, kRootKeySlots>& root_keys() const;
    bool root_key_revoked(std::size_t slot) const;
    // The slot holding `key_id`, or -1.
    int root_key_slot(const crypto::Digest& key_id) const;
    unsigned counter(const std::string& component) const;
    bool debug_locked() const;
    bool secure_boot_enabled() const;
    ManufacturingState manufacturing_state() const;

private:
    // Config row, word 0 (assumed layout): bit 0 debug lock, bit 1 secure boot, bits 8..9 the
    // manufacturing state (module-complete sets bit 8, device-complete bits 8 and 9).
    static constexpr std::uint32_t kCfgDebugLock = 1u << 0, kCfgSecureBoot = 1u << 1, kCfgMfgShift = 8;
    std::uint32_t config_word() const;
    bool program_config(std::uint32_t bits);
    // The counters row's word index of `component` (assigned in order of first use, as a ROM's
    // component table would), or -1 when the row is full.
    int counter_slot(const std::string& component);
    OtpFuses* otp_ = nullptr;
    std::map<std::string, unsigned> counter_slots_;
    mutable std::array<crypto::Digest, kRootKeySlots> root_keys_view_{};
    crypto::Digest secret_{};
    bool secret_latched_ = false;
    std::array<crypto::Digest, kRootKeySlots> root_keys_{};
    std::uint32_t revoked_ = 0;
    std::map<std::string, std::uint64_t> counters_;  // thermometer-coded
    bool debug_locked_ = false, secure_boot_ = false;
    ManufacturingState mfg_ = ManufacturingState::blank;
};

}  // namespace svp

#include "models/security/efuses.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

#include "models/bus/otp.h"

namespace svp {

std::string_view to_string(ManufacturingState s) {
    switch (s) {
    case ManufacturingState::blank: return "blank";
    case ManufacturingState::module_complete: return "module-complete";
    case ManufacturingState::device_complete: return "device-complete";
    }
    return "unknown";
}

static bool or_in(crypto::Digest& row, const crypto::Digest& bits) {
    for (std::size_t i = 0; i < row.size(); ++i)
        if ((row[i] & bits[i]) != row[i]) return false;  // would need a set bit cleared
    for (std::size_t i = 0; i < row.size(); ++i) row[i] |= bits[i];
    return true;
}

void EFuses::back_with(OtpFuses& otp) {
    const std::pair<const char*, std::uint32_t> needed[] = {
        {"uds", 8}, {"root_keys", 8 * kRootKeySlots}, {"revocation", 1}, {"counters", kCounterWords}, {"config", 1}};
    for (const auto& [name, words] : needed) {
        const auto it = std::find_if(otp.rows().begin(), otp.rows().end(), [&](const OtpRow& r) { return r.name == name; });
        if (it == otp.rows().end() || it->words < words)
            throw std::invalid_argument(std::string("e-fuses: the OTP block needs a row '") + name + "' of at least " +
                                        std::to_string(words) + " words");
    }
    otp_ = &otp;
    // What was burnt before the block was attached moves into it.
    otp.program_row("uds", ByteView(secret_));
    for (std::size_t i = 0; i < kRootKeySlots; ++i)
        for (std::size_t b = 0; b < 32; ++b)
            otp.program(otp.row("root_keys").first_word + 8 * i + b / 4, std::uint32_t{root_keys_[i][b]} << (8 * (b % 4)));
    otp.program(otp.row("revocation").first_word, revoked_);
    const auto counters = counters_;
    for (const auto& [name, bits] : counters) {
        const int slot = counter_slot(name);
        if (slot < 0) continue;
        otp.program(otp.row("counters").first_word + slot, static_cast<std::uint32_t>(bits));
        otp.program(otp.row("counters").first_word + slot + 1, static_cast<std::uint32_t>(bits >> 32));
    }
    program_config((debug_locked_ ? kCfgDebugLock : 0u) | (secure_boot_ ? kCfgSecureBoot : 0u) |
                   (static_cast<std::uint32_t>(mfg_) << kCfgMfgShift));
    if (secret_latched_) otp.latch();
}

std::uint32_t EFuses::config_word() const { return otp_->word(otp_->row("config").first_word); }

bool EFuses::program_config(std::uint32_t bits) { return otp_->program(otp_->row("config").first_word, bits); }

int EFuses::counter_slot(const std::string& component) {
    if (auto it = counter_slots_.find(component); it != counter_slots_.end()) return static_cast<int>(it->second);
    const unsigned slot = static_cast<unsigned>(counter_slots_.size()) * kCounterWords;
    if (otp_ && slot + kCounterWords > otp_->row("counters").words) return -1;
    counter_slots_[component] = slot;
    return static_cast<int>(slot);
}

void EFuses::lock_debug() {
    if (otp_) program_config(kCfgDebugLock);
    debug_locked_ = true;
}

void EFuses::enable_secure_boot() {
    if (otp_) program_config(kCfgSecureBoot);
    secure_boot_ = true;
}

void EFuses::latch_device_secret() {
    if (otp_) otp_->latch();
    secret_latched_ = true;
}

bool EFuses::device_secret_latched() const { return otp_ ? otp_->latched() : secret_latched_; }

const std::array<crypto::Digest, EFuses::kRootKeySlots>& EFuses::root_keys() const {
    if (!otp_) return root_keys_;
    const auto row = otp_->read_row("root_keys");
    for (std::size_t i = 0; i < kRootKeySlots; ++i) std::copy_n(row.begin() + 32 * i, 32, root_keys_view_[i].begin());
    return root_keys_view_;
}

bool EFuses::root_key_revoked(std::size_t slot) const {
    const std::uint32_t bits = otp_ ? otp_->word(otp_->row("revocation").first_word) : revoked_;
    return slot < 32 && ((bits >> slot) & 1);
}

bool EFuses::debug_locked() const { return otp_ ? (config_word() & kCfgDebugLock) != 0 : debug_locked_; }
bool EFuses::secure_boot_enabled() const { return otp_ ? (config_word() & kCfgSecureBoot) != 0 : secure_boot_; }
ManufacturingState EFuses::manufacturing_state() const {
    return otp_ ? static_cast<ManufacturingState>((config_word() >> kCfgMfgShift) & 3) : mfg_;
}

bool EFuses::program_device_secret(const crypto::Digest& secret) {
    crypto::Digest now = secret_;
    if (!or_in(now, secret)) return false;
    if (otp_ && !otp_->program_row("uds", ByteView(secret))) return false;  // a locked row
    secret_ = now;
    return true;
}

bool EFuses::program_root_key(std::size_t slot, const crypto::Digest& key_id) {
    if (slot >= kRootKeySlots) return false;
    crypto::Digest now = root_keys_[slot];
    if (!or_in(now, key_id)) return false;
    if (otp_)
        for (std::size_t b = 0; b < 32; ++b)
            if (!otp_->program(otp_->row("root_keys").first_word + 8 * slot + b / 4, std::uint32_t{key_id[b]} << (8 * (b % 4))))
                return false;
    root_keys_[slot] = now;
    return true;
}

void EFuses::revoke_root_key(std::size_t slot) {
    if (slot >= kRootKeySlots) return;
    if (otp_ && !otp_->program(otp_->row("revocation").first_word, 1u << slot)) return;
    revoked_ |= 1u << slot;
}

bool EFuses::advance_counter(const std::string& component, unsigned value) {
    if (value > kCounterBits) return false;
    const std::uint64_t wanted = value == 64 ? ~0ull : ((1ull << value) - 1);
    if (otp_) {
        const int slot = counter_slot(component);
        if (slot < 0) return false;  // the counters row is full
        const auto first = otp_->row("counters").first_word + static_cast<std::size_t>(slot);
        if (!otp_->program(first, static_cast<std::uint32_t>(wanted)) ||
            !otp_->program(first + 1, static_cast<std::uint32_t>(wanted >> 32)))
            return false;
    }
    counters_[component] |= wanted;
    return true;
}

bool EFuses::advance_manufacturing_state(ManufacturingState to) {
    const auto want = static_cast<std::uint32_t>(to), have = static_cast<std::uint32_t>(manufacturing_state());
    if ((have & want) != have) return false;  // going back would clear a fuse bit
    if (otp_ && !program_config(want << kCfgMfgShift)) return false;
    mfg_ = static_cast<ManufacturingState>(have | want);
    return true;
}

crypto::Digest EFuses::read_device_secret() const {
    if (device_secret_latched()) return crypto::Digest{};
    if (!otp_) return secret_;
    crypto::Digest d{};
    const auto row = otp_->read_row("uds");
    std::copy_n(row.begin(), d.size(), d.begin());
    return d;
}

int EFuses::root_key_slot(const crypto::Digest& key_id) const {
    const auto& keys = root_keys();
    for (std::size_t i = 0; i < kRootKeySlots; ++i)
        if (keys[i] == key_id && key_id != crypto::Digest{}) return static_cast<int>(i);
    return -1;
}

unsigned EFuses::counter(const std::string& component) const {
    if (otp_) {
        auto it = counter_slots_.find(component);
        if (it == counter_slots_.end()) return 0;
        const auto first = otp_->row("counters").first_word + it->second;
        return static_cast<unsigned>(std::popcount(otp_->word(first)) + std::popcount(otp_->word(first + 1)));
    }
    auto it = counters_.find(component);
    return it == counters_.end() ? 0 : static_cast<unsigned>(std::popcount(it->second));
}

}  // namespace svp

#include "models/security/efuses.h"

#include <bit>

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

bool EFuses::program_device_secret(const crypto::Digest& secret) { return or_in(secret_, secret); }

bool EFuses::program_root_key(std::size_t slot, const crypto::Digest& key_id) {
    return slot < kRootKeySlots && or_in(root_keys_[slot], key_id);
}

void EFuses::revoke_root_key(std::size_t slot) {
    if (slot < kRootKeySlots) revoked_ |= 1u << slot;
}

bool EFuses::advance_counter(const std::string& component, unsigned value) {
    if (value > kCounterBits) return false;
    auto& bits = counters_[component];
    const std::uint64_t wanted = value == 64 ? ~0ull : ((1ull << value) - 1);
    bits |= wanted;
    return true;
}

bool EFuses::advance_manufacturing_state(ManufacturingState to) {
    const auto want = static_cast<std::uint32_t>(to), have = static_cast<std::uint32_t>(mfg_);
    if ((have & want) != have) return false;  // going back would clear a fuse bit
    mfg_ = static_cast<ManufacturingState>(have | want);
    return true;
}

crypto::Digest EFuses::read_device_secret() const { return secret_latched_ ? crypto::Digest{} : secret_; }

int EFuses::root_key_slot(const crypto::Digest& key_id) const {
    for (std::size_t i = 0; i < kRootKeySlots; ++i)
        if (root_keys_[i] == key_id && key_id != crypto::Digest{}) return static_cast<int>(i);
    return -1;
}

unsigned EFuses::counter(const std::string& component) const {
    auto it = counters_.find(component);
    return it == counters_.end() ? 0 : static_cast<unsigned>(std::popcount(it->second));
}

}  // namespace svp

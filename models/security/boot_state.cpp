#include "models/security/boot_state.h"

#include <algorithm>
#include <cstring>

#include "common/crypto/digest.h"

namespace svp {
namespace {
constexpr std::uint32_t kMagic = 0x42505653;  // "SVPB"
constexpr std::size_t kSealOffset = BootStateRecord::kSize - 16;
}  // namespace

Bytes BootStateRecord::encode() const {
    Bytes out;
    put_le32(out, kMagic);
    put_le32(out, sequence);
    for (const auto& s : stages) {
        out.push_back(s.confirmed);
        out.push_back(s.pending);
        out.push_back(s.attempts);
        out.push_back(0);
    }
    out.resize(kSealOffset, 0);
    const auto seal = crypto::sha256(ByteView(out));
    out.insert(out.end(), seal.begin(), seal.begin() + 16);
    return out;
}

std::optional<BootStateRecord> BootStateRecord::decode(ByteView b) {
    if (b.size() < kSize || get_le32(b, 0) != kMagic) return std::nullopt;
    const auto seal = crypto::sha256(b.subspan(0, kSealOffset));
    if (!std::equal(seal.begin(), seal.begin() + 16, b.begin() + kSealOffset)) return std::nullopt;
    BootStateRecord r;
    r.sequence = get_le32(b, 4);
    for (std::size_t i = 0; i < kMaxBootStages; ++i) {
        r.stages[i].confirmed = b[8 + 4 * i];
        r.stages[i].pending = b[9 + 4 * i];
        r.stages[i].attempts = b[10 + 4 * i];
    }
    return r;
}

JournalPosition scan_journal(ByteView partition, std::uint64_t sector_size) {
    JournalPosition pos;
    const std::uint64_t sectors = partition.size() / sector_size;
    const std::uint64_t per_sector = sector_size / BootStateRecord::kSize;
    std::uint64_t latest_at = 0;
    for (std::uint64_t s = 0; s < sectors; ++s)
        for (std::uint64_t i = 0; i < per_sector; ++i) {
            const std::uint64_t at = s * sector_size + i * BootStateRecord::kSize;
            auto r = BootStateRecord::decode(partition.subspan(at, BootStateRecord::kSize));
            if (r && (!pos.latest || r->sequence > pos.latest->sequence)) {
                pos.latest = r;
                latest_at = at;
            }
        }
    if (!pos.latest) {
        pos.next_offset = 0;
        pos.needs_erase = !std::all_of(partition.begin(), partition.begin() + static_cast<std::ptrdiff_t>(sector_size),
                                       [](std::uint8_t b) { return b == 0xFF; });
        return pos;
    }
    // The slot after the latest record, if it is still erased; a torn record in between is
    // skipped (it can never be programmed again without an erase).
    const std::uint64_t sector = latest_at / sector_size;
    for (std::uint64_t at = latest_at + BootStateRecord::kSize; at + BootStateRecord::kSize <= (sector + 1) * sector_size;
         at += BootStateRecord::kSize) {
        auto slot = partition.subspan(at, BootStateRecord::kSize);
        if (std::all_of(slot.begin(), slot.end(), [](std::uint8_t b) { return b == 0xFF; })) {
            pos.next_offset = at;
            return pos;
        }
    }
    // The next sector; it needs an erase unless it is still blank (no needless wear).
    pos.next_offset = ((sector + 1) % sectors) * sector_size;
    auto next = partition.subspan(pos.next_offset, sector_size);
    pos.needs_erase = !std::all_of(next.begin(), next.end(), [](std::uint8_t b) { return b == 0xFF; });
    return pos;
}

}  // namespace svp

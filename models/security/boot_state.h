// The boot-state journal: for each boot stage, which slot is confirmed and which (if any) is
// pending its test boot. It lives in its own flash partition as append-only 64-byte records,
// each sealed with a truncated SHA-256, so a power cut at any flash operation — even one that
// leaves a record half programmed — leaves the previous record the latest valid one
// (MCUboot's lesson, plus torn writes). Two sectors alternate: a full one is left intact until
// the first record lands in the freshly erased other one.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "common/util/bytes.h"

namespace svp {

inline constexpr std::size_t kMaxBootStages = 4;
inline constexpr std::uint8_t kNoSlot = 0xFF;

struct StageBootState {
    std::uint8_t confirmed = 0;      // slot index the stage boots by default
    std::uint8_t pending = kNoSlot;  // a newly installed slot awaiting its test boot
    std::uint8_t attempts = 0;       // test boots of `pending` so far (0 or 1)
    bool operator==(const StageBootState&) const = default;
};

struct BootStateRecord {
    std::uint32_t sequence = 0;
    std::array<StageBootState, kMaxBootStages> stages{};
    bool operator==(const BootStateRecord&) const = default;

    static constexpr std::size_t kSize = 64;
    Bytes encode() const;
    // std::nullopt for an erased, torn or foreign record.
    static std::optional<BootStateRecord> decode(ByteView bytes);
};

// Where the journal's next record goes, given the partition's current contents.
struct JournalPosition {
    std::optional<BootStateRecord> latest;  // the newest valid record
    std::uint64_t next_offset = 0;          // partition-relative offset for the next record
    bool needs_erase = false;               // next_offset starts a sector that must be erased first
};

// Scans a partition image (two or more sectors of `sector_size`).
JournalPosition scan_journal(ByteView partition, std::uint64_t sector_size);

}  // namespace svp

// The OS's mutable storage on NOR flash: /mnt/config, each app's MutableStorage, the crash
// report queue and the update agent's state, as keyed records in a log-structured store
// (littlefs backs these on Azure Sphere, reference §3; ours is simpler and power-safe in the
// same way). NOR programming only clears bits, so records are appended, never rewritten.
//
// Layout: the partition is two areas. The active area is the one with a valid header of the
// highest generation. Records follow the header, 4-byte aligned:
//   area header (16 B): "SVPC" | generation | area size | CRC-32 of the first 12 bytes
//   record (16 B + key + value): 0x5352 | kind (1 put, 2 delete) | 0 | key length | 0 |
//                                 value length | CRC-32 of kind, lengths, key and value
// Mount scans the active area and stops at the first erased word (the clean end) or at the
// first record that does not check (a torn write: the "dirty tail"). A write that does not fit
// — or any write after a dirty tail — first compacts: the live records are copied into the
// erased other area and only then is that area's header programmed, so a power cut at any
// flash operation leaves either the old area or the complete new one active.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/util/bytes.h"

namespace svp::os {

// Where the store's bytes live. Reads come over the bus (execute-in-place flash); erases and
// programs go through the security subsystem (on Azure Sphere every flash write does).
class FlashBackend {
public:
    virtual ~FlashBackend() = default;
    virtual std::uint64_t size() const = 0;
    virtual std::uint32_t sector_size() const = 0;
    virtual bool read(std::uint64_t offset, std::span<std::uint8_t> out) = 0;
    virtual bool erase_sector(std::uint64_t offset) = 0;
    virtual bool program(std::uint64_t offset, ByteView bytes) = 0;
};

std::uint32_t crc32(ByteView bytes, std::uint32_t crc = 0);

class FlashStore {
public:
    static constexpr std::size_t kMaxKey = 255;
    static constexpr std::uint32_t kMaxValue = 64 * 1024;

    explicit FlashStore(FlashBackend& backend) : backend_(backend) {}

    struct MountResult {
        bool ok = false;
        std::string error;          // why mounting failed (the backend could not be read, ...)
        std::uint32_t generation = 0;
        std::size_t records = 0, live = 0;
        bool formatted = false;     // no valid area: a fresh one was made
        bool dirty_tail = false;    // a torn record ends the log (the next write compacts)
    };
    MountResult mount();
    bool mounted() const { return mounted_; }

    std::optional<Bytes> get(const std::string& key);
    bool contains(const std::string& key) const { return index_.count(key) != 0; }
    // Keys starting with `prefix`, in order.
    std::vector<std::string> keys(std::string_view prefix) const;
    // 0 or -ENOSPC (does not fit even after compaction), -EIO (flash refused), -EINVAL.
    int put(const std::string& key, ByteView value);
    int remove(const std::string& key);
    // Bytes the live records under `prefix` take (quota accounting).
    std::uint64_t live_bytes(std::string_view prefix) const;

    std::uint64_t area_size() const { return area_size_; }
    std::uint64_t tail() const { return tail_; }
    std::uint32_t generation() const { return generation_; }
    std::uint64_t compactions() const { return compactions_; }
    // Called with the bytes the store processes (the kernel charges CPU cycles for them).
    std::function<void(std::uint64_t bytes)> on_work;
    // One operation at a time: a flash write waits, and another process must not append at
    // the same place meanwhile. The kernel supplies a sleeping lock.
    std::function<void()> lock, unlock;

private:
    struct Guard {
        explicit Guard(FlashStore& s) : s(s) {
            if (s.lock) s.lock();
        }
        ~Guard() {
            if (s.unlock) s.unlock();
        }
        FlashStore& s;
    };
    struct Entry {
        std::uint64_t record_offset = 0;  // inside the active area
        std::uint32_t value_length = 0;
        std::uint32_t record_size = 0;
    };
    static std::uint32_t record_size(std::size_t key, std::size_t value);
    std::optional<std::uint32_t> read_header(std::uint64_t area_offset);
    bool scan(std::uint64_t area_offset);
    int append(std::uint8_t kind, const std::string& key, ByteView value);
    int compact(std::uint64_t need);
    bool erase_area(std::uint64_t area_offset);
    Bytes encode(std::uint8_t kind, const std::string& key, ByteView value) const;
    void work(std::uint64_t bytes) {
        if (on_work) on_work(bytes);
    }

    FlashBackend& backend_;
    bool mounted_ = false, dirty_tail_ = false;
    std::uint64_t area_size_ = 0, active_ = 0, tail_ = 0;
    std::uint32_t generation_ = 0;
    std::uint64_t compactions_ = 0;
    std::map<std::string, Entry> index_;
};

}  // namespace svp::os

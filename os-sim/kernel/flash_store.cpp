#include "os-sim/kernel/flash_store.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace svp::os {
namespace {

constexpr std::uint32_t kAreaMagic = 0x43505653;  // "SVPC"
constexpr std::uint16_t kRecordMagic = 0x5352;     // "RS"
constexpr std::uint32_t kHeaderSize = 16;
constexpr std::uint8_t kPut = 1, kDelete = 2;

std::uint32_t le32(const std::uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | static_cast<std::uint32_t>(p[3]) << 24; }
std::uint16_t le16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | p[1] << 8); }
void put32(std::uint8_t* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
}
bool erased(ByteView b) { return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0xFF; }); }

}  // namespace

std::uint32_t crc32(ByteView bytes, std::uint32_t crc) {
    static const auto table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    crc = ~crc;
    for (auto b : bytes) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

std::uint32_t FlashStore::record_size(std::size_t key, std::size_t value) {
    return static_cast<std::uint32_t>((kHeaderSize + key + value + 3) & ~std::size_t{3});
}

Bytes FlashStore::encode(std::uint8_t kind, const std::string& key, ByteView value) const {
    Bytes r(record_size(key.size(), value.size()), 0xFF);
    put16(r.data(), kRecordMagic);
    r[2] = kind;
    r[3] = 0;
    put16(r.data() + 4, static_cast<std::uint16_t>(key.size()));
    put16(r.data() + 6, 0);
    put32(r.data() + 8, static_cast<std::uint32_t>(value.size()));
    std::memcpy(r.data() + kHeaderSize, key.data(), key.size());
    if (!value.empty()) std::memcpy(r.data() + kHeaderSize + key.size(), value.data(), value.size());
    std::uint32_t crc = crc32(ByteView(r.data() + 2, 10));
    crc = crc32(ByteView(r.data() + kHeaderSize, key.size() + value.size()), crc);
    put32(r.data() + 12, crc);
    return r;
}

std::optional<std::uint32_t> FlashStore::read_header(std::uint64_t area) {
    std::uint8_t h[kHeaderSize];
    if (!backend_.read(area, h)) return std::nullopt;
    if (le32(h) != kAreaMagic || le32(h + 8) != area_size_ || le32(h + 12) != crc32(ByteView(h, 12))) return std::nullopt;
    return le32(h + 4);
}

FlashStore::MountResult FlashStore::mount() {
    MountResult r;
    mounted_ = false;
    index_.clear();
    const auto sector = backend_.sector_size();
    area_size_ = backend_.size() / 2 / sector * sector;
    if (area_size_ < 2 * sector) {
        r.error = "partition too small for two areas";
        return r;
    }
    const auto h0 = read_header(0), h1 = read_header(area_size_);
    if (!h0 && !h1) {
        // A fresh partition (or one nothing valid is left in): format area 0.
        if (!erase_area(0)) {
            r.error = "could not erase the storage partition";
            return r;
        }
        std::uint8_t h[kHeaderSize];
        put32(h, kAreaMagic);
        put32(h + 4, 1);
        put32(h + 8, static_cast<std::uint32_t>(area_size_));
        put32(h + 12, crc32(ByteView(h, 12)));
        if (!backend_.program(0, ByteView(h, kHeaderSize))) {
            r.error = "could not write the area header";
            return r;
        }
        active_ = 0;
        generation_ = 1;
        tail_ = kHeaderSize;
        dirty_tail_ = false;
        r.formatted = true;
    } else {
        const bool second = h1 && (!h0 || *h1 > *h0);
        active_ = second ? area_size_ : 0;
        generation_ = second ? *h1 : *h0;
        if (!scan(active_)) {
            r.error = "could not read the storage partition";
            return r;
        }
    }
    mounted_ = true;
    r.ok = true;
    r.generation = generation_;
    r.live = index_.size();
    r.dirty_tail = dirty_tail_;
    return r;
}

bool FlashStore::scan(std::uint64_t area) {
    Bytes bytes(area_size_);
    if (!backend_.read(area, bytes)) return false;
    work(area_size_);
    index_.clear();
    dirty_tail_ = false;
    std::uint64_t p = kHeaderSize;
    while (p + kHeaderSize <= area_size_) {
        const auto* h = bytes.data() + p;
        if (erased(ByteView(h, kHeaderSize))) break;  // the clean end of the log
        const auto kind = h[2];
        const auto key_len = le16(h + 4);
        const auto value_len = le32(h + 8);
        const bool sane = le16(h) == kRecordMagic && (kind == kPut || kind == kDelete) && key_len > 0 &&
                          key_len <= kMaxKey && value_len <= kMaxValue &&
                          p + record_size(key_len, value_len) <= area_size_;
        if (!sane) {
            dirty_tail_ = true;
            break;
        }
        std::uint32_t crc = crc32(ByteView(h + 2, 10));
        crc = crc32(ByteView(h + kHeaderSize, key_len + value_len), crc);
        if (crc != le32(h + 12)) {
            dirty_tail_ = true;
            break;
        }
        std::string key(reinterpret_cast<const char*>(h + kHeaderSize), key_len);
        if (kind == kPut)
            index_[key] = Entry{p, value_len, record_size(key_len, value_len)};
        else
            index_.erase(key);
        p += record_size(key_len, value_len);
    }
    tail_ = p;
    return true;
}

std::optional<Bytes> FlashStore::get(const std::string& key) {
    Guard guard(*this);
    auto it = index_.find(key);
    if (!mounted_ || it == index_.end()) return std::nullopt;
    Bytes value(it->second.value_length);
    if (!value.empty() &&
        !backend_.read(active_ + it->second.record_offset + kHeaderSize + key.size(), value))
        return std::nullopt;
    work(value.size());
    return value;
}

std::vector<std::string> FlashStore::keys(std::string_view prefix) const {
    std::vector<std::string> out;
    for (auto it = index_.lower_bound(std::string(prefix)); it != index_.end() && it->first.starts_with(prefix); ++it)
        out.push_back(it->first);
    return out;
}

std::uint64_t FlashStore::live_bytes(std::string_view prefix) const {
    std::uint64_t n = 0;
    for (auto it = index_.lower_bound(std::string(prefix)); it != index_.end() && it->first.starts_with(prefix); ++it)
        n += it->second.record_size;
    return n;
}

int FlashStore::put(const std::string& key, ByteView value) {
    Guard guard(*this);
    if (key.empty() || key.size() > kMaxKey || value.size() > kMaxValue) return -EINVAL;
    return append(kPut, key, value);
}

int FlashStore::remove(const std::string& key) {
    Guard guard(*this);
    if (!index_.count(key)) return -ENOENT;
    return append(kDelete, key, {});
}

int FlashStore::append(std::uint8_t kind, const std::string& key, ByteView value) {
    if (!mounted_) return -EIO;
    const auto record = encode(kind, key, value);
    if (dirty_tail_ || tail_ + record.size() > area_size_) {
        if (const int rc = compact(record.size()); rc < 0) return rc;
    }
    work(record.size());
    if (!backend_.program(active_ + tail_, record)) {
        // Whatever reached the flash no longer checks: the next write starts by compacting.
        dirty_tail_ = true;
        return -EIO;
    }
    if (kind == kPut)
        index_[key] = Entry{tail_, static_cast<std::uint32_t>(value.size()), static_cast<std::uint32_t>(record.size())};
    else
        index_.erase(key);
    tail_ += record.size();
    return 0;
}

bool FlashStore::erase_area(std::uint64_t area) {
    const auto sector = backend_.sector_size();
    Bytes bytes(sector);
    for (std::uint64_t s = 0; s < area_size_; s += sector) {
        if (!backend_.read(area + s, bytes)) return false;
        if (erased(bytes)) continue;
        if (!backend_.erase_sector(area + s)) return false;
    }
    return true;
}

int FlashStore::compact(std::uint64_t need) {
    std::uint64_t live = kHeaderSize;
    for (const auto& [key, e] : index_) live += e.record_size;
    if (live + need > area_size_) return -ENOSPC;
    const std::uint64_t target = active_ == 0 ? area_size_ : 0;
    if (!erase_area(target)) return -EIO;
    std::map<std::string, Entry> moved;
    std::uint64_t p = kHeaderSize;
    for (const auto& [key, e] : index_) {
        Bytes record(e.record_size);
        if (!backend_.read(active_ + e.record_offset, record)) return -EIO;
        work(record.size() * 2);
        if (!backend_.program(target + p, record)) return -EIO;
        moved[key] = Entry{p, e.value_length, e.record_size};
        p += e.record_size;
    }
    // Only now does the new area become the active one.
    std::uint8_t h[kHeaderSize];
    put32(h, kAreaMagic);
    put32(h + 4, generation_ + 1);
    put32(h + 8, static_cast<std::uint32_t>(area_size_));
    put32(h + 12, crc32(ByteView(h, 12)));
    if (!backend_.program(target, ByteView(h, kHeaderSize))) return -EIO;
    active_ = target;
    ++generation_;
    index_ = std::move(moved);
    tail_ = p;
    dirty_tail_ = false;
    ++compactions_;
    return 0;
}

}  // namespace svp::os

#include "os-sim/kernel/memory.h"

#include <cerrno>

#include <fmt/format.h>

namespace svp::os {

std::string prot_string(std::uint32_t prot) {
    std::string s = "---p";
    if (prot & prot_read) s[0] = 'r';
    if (prot & prot_write) s[1] = 'w';
    if (prot & prot_exec) s[2] = 'x';
    return s;
}

bool check_wx_policy(std::uint32_t prot, const Mapping* existing, bool loader) {
    if ((prot & prot_write) && (prot & prot_exec)) return false;
    if (!(prot & prot_exec)) return true;
    if (existing) return !existing->ever_writable && (existing->prot & prot_exec) != 0;
    return loader;
}

bool MemoryAccount::charge(std::uint64_t bytes) {
    if (used_ + bytes > limit_) {
        ++refusals_;
        return false;
    }
    used_ += bytes;
    peak_ = std::max(peak_, used_);
    return true;
}

void MemoryAccount::uncharge(std::uint64_t bytes) { used_ -= std::min(used_, bytes); }

std::int64_t AddressSpace::map(std::uint64_t length, std::uint32_t prot, std::string name) {
    if (length == 0) return -EINVAL;
    const auto start = next_anon_;
    const auto rc = map_fixed(start, length, prot, std::move(name));
    if (rc >= 0) next_anon_ = start + page_round(length) + kPageSize;  // a guard page between
    return rc;
}

std::int64_t AddressSpace::map_fixed(std::uint64_t start, std::uint64_t length, std::uint32_t prot, std::string name,
                                     bool loader) {
    if (length == 0 || start % kPageSize) return -EINVAL;
    if (enforce_wx_ && !check_wx_policy(prot, nullptr, loader)) return -EACCES;
    length = page_round(length);
    for (const auto& [s, m] : maps_)
        if (start < m.end() && m.start < start + length) return -EEXIST;
    if (!account_->charge(length)) return -ENOMEM;
    maps_[start] = Mapping{start, length, prot, std::move(name), (prot & prot_write) != 0};
    mapped_ += length;
    return static_cast<std::int64_t>(start);
}

int AddressSpace::unmap(std::uint64_t start, std::uint64_t length) {
    auto it = maps_.find(start);
    if (it == maps_.end() || page_round(length) != it->second.length) return -EINVAL;
    account_->uncharge(it->second.length);
    mapped_ -= it->second.length;
    maps_.erase(it);
    return 0;
}

int AddressSpace::protect(std::uint64_t start, std::uint64_t length, std::uint32_t prot) {
    const auto end = start + page_round(length);
    std::vector<Mapping*> hit;
    std::uint64_t covered = start;
    for (auto& [s, m] : maps_) {
        if (m.end() <= start || m.start >= end) continue;
        if (m.start > covered) return -ENOMEM;  // a hole in the range
        hit.push_back(&m);
        covered = m.end();
    }
    if (covered < end || hit.empty()) return -ENOMEM;
    for (auto* m : hit)
        if (enforce_wx_ && !check_wx_policy(prot, m, false)) return -EACCES;
    for (auto* m : hit) {
        m->prot = prot;
        m->ever_writable = m->ever_writable || (prot & prot_write);
    }
    return 0;
}

const Mapping* AddressSpace::find(std::uint64_t address) const {
    for (const auto& [s, m] : maps_)
        if (address >= m.start && address < m.end()) return &m;
    return nullptr;
}

void AddressSpace::release_all() {
    for (const auto& [s, m] : maps_) account_->uncharge(m.length);
    maps_.clear();
    mapped_ = 0;
}

std::vector<Mapping> AddressSpace::mappings() const {
    std::vector<Mapping> out;
    for (const auto& [s, m] : maps_) out.push_back(m);
    return out;
}

std::string AddressSpace::maps_text() const {
    std::string out;
    for (const auto& [s, m] : maps_)
        out += fmt::format("{:08x}-{:08x} {} 00000000 00:00 0 {}\n", m.start, m.end(), prot_string(m.prot), m.name);
    return out;
}

}  // namespace svp::os

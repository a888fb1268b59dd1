// Process memory as the kernel accounts for it: each process has an address space of page-
// granular mappings with protections, and the processes of one app share one memory account
// (a memory cgroup) with a hard limit, 256 KiB by default (reference §1.2: "256 KiB RAM" per
// high-level app). The bytes themselves are not modelled (apps are host-compiled); what is
// modelled is what the security policy decides on: sizes, limits and protections.
//
// The W^X policy lives here as one named check (rule 8): no mapping is ever both writable and
// executable, whether asked for at mmap or later through mprotect (reference §3, hardening
// after TALOS-2020-1090/1093; CVE-2020-16987 bypassed exactly this).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace svp::os {

inline constexpr std::uint64_t kPageSize = 4096;
inline constexpr std::uint64_t page_round(std::uint64_t n) { return (n + kPageSize - 1) / kPageSize * kPageSize; }

enum Prot : std::uint32_t { prot_none = 0, prot_read = 1, prot_write = 2, prot_exec = 4 };
std::string prot_string(std::uint32_t prot);  // "r-xp" as /proc/<pid>/maps prints it

// The one W^X decision (rule 8): may a mapping get `prot`? Never writable and executable at
// once; never executable if it is anonymous memory or was ever writable ("writable pages
// cannot become executable", reference §3) — only the loader maps the signed image's code.
// `existing` is the mapping being changed (null for a new one).
struct Mapping;
bool check_wx_policy(std::uint32_t prot, const Mapping* existing, bool loader);

// The memory account of one app (or of the system): every mapping of its processes is charged
// here; a charge that would pass the limit is refused.
class MemoryAccount {
public:
    explicit MemoryAccount(std::uint64_t limit_bytes) : limit_(limit_bytes) {}
    bool charge(std::uint64_t bytes);  // false (and nothing charged) beyond the limit
    void uncharge(std::uint64_t bytes);
    std::uint64_t used() const { return used_; }
    std::uint64_t peak() const { return peak_; }
    std::uint64_t limit() const { return limit_; }
    std::uint64_t refusals() const { return refusals_; }

private:
    std::uint64_t limit_, used_ = 0, peak_ = 0, refusals_ = 0;
};

struct Mapping {
    std::uint64_t start = 0, length = 0;
    std::uint32_t prot = prot_none;
    std::string name;  // "[heap]", "[stack]", "/bin/telemetry"
    bool ever_writable = false;
    std::uint64_t end() const { return start + length; }
};

// One process's address space. Operations return 0 or a negative errno.
class AddressSpace {
public:
    // `enforce_wx` false only when a test variant switched the os.wx defence off.
    explicit AddressSpace(MemoryAccount& account, bool enforce_wx = true) : account_(&account), enforce_wx_(enforce_wx) {}
    AddressSpace(const AddressSpace&) = delete;
    AddressSpace& operator=(const AddressSpace&) = delete;
    ~AddressSpace() { release_all(); }

    // Maps `length` bytes (rounded to pages) anywhere; the address or -errno
    // (-ENOMEM over the account's limit, -EACCES for W+X, -EINVAL for length 0).
    std::int64_t map(std::uint64_t length, std::uint32_t prot, std::string name);
    // Maps at a fixed address: the loader's text, data and stack (`loader` may map code).
    std::int64_t map_fixed(std::uint64_t start, std::uint64_t length, std::uint32_t prot, std::string name,
                           bool loader = false);
    int unmap(std::uint64_t start, std::uint64_t length);
    // Changes protections of whole mappings in [start, start+length); -EACCES for W+X,
    // -ENOMEM when part of the range is not mapped.
    int protect(std::uint64_t start, std::uint64_t length, std::uint32_t prot);
    const Mapping* find(std::uint64_t address) const;
    void release_all();

    std::uint64_t mapped_bytes() const { return mapped_; }
    std::vector<Mapping> mappings() const;
    std::string maps_text() const;  // the contents of /proc/<pid>/maps
    MemoryAccount& account() { return *account_; }

private:
    MemoryAccount* account_;
    bool enforce_wx_ = true;
    std::map<std::uint64_t, Mapping> maps_;  // by start
    std::uint64_t mapped_ = 0;
    std::uint64_t next_anon_ = 0x40000000;  // anonymous mappings grow up from here
};

}  // namespace svp::os

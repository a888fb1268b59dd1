// How the core reaches memory. The core is independent of any memory map: it asks a
// MemoryPort, which the SystemC wrapper implements with TLM b_transport (carrying a
// svp::BusInitiator extension) and DMI, and which tests implement with plain arrays.
#pragma once

#include <cstdint>

namespace svp::armv7m {

// A range of guest memory the core may read (and maybe write) through a host pointer.
struct DmiRegion {
    std::uint32_t base = 0;
    std::uint64_t size = 0;          // bytes; 0 = empty
    std::uint8_t* host = nullptr;    // host address of guest `base`
    bool writable = false;
    std::uint32_t read_wait = 0;     // extra core cycles per read / write (memory wait states)
    std::uint32_t write_wait = 0;
    bool contains(std::uint32_t addr, unsigned len) const {
        return addr >= base && std::uint64_t{addr - base} + len <= size;
    }
};

struct BusRequest {
    std::uint32_t address = 0;
    unsigned size = 4;              // 1, 2 or 4 bytes (8 for FP doublewords is split by the core)
    bool write = false;
    bool privileged = true;         // the privilege the access is made with (LDRT: unprivileged)
    bool instruction = false;       // an instruction fetch
    std::uint8_t* data = nullptr;   // size bytes, little-endian
};

enum class BusResponse { ok, error };

class MemoryPort {
public:
    virtual ~MemoryPort() = default;
    // A timed access. `wait_cycles` receives the latency the target reported, in core cycles.
    virtual BusResponse access(BusRequest& request, std::uint64_t now_cycle, std::uint64_t& wait_cycles) = 0;
    // Untimed access for debuggers and loaders; no side effects beyond the bytes. Returns the
    // number of bytes transferred (0 when nothing is mapped there).
    virtual unsigned debug_access(std::uint32_t address, std::uint8_t* data, unsigned length, bool write) = 0;
    // Offers a direct-memory region covering `address`; false when the target refuses.
    virtual bool direct_region(std::uint32_t address, bool write, DmiRegion& region) {
        (void)address; (void)write; (void)region;
        return false;
    }
};

}  // namespace svp::armv7m

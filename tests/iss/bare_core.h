// A Cortex-M4 on two flat memories, without SystemC: code at 0x0 (64 KiB) and RAM at
// 0x20000000 (64 KiB), everything else a bus error. Tests write a few instructions (hex
// encodings, with the assembly in a comment), set registers, run, and look at the state.
#pragma once

#include <cstring>
#include <initializer_list>
#include <vector>

#include "models/cpu/armv7m/cortex_m4.h"

namespace svp::armv7m::test {

class FlatMemory : public MemoryPort {
public:
    std::vector<u8> code = std::vector<u8>(64 * 1024);
    std::vector<u8> ram = std::vector<u8>(64 * 1024);
    std::vector<u32> refused;           // addresses the "firewall" refuses
    std::vector<BusRequest> accesses;   // bus (non-DMI) accesses seen
    bool offer_dmi = true;

    BusResponse access(BusRequest& r, u64, u64& wait) override {
        wait = 0;
        accesses.push_back(r);
        for (u32 a : refused)
            if (r.address == a) return BusResponse::error;
        u8* p = host(r.address, r.size);
        if (!p) return BusResponse::error;
        if (r.write) std::memcpy(p, r.data, r.size);
        else std::memcpy(r.data, p, r.size);
        return BusResponse::ok;
    }
    unsigned debug_access(u32 address, u8* data, unsigned length, bool write) override {
        u8* p = host(address, length);
        if (!p) return 0;
        if (write) std::memcpy(p, data, length);
        else std::memcpy(data, p, length);
        return length;
    }
    bool direct_region(u32 address, bool, DmiRegion& r) override {
        if (!offer_dmi) return false;
        if (address < code.size()) { r = {0, code.size(), code.data(), true, 0, 0}; return true; }
        if (address >= 0x20000000u && address - 0x20000000u < ram.size()) {
            r = {0x20000000u, ram.size(), ram.data(), true, 0, 0};
            return true;
        }
        return false;
    }
    u8* host(u32 a, unsigned len) {
        if (u64{a} + len <= code.size()) return code.data() + a;
        if (a >= 0x20000000u && u64{a - 0x20000000u} + len <= ram.size()) return ram.data() + (a - 0x20000000u);
        return nullptr;
    }
    u32 word(u32 a) { u32 v; std::memcpy(&v, host(a, 4), 4); return v; }
    void set_word(u32 a, u32 v) { std::memcpy(host(a, 4), &v, 4); }
};

// Memory layout of a test program.
inline constexpr u32 kProgram = 0x100;        // the instructions under test
inline constexpr u32 kHandlers = 0x80;        // every exception vector points at handler slots here
inline constexpr u32 kStackTop = 0x20010000;

struct BareCore {
    FlatMemory mem;
    CortexM4 core;
    u32 end = 0;  // address after the last instruction written

    explicit BareCore(CoreConfig cfg = {}) : core(with_defaults(cfg), mem) {
        mem.set_word(0, kStackTop);
        mem.set_word(4, kProgram | 1);
        // Vector n (n >= 2) -> a `b .` at kHandlers + 2n: a taken exception parks there, and
        // the test can tell which one from the PC.
        for (u32 n = 2; n < 48; ++n) {
            mem.set_word(4 * n, (kHandlers + 2 * n) | 1);
        }
        for (u32 n = 0; n < 48; ++n) put16(kHandlers + 2 * n, 0xE7FE);  // b .
    }
    static CoreConfig with_defaults(CoreConfig c) {
        c.semihosting = false;
        return c;
    }
    void put16(u32 at, u16 hw) { std::memcpy(mem.host(at, 2), &hw, 2); }
    // Writes the program at kProgram, followed by `b .`, and resets the core.
    void program(std::initializer_list<u16> halfwords) {
        u32 at = kProgram;
        for (u16 hw : halfwords) { put16(at, hw); at += 2; }
        end = at;
        put16(at, 0xE7FE);
        core.invalidate_code(0, 0xFFFFFFFF);
        core.reset();
    }
    u32& r(unsigned n) { return core.state().r[n]; }
    ArchState& s() { return core.state(); }
    // Runs instruction by instruction until the PC reaches the end of the program (or a
    // handler slot); at most `max` instructions.
    void run_program(unsigned max = 1000) {
        for (unsigned i = 0; i < max && r(15) != end && !(r(15) >= kHandlers && r(15) < kProgram); ++i) core.step();
    }
    // Runs with the block engine for `cycles` cycles.
    StopReason run_for(u64 cycles) { return core.run(core.cycles() + cycles); }
    // The exception whose parking slot the PC is in (0 if none).
    unsigned parked_in() const {
        const u32 pc = core.state().r[15];
        return (pc >= kHandlers && pc < kProgram) ? (pc - kHandlers) / 2 : 0;
    }
    bool n() { return s().nf >> 31; }
    bool z() { return s().zf == 0; }
    bool c() { return s().cf != 0; }
    bool v() { return s().vf >> 31; }
};

}  // namespace svp::armv7m::test

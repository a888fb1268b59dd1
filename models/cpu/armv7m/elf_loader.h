// Reads a 32-bit little-endian ARM ELF executable: its loadable segments (placed at their
// physical addresses, as QEMU's -kernel loader and a flash programmer do) and its symbols.
// Malformed input throws svp::InputError naming the file and what is wrong.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/util/bytes.h"

namespace svp::armv7m {

struct ElfSegment {
    std::uint32_t paddr = 0;   // where the bytes are loaded
    std::uint32_t vaddr = 0;
    std::uint32_t memsz = 0;   // bytes past the file image up to memsz are zero
    Bytes data;
    bool executable = false;
};

struct ElfImage {
    std::string name;          // the file, for messages
    std::uint32_t entry = 0;
    std::vector<ElfSegment> segments;
    std::map<std::string, std::uint32_t> symbols;       // functions and objects (Thumb bit cleared)
    std::map<std::string, std::uint32_t> symbol_sizes;  // their sizes in bytes
    std::optional<std::uint32_t> symbol(const std::string& n) const {
        auto it = symbols.find(n);
        if (it == symbols.end()) return std::nullopt;
        return it->second;
    }
};

ElfImage parse_elf(ByteView bytes, const std::string& name);
ElfImage read_elf(const std::filesystem::path& path);

}  // namespace svp::armv7m

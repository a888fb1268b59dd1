#include "models/cpu/armv7m/elf_loader.h"

#include <fmt/format.h>

#include "common/util/input_error.h"

namespace svp::armv7m {

namespace {
// ELF constants (System V ABI, "ELF for the Arm Architecture").
constexpr std::uint8_t kElfClass32 = 1, kElfData2Lsb = 1;
constexpr std::uint16_t kEtExec = 2, kEmArm = 40;
constexpr std::uint32_t kPtLoad = 1, kPfX = 1, kShtSymtab = 2;
constexpr std::uint8_t kSttObject = 1, kSttFunc = 2;
}  // namespace

ElfImage parse_elf(ByteView b, const std::string& name) {
    auto fail = [&](const std::string& what) -> InputError { return InputError(name, 0, what); };
    auto need = [&](std::size_t off, std::size_t len, const char* what) {
        if (off > b.size() || len > b.size() - off)
            throw fail(fmt::format("truncated ELF file: {} at offset {} runs past the end ({} bytes)", what, off, b.size()));
    };
    if (b.size() < 4 || !(b[0] == 0x7F && b[1] == 'E' && b[2] == 'L' && b[3] == 'F'))
        throw fail("not an ELF file (bad magic)");
    need(0, 52, "the ELF header");
    if (b[4] != kElfClass32) throw fail("not a 32-bit ELF file (a Cortex-M4 image is ELFCLASS32)");
    if (b[5] != kElfData2Lsb) throw fail("not a little-endian ELF file");
    const auto type = get_le16(b, 16), machine = get_le16(b, 18);
    if (machine != kEmArm) throw fail(fmt::format("not an ARM ELF file (e_machine {})", machine));
    if (type != kEtExec) throw fail(fmt::format("not an executable (e_type {}): link it first", type));
    ElfImage img;
    img.name = name;
    img.entry = get_le32(b, 24);
    const std::uint32_t phoff = get_le32(b, 28), shoff = get_le32(b, 32);
    const std::uint16_t phentsize = get_le16(b, 42), phnum = get_le16(b, 44);
    const std::uint16_t shentsize = get_le16(b, 46), shnum = get_le16(b, 48);
    if (phnum && phentsize < 32) throw fail("program header entries are too small");
    for (unsigned i = 0; i < phnum; ++i) {
        const std::size_t ph = phoff + std::size_t{i} * phentsize;
        need(ph, 32, "a program header");
        if (get_le32(b, ph) != kPtLoad) continue;
        ElfSegment s;
        const std::uint32_t offset = get_le32(b, ph + 4), filesz = get_le32(b, ph + 16);
        s.vaddr = get_le32(b, ph + 8);
        s.paddr = get_le32(b, ph + 12);
        s.memsz = get_le32(b, ph + 20);
        s.executable = get_le32(b, ph + 24) & kPfX;
        if (filesz > s.memsz) throw fail(fmt::format("segment {} has a file size larger than its memory size", i));
        need(offset, filesz, "segment data");
        if (std::uint64_t{s.paddr} + s.memsz > 0x100000000ull) throw fail(fmt::format("segment {} runs past 4 GiB", i));
        s.data.assign(b.begin() + offset, b.begin() + offset + filesz);
        if (s.memsz) img.segments.push_back(std::move(s));
    }
    if (img.segments.empty()) throw fail("no loadable segment");
    // Symbols: optional (a stripped image still runs).
    if (shnum && shentsize >= 40) {
        for (unsigned i = 0; i < shnum; ++i) {
            const std::size_t sh = shoff + std::size_t{i} * shentsize;
            need(sh, 40, "a section header");
            if (get_le32(b, sh + 4) != kShtSymtab) continue;
            const std::uint32_t sym_off = get_le32(b, sh + 16), sym_size = get_le32(b, sh + 20);
            const std::uint32_t link = get_le32(b, sh + 24), entsize = get_le32(b, sh + 36);
            if (entsize < 16 || link >= shnum) throw fail("malformed symbol table");
            const std::size_t strh = shoff + std::size_t{link} * shentsize;
            need(strh, 40, "the string table header");
            const std::uint32_t str_off = get_le32(b, strh + 16), str_size = get_le32(b, strh + 20);
            need(sym_off, sym_size, "the symbol table");
            need(str_off, str_size, "the string table");
            for (std::size_t e = 0; e + entsize <= sym_size; e += entsize) {
                const std::size_t at = sym_off + e;
                const std::uint32_t name_off = get_le32(b, at), value = get_le32(b, at + 4), size = get_le32(b, at + 8);
                const std::uint8_t info = b[at + 12];
                const std::uint8_t kind = info & 0xF;
                if ((kind != kSttFunc && kind != kSttObject) || name_off >= str_size) continue;
                std::string sym;
                for (std::size_t k = str_off + name_off; k < str_off + str_size && b[k]; ++k) sym.push_back(static_cast<char>(b[k]));
                if (!sym.empty()) {
                    img.symbols.emplace(sym, kind == kSttFunc ? value & ~1u : value);
                    img.symbol_sizes.emplace(sym, size);
                }
            }
        }
    }
    return img;
}

ElfImage read_elf(const std::filesystem::path& path) {
    const Bytes bytes = read_file(path);  // InputError naming the path if missing
    return parse_elf(bytes, path.string());
}

}  // namespace svp::armv7m

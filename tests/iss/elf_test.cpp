// The ELF loader reads what the cross toolchain writes and refuses the rest by name: every
// truncation and a few thousand random corruptions of a real image either parse or throw
// svp::InputError naming the file, never anything worse.
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>

#include "common/util/input_error.h"
#include "models/cpu/armv7m/elf_loader.h"

using namespace svp;

TEST_CASE("ELF loader: segments at their load addresses, symbols with the Thumb bit cleared", "[iss][elf]") {
    const std::string elf = std::string(SVP_FIRMWARE_DIR) + "/tests/integer.elf";
    if (!std::filesystem::exists(elf)) {
        WARN("SKIPPED: " << elf << " not built");
        return;
    }
    const auto image = armv7m::read_elf(elf);
    REQUIRE(image.symbol("main"));
    CHECK((*image.symbol("main") & 1u) == 0);
    bool has_code_at_zero = false, data_in_flash = false;
    for (const auto& s : image.segments) {
        has_code_at_zero |= s.paddr == 0 && s.executable;
        data_in_flash |= s.vaddr >= 0x20000000u && s.paddr < 0x00400000u;  // .data: runs in RAM, loaded in flash
    }
    CHECK(has_code_at_zero);
    CHECK(data_in_flash);
}

TEST_CASE("ELF loader: truncated and corrupted files are input errors naming the file", "[iss][elf][fuzz]") {
    const std::string elf = std::string(SVP_FIRMWARE_DIR) + "/tests/integer.elf";
    if (!std::filesystem::exists(elf)) {
        WARN("SKIPPED: " << elf << " not built");
        return;
    }
    const Bytes good = read_file(elf);
    auto attempt = [](const Bytes& bytes) {
        try {
            armv7m::parse_elf(bytes, "fuzzed.elf");
            return true;
        } catch (const InputError& e) {
            CHECK(std::string(e.what()).rfind("fuzzed.elf: ", 0) == 0);
            return false;
        }
    };
    for (std::size_t len : {std::size_t{0}, std::size_t{3}, std::size_t{51}, std::size_t{52}, std::size_t{200}, good.size() / 2})
        CHECK_FALSE(attempt(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(len))));
    std::mt19937 rng(7);
    for (int i = 0; i < 3000; ++i) {
        Bytes b = good;
        const int flips = 1 + static_cast<int>(rng() % 8);
        for (int k = 0; k < flips; ++k) b[rng() % 256] = static_cast<std::uint8_t>(rng());  // headers live up front
        attempt(b);
    }
}

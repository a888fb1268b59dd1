// Differential tests: each program of firmware/tests runs on `spherevp iss run` and must print
// exactly what QEMU's mps2-an386 prints and exit with the same code. QEMU's output is kept in
// firmware/tests/expected (so the comparison holds without QEMU); when qemu-system-arm is
// installed the program also runs on it, live. Missing firmware or QEMU skips, saying so.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "models/cpu/armv7m/elf_loader.h"
#include "tests/iss/process.h"

using svp::test::run_process;

namespace {
const std::string kSpherevp = SVP_SPHEREVP_BIN;
const std::string kFirmware = SVP_FIRMWARE_DIR;

std::string read_text(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

void differential(const std::string& program, int exit_code = 0) {
    const std::string elf = kFirmware + "/tests/" + program + ".elf";
    if (!std::filesystem::exists(elf)) {
        WARN("SKIPPED: " << elf << " not built (no arm-none-eabi-gcc/picolibc)");
        return;
    }
    const auto iss = run_process({kSpherevp, "iss", "run", elf});
    INFO("stderr of spherevp: " << iss.err);
    const std::string golden = read_text(std::string(SVP_SOURCE_DIR) + "/firmware/tests/expected/" + program + ".out");
    CHECK(iss.exit_code == exit_code);
    CHECK(iss.out == golden);
    if (!svp::test::on_path("qemu-system-arm")) {
        WARN("SKIPPED: qemu-system-arm not installed; compared with the recorded QEMU output only");
        return;
    }
    // QEMU writes semihosting output to stderr: compare the two streams together.
    const auto qemu = run_process({"qemu-system-arm", "-M", "mps2-an386", "-nographic", "-semihosting", "-kernel", elf});
    CHECK(qemu.exit_code == iss.exit_code);
    CHECK(qemu.out + qemu.err == iss.out);
}
}  // namespace

TEST_CASE("Differential: integer instructions match QEMU", "[iss][differential]") { differential("integer"); }
TEST_CASE("Differential: DSP instructions match QEMU", "[iss][differential]") { differential("dsp"); }
TEST_CASE("Differential: floating point matches QEMU", "[iss][differential]") { differential("float"); }
TEST_CASE("Differential: SysTick and NVIC interrupts match QEMU", "[iss][differential]") { differential("interrupts"); }
TEST_CASE("Differential: fault exceptions match QEMU", "[iss][differential]") { differential("exceptions"); }
TEST_CASE("Differential: the PIN check denies the wrong PIN", "[iss][differential]") { differential("pin_check", 1); }
TEST_CASE("Differential: the C library (soft double, math, malloc, longjmp) matches QEMU", "[iss][differential]") {
    differential("libc", 7);
}

TEST_CASE("iss run passes the program's exit code through and prints nothing else", "[iss][cli]") {
    const std::string elf = kFirmware + "/bench/compute.elf";
    if (!std::filesystem::exists(elf)) {
        WARN("SKIPPED: " << elf << " not built");
        return;
    }
    const auto r = run_process({kSpherevp, "iss", "run", elf});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "compute: total=-1638155715 crc=2763\n");
    CHECK(r.err.empty());
    const auto s = run_process({kSpherevp, "iss", "run", "--stats", elf});
    CHECK(s.out == r.out);
    CHECK(s.err.find("instructions") != std::string::npos);
    CHECK(s.err.find("MIPS") != std::string::npos);
}

TEST_CASE("iss run: a missing or malformed ELF exits 2 naming the file", "[iss][cli]") {
    const auto missing = run_process({kSpherevp, "iss", "run", "/nonexistent/prog.elf"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("/nonexistent/prog.elf") != std::string::npos);
    const std::string bad = std::filesystem::temp_directory_path() / "svp_iss_not_an_elf.elf";
    { std::ofstream(bad) << "this is not an ELF file"; }
    const auto malformed = run_process({kSpherevp, "iss", "run", bad});
    CHECK(malformed.exit_code == 2);
    CHECK(malformed.err.find(bad) != std::string::npos);
    CHECK(malformed.err.find("not an ELF") != std::string::npos);
    std::filesystem::remove(bad);
}

TEST_CASE("iss run --inject glitches an instruction and logs the injection as an event", "[iss][cli][faults]") {
    const std::string elf = kFirmware + "/tests/integer.elf";
    if (!std::filesystem::exists(elf)) {
        WARN("SKIPPED: " << elf << " not built");
        return;
    }
    const std::string log = std::filesystem::temp_directory_path() / "svp_iss_inject_events.jsonl";
    // Flip bit 31 of r0 on entry to op_adds: the ADDS flag table's checksum changes, nothing else.
    const auto r = run_process({kSpherevp, "iss", "run", "--inject", "flip@op_adds:r0:31", "--events", log, elf});
    const std::string golden = read_text(std::string(SVP_SOURCE_DIR) + "/firmware/tests/expected/integer.out");
    CHECK(r.exit_code == 0);
    CHECK(r.out.substr(0, 5) == "adds ");
    CHECK(r.out.substr(0, 15) != golden.substr(0, 15));
    CHECK(r.out.substr(15) == golden.substr(15));
    const std::string events = read_text(log);
    CHECK(events.find(R"("src":"cpu.fault","ev":"injected")") != std::string::npos);
    CHECK(events.find(R"("kind":"flip")") != std::string::npos);
    std::filesystem::remove(log);
    const auto bad = run_process({kSpherevp, "iss", "run", "--inject", "flip@op_adds:r99:1", elf});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("--inject") != std::string::npos);
}

TEST_CASE("iss run is deterministic: same output, cycles and events on every run", "[iss][cli][determinism]") {
    const std::string elf = kFirmware + "/tests/interrupts.elf";
    if (!std::filesystem::exists(elf)) {
        WARN("SKIPPED: " << elf << " not built");
        return;
    }
    auto run = [&](const std::string& log) {
        auto r = run_process({kSpherevp, "iss", "run", "--stats", "--events", log, "--inject", "flip@irq0:r1:0", elf});
        // Keep the simulated figures, drop the host's.
        std::string figures;
        for (const char* key : {"instructions", "cycles", "simulated time"}) {
            const auto at = r.err.find(key);
            figures += r.err.substr(at, r.err.find('\n', at) - at) + "\n";
        }
        return r.out + figures + read_text(log);
    };
    const auto dir = std::filesystem::temp_directory_path();
    const std::string a = run(dir / "svp_iss_det_a.jsonl"), b = run(dir / "svp_iss_det_b.jsonl");
    CHECK(a == b);
    CHECK(a.find("injected") != std::string::npos);
    std::filesystem::remove(dir / "svp_iss_det_a.jsonl");
    std::filesystem::remove(dir / "svp_iss_det_b.jsonl");
}

TEST_CASE("Glitch campaign: skipping one instruction somewhere in the PIN check grants access", "[iss][faults][campaign]") {
    const std::string elf = kFirmware + "/tests/pin_check.elf";
    if (!std::filesystem::exists(elf)) {
        WARN("SKIPPED: " << elf << " not built");
        return;
    }
    const auto golden = run_process({kSpherevp, "iss", "run", elf});
    REQUIRE(golden.out == "access denied\n");
    REQUIRE(golden.exit_code == 1);
    // Every halfword of main() and check_pin() as a glitch target, one run each.
    const auto image = svp::armv7m::read_elf(elf);
    std::vector<std::uint32_t> targets;
    for (const auto& [name, addr] : image.symbols)
        if (name == "main" || name.rfind("check_pin", 0) == 0)
            for (std::uint32_t a = addr; a < addr + image.symbol_sizes.at(name); a += 2) targets.push_back(a);
    REQUIRE(targets.size() > 10);
    unsigned granted = 0, denied = 0, other = 0;
    for (std::uint32_t pc : targets) {
        const auto r = run_process({kSpherevp, "iss", "run", "--inject", fmt::format("skip@{:#x}", pc), elf});
        if (r.out == "access granted\n" && r.exit_code == 0) ++granted;
        else if (r.out == golden.out) ++denied;
        else ++other;  // a crash or a different failure: also what glitching produces
    }
    INFO("granted " << granted << ", denied " << denied << ", other " << other << " of " << targets.size());
    CHECK(granted >= 1);   // the model exposes the weakness ...
    CHECK(denied >= 1);    // ... and most glitches change nothing visible
}

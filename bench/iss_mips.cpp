// bench/iss_mips: simulated instructions per second of the ISS (`spherevp iss run`, timing
// on) against QEMU (`qemu-system-arm -M mps2-an386`) on the same ELF. A benchmark, not a
// test: it prints figures and never fails on them.
//
// QEMU counts no instructions, so its MIPS is the ISS's instruction count for the same
// program divided by QEMU's wall time minus its start-up time (measured on an empty
// program). Each figure is the best of several runs: the machine is shared.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/iss/process.h"

namespace {

using svp::test::run_process;

struct IssRun {
    double mips = 0, host_s = 0;
    unsigned long long instructions = 0, quanta = 0;
    std::string output;
};

unsigned long long stat_of(const std::string& err, const std::string& key) {
    const auto at = err.find(key);
    if (at == std::string::npos) return 0;
    return std::stoull(err.substr(at + key.size()));
}
double stat_double(const std::string& err, const std::string& key) {
    const auto at = err.find(key);
    if (at == std::string::npos) return 0;
    return std::stod(err.substr(at + key.size()));
}

IssRun run_iss(const std::string& spherevp, const std::string& elf, const std::vector<std::string>& extra, int repeats) {
    IssRun best;
    for (int i = 0; i < repeats; ++i) {
        std::vector<std::string> argv = {spherevp, "iss", "run", "--stats"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.push_back(elf);
        const auto r = run_process(argv);
        IssRun run;
        run.output = r.out;
        run.instructions = stat_of(r.err, "instructions");
        run.host_s = stat_double(r.err, "host time");
        run.mips = stat_double(r.err, "MIPS");
        run.quanta = stat_of(r.err, "quanta");
        if (run.mips > best.mips) best = run;
    }
    return best;
}

double wall_seconds(const std::vector<std::string>& argv, std::string* output) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = run_process(argv);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (output) *output = r.out + r.err;
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string fw = SVP_FIRMWARE_DIR;
    const std::string elf = argc > 1 ? argv[1] : fw + "/bench/compute_long.elf";
    const std::string empty = fw + "/bench/empty.elf";
    const std::string spherevp = SVP_SPHEREVP_BIN;
    const int repeats = argc > 2 ? std::stoi(argv[2]) : 3;
    if (!std::filesystem::exists(elf)) {
        std::fprintf(stderr, "iss_mips: %s not found (build the firmware: needs arm-none-eabi-gcc and picolibc)\n", elf.c_str());
        return 2;
    }
    std::printf("program: %s\n", elf.c_str());
    const IssRun iss = run_iss(spherevp, elf, {}, repeats);
    const IssRun strict = run_iss(spherevp, elf, {"--no-run-ahead"}, repeats);
    std::printf("ISS  (timing on, 1 us quantum, run-ahead)   %8.1f MIPS  %llu instructions in %.3f s, %llu syncs\n", iss.mips,
                iss.instructions, iss.host_s, iss.quanta);
    std::printf("ISS  (timing on, 1 us quantum, every sync)  %8.1f MIPS  %.3f s, %llu syncs\n", strict.mips, strict.host_s,
                strict.quanta);
    if (!svp::test::on_path("qemu-system-arm")) {
        std::printf("QEMU not installed: no comparison\n");
        return 0;
    }
    const std::vector<std::string> qemu = {"qemu-system-arm", "-M", "mps2-an386", "-nographic", "-semihosting", "-kernel"};
    auto with = [&](const std::string& e) { auto v = qemu; v.push_back(e); return v; };
    double startup = 1e9, total = 1e9;
    std::string qemu_out;
    for (int i = 0; i < repeats; ++i) {
        startup = std::min(startup, wall_seconds(with(empty), nullptr));
        total = std::min(total, wall_seconds(with(elf), &qemu_out));
    }
    const double qemu_s = total - startup;
    const double qemu_mips = qemu_s > 0 ? static_cast<double>(iss.instructions) / qemu_s / 1e6 : 0;
    std::printf("QEMU (TCG, no timing)                       %8.1f MIPS  %.3f s after %.3f s start-up\n", qemu_mips, qemu_s,
                startup);
    std::printf("ratio ISS/QEMU                              %8.2f\n", qemu_mips > 0 ? iss.mips / qemu_mips : 0.0);
    std::printf("same output: %s\n", qemu_out == iss.output ? "yes" : "NO");
    return 0;
}

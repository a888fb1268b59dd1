// bench/rt_platform_mips: simulated MIPS of the RT cores on the assembled mt3620 platform
// (bus, firewall, router, peripherals, the security core booting next to them), running the
// freestanding compute firmware from TCM at the PLL clock. A benchmark, not a test: it prints
// figures and never fails on them. Compare with bench/iss_mips (the ISS alone).
//
//   rt_platform_mips [ELF] [CORES]   ELF: default firmware/examples/compute_rt_long.elf;
//                                    CORES: 1 (rt0) or 2 (rt0 and rt1 together)
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <string>

#include "models/cpu/armv7m/elf_loader.h"
#include "models/net/host_bridge.h"
#include "platform/device.h"
#include "tests/support/sim.h"

using namespace svp;

int sc_main(int argc, char** argv) {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    const std::filesystem::path elf = argc > 1 && *argv[1] ? std::filesystem::path(argv[1]) : firmware_dir() / "examples" / "compute_rt_long.elf";
    const int cores = argc > 2 ? std::atoi(argv[2]) : 1;
    if (!std::filesystem::exists(elf) || cores < 1 || cores > 2) {
        std::fprintf(stderr, "usage: rt_platform_mips [ELF] [1|2]  (%s not built?)\n", elf.c_str());
        return 2;
    }
    test::SimContext ctx;
    HostBridge bridge;
    Device device("dev0", load_variant(find_variant("mt3620")), ctx.device, bridge);
    const std::vector<std::string> names = cores == 1 ? std::vector<std::string>{"rt0"} : std::vector<std::string>{"rt0", "rt1"};
    for (const auto& n : names) device.load_rt_firmware(n, armv7m::read_elf(elf), false);

    auto done = [&] {
        for (const auto& n : names) {
            const auto& t = device.uart("uart_" + n).transcript();
            if (t.find("compute-rt:") == std::string::npos || t.back() != '\n') return false;
        }
        return true;
    };
    const auto start = std::chrono::steady_clock::now();
    const bool finished = test::run_thread([&] {
        for (const auto& n : names) device.start_rt_core(n, "bench");
        while (!done()) sc_core::wait(sc_core::sc_time(1, sc_core::SC_MS));
    }, sc_core::sc_time(60, sc_core::SC_SEC));
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    unsigned long long instructions = 0, quanta = 0;
    for (const auto& n : names) {
        instructions += device.rt_core(n).core().instructions();
        quanta += device.rt_core(n).quanta();
        std::printf("%s: %s", n.c_str(), device.uart("uart_" + n).transcript().c_str());
    }
    const double sim_s = static_cast<double>(sc_core::sc_time_stamp().value()) / 1e12;
    std::printf("firmware        %s (%d core%s)\n", elf.filename().c_str(), cores, cores > 1 ? "s" : "");
    std::printf("finished        %s\n", finished ? "yes" : "no (time limit)");
    std::printf("instructions    %llu\nquanta          %llu\nsimulated time  %.6f s\nhost time       %.3f s\nMIPS            %.1f\n",
                instructions, quanta, sim_s, wall, wall > 0 ? static_cast<double>(instructions) / wall / 1e6 : 0.0);
    return 0;
}

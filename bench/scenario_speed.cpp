// Wall time of whole scenarios (issue 8, item 7): the catalogue on -j processes, and power-on
// to the first device certificate (a scenario that stops as soon as the certificate arrives).
// Prints figures; asserts nothing.
//   bench_scenario_speed [--jobs N] [--repeat K]
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/util/subprocess.h"
#include "tests/support/cli.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Timed {
    int status;
    double wall_s;
    std::string out;
};

Timed spherevp(std::vector<std::string> args) {
    args.insert(args.begin(), SVP_SPHEREVP_BIN);
    const auto t = Clock::now();
    auto p = svp::Subprocess::start(args, {true, "/dev/null"});
    auto out = p.read_all();
    const int status = p.wait();
    return {status, seconds_since(t), out};
}

}  // namespace

int main(int argc, char** argv) {
    int jobs = 2, repeat = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--jobs") jobs = std::stoi(argv[i + 1]);
        else if (a == "--repeat") repeat = std::stoi(argv[i + 1]);
        else {
            std::cerr << "usage: bench_scenario_speed [--jobs N] [--repeat K]\n";
            return 2;
        }
    }

    // ---- power-on to the first device certificate: the default scenario's device, stopping at
    // the certificate (no cloud-side expectation, so the run ends as soon as it is decided).
    const auto work = fs::temp_directory_path() / fmt::format("svp-bench-cert-{}", ::getpid());
    fs::create_directories(work);
    {
        std::ifstream in(fs::path(SVP_SOURCE_DIR) / "scenarios/default.yaml");
        std::ofstream out(work / "first-cert.yaml");
        std::string line;
        bool in_expect = false;
        while (std::getline(in, line)) {
            if (line.rfind("expect:", 0) == 0) in_expect = true;
            if (!in_expect) out << line << "\n";
        }
        out << "expect:\n  - event: os.attest/certificate\n    within: 10s\n";
    }
    std::vector<double> cert;
    for (int k = 0; k < repeat; ++k) {
        auto r = spherevp({"run", (work / "first-cert.yaml").string(), "--json"});
        if (r.status != 0) {
            std::cerr << "first-certificate run failed (status " << r.status << ")\n" << r.out;
            return 1;
        }
        cert.push_back(r.wall_s);
    }
    std::sort(cert.begin(), cert.end());
    fmt::print("power-on to first device certificate: median {:.3f} s wall over {} runs (min {:.3f}, max {:.3f}); "
               "includes starting the cloud stub process\n",
               cert[cert.size() / 2], cert.size(), cert.front(), cert.back());
    fs::remove_all(work);

    // ---- the whole catalogue
    const auto files = svp::test::catalogue_files();
    std::vector<std::string> args = {"run", "--json", "-j", std::to_string(jobs)};
    args.insert(args.end(), files.begin(), files.end());
    const auto r = spherevp(args);
    double sim_s = 0, sum_wall = 0;
    std::size_t passed = 0;
    try {
        for (const auto& o : nlohmann::json::parse(r.out)) {
            sim_s += o.value("sim_end_ns", std::uint64_t{0}) / 1e9;
            sum_wall += o.value("wall_s", 0.0);
            passed += o.value("passed", false);
        }
    } catch (const std::exception& e) {
        std::cerr << "cannot read the catalogue results: " << e.what() << "\n";
        return 1;
    }
    fmt::print("catalogue: {} scenarios ({} passed), {:.2f} s wall on -j {} ({:.2f} s summed per scenario, {:.1f} s simulated)\n",
               files.size(), passed, r.wall_s, jobs, sum_wall, sim_s);
    return 0;
}

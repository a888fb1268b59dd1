// `spherevp sweep` and `spherevp report` end to end, with the real binary: the shipped
// variants over a boot + attack set, and figures that must move the right way when one
// variant parameter changes.
#include <catch2/catch.hpp>

#include <filesystem>

#include "common/util/bytes.h"
#include "common/util/subprocess.h"
#include "metrics/results.h"
#include "tests/support/cli.h"

using namespace svp;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

using test::kScenarios;
test::CliRun spherevp(std::vector<std::string> args) { return test::run_spherevp(std::move(args)); }

fs::path fresh_dir(const std::string& name) {
    auto d = fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
    fs::remove_all(d);
    return d;
}

// One metric of the default scenario across the values of a --set sweep, in sweep order.
std::vector<double> figures(const metrics::SweepResults& r, const std::string& metric) {
    std::vector<double> out;
    for (const auto& run : r.runs) {
        INFO(run.configuration() << " " << run.status << " " << run.error);
        REQUIRE(run.metrics.values.count(metric));
        out.push_back(run.metrics.values.at(metric));
    }
    return out;
}

metrics::SweepResults sweep_default(const std::string& set) {
    const auto dir = fresh_dir("svp-sweep-dir");
    const auto r = spherevp({"sweep", "--quiet", "--variants", "mt3620", "--set", set, "--scenarios", kScenarios + "/default.yaml",
                             "-j", "2", "-o", dir.string()});
    INFO(r.stderr_text);
    REQUIRE(r.status == 0);
    auto results = metrics::read_results(dir.string());
    fs::remove_all(dir);
    return results;
}

}  // namespace

TEST_CASE("a sweep of the shipped variants over boot and attack scenarios writes CSV, JSON and a report") {
    const auto dir = fresh_dir("svp-sweep-shipped");
    const auto r = spherevp({"sweep", "--variants", "mt3620,mt3620-lite,nextgen", "--scenarios", kScenarios + "/default.yaml",
                             kScenarios + "/attacks/b7-tampered-os.yaml", "-j", "2", "-o", dir.string()});
    INFO(r.stderr_text);
    REQUIRE(r.status == 0);
    CHECK_THAT(r.stdout_text, Contains("6 runs"));
    CHECK_THAT(r.stderr_text, Contains("[6/6]"));  // progress
    const auto results = metrics::read_results((dir / "results.json").string());
    REQUIRE(results.runs.size() == 6);
    CHECK(results.configurations() == std::vector<std::string>{"mt3620", "mt3620-lite", "nextgen"});
    for (const auto& run : results.runs) {
        INFO(run.configuration() << " / " << run.scenario);
        CHECK(run.status == "pass");
        CHECK(run.metrics.values.count("boot.rom_ms"));
        CHECK(run.metrics.values.count("energy_mj"));
        CHECK(fs::exists(dir / "events" / (run.variant + "--" + run.scenario + ".jsonl")));
    }
    // The figures differ the way the variant files say: nextgen's engine and clocks are faster.
    const auto* slow = results.find("mt3620-lite", "default");
    const auto* base = results.find("mt3620", "default");
    const auto* fast = results.find("nextgen", "default");
    CHECK(slow->metrics.values.at("boot.apps_running_ms") > base->metrics.values.at("boot.apps_running_ms"));
    CHECK(base->metrics.values.at("boot.apps_running_ms") > fast->metrics.values.at("boot.apps_running_ms"));
    const auto csv = read_text_file(dir / "results.csv");
    CHECK_THAT(csv, Contains("mt3620-lite,,b7-tampered-os,pass,boot.rom_ms,ms,"));

    const auto html = dir / "report.html";
    const auto rep = spherevp({"report", dir.string(), "-o", html.string()});
    INFO(rep.stderr_text);
    REQUIRE(rep.status == 0);
    const auto page = read_text_file(html);
    CHECK_THAT(page, Contains("class=\"chart bar-chart\" data-metric=\"boot.apps_running_ms\""));
    CHECK_THAT(page, Contains("class=\"chart timeline\""));
    fs::remove_all(dir);
}

TEST_CASE("a faster crypto engine shortens the boot ROM's verification and the engines' busy time") {
    const auto r = sweep_default("security.crypto.ecdsa_p256_verify_cycles=2400000,1200000,600000");
    const auto rom = figures(r, "boot.rom_ms"), busy = figures(r, "crypto.busy_ms");
    CHECK(rom[0] > rom[1]);
    CHECK(rom[1] > rom[2]);
    CHECK(busy[0] > busy[1]);
    CHECK(busy[1] > busy[2]);
    // One verification fewer cycles of 1.2 M at 200 MHz is 6 ms: the boot ROM verifies one stage.
    CHECK(rom[0] - rom[1] == Approx(6.0).margin(0.01));
}

TEST_CASE("more flash wait states cost the security core more cycles") {
    const auto r = sweep_default("memories.flash.wait_states.read=0,4,16");
    const auto cycles = figures(r, "cpu.sec.cycles");
    CHECK(cycles[0] < cycles[1]);
    CHECK(cycles[1] < cycles[2]);
}

TEST_CASE("a faster app core boots the kernel sooner") {
    const auto r = sweep_default("cores.a7.clock_mhz=500,1000");
    const auto kernel = figures(r, "boot.kernel_ms");
    CHECK(kernel[1] < kernel[0]);
}

TEST_CASE("a sweep with bad input stops before any run, exit 2") {
    const auto dir = fresh_dir("svp-sweep-bad");
    auto r = spherevp({"sweep", "--variants", "mt3620", "--set", "cores.app.clock_mhz=500,800", "--scenarios",
                       kScenarios + "/default.yaml", "-o", dir.string()});
    CHECK(r.status == 2);
    CHECK_THAT(r.stderr_text, Contains("no 'app' in 'cores' (it has: a7, rt0, rt1, sec)"));
    CHECK_FALSE(fs::exists(dir));
    r = spherevp({"sweep", "--variants", "mt3620,warp9", "--scenarios", kScenarios + "/default.yaml", "-o", dir.string()});
    CHECK(r.status == 2);
    CHECK_THAT(r.stderr_text, Contains("unknown variant 'warp9'"));
    r = spherevp({"report", dir.string(), "-o", (dir / "r.html").string()});
    CHECK(r.status == 2);
    CHECK_THAT(r.stderr_text, Contains("no such file"));
}

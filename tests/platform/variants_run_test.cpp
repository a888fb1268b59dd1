// The walking skeleton on every shipped variant: the default scenario (secure boot, attestation
// to the real cloud stub, telemetry) passes on each, and the variants differ the way their
// files say they should (a faster security core and crypto engine boot sooner).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/events/event.h"
#include "common/util/bytes.h"
#include "common/util/subprocess.h"
#include "platform/variant.h"

using namespace svp;
namespace fs = std::filesystem;

namespace {

const std::string kBinary = std::string(SVP_BINARY_DIR) + "/cli/spherevp";

struct Run {
    int status = -1;
    std::string out;
    std::vector<Event> events;
};

Run run_default_scenario_on(const std::string& variant) {
    auto text = read_text_file(std::string(SVP_SOURCE_DIR) + "/scenarios/default.yaml");
    const std::string from = "variant: mt3620\n";
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), "variant: " + variant + "\n");
    const auto dir = fs::temp_directory_path() / ("svp-variant-run-" + std::to_string(::getpid()) + "-" + variant);
    fs::create_directories(dir);
    std::ofstream(dir / "scenario.yaml") << text;
    auto p = Subprocess::start({kBinary, "run", (dir / "scenario.yaml").string(), "--events", (dir / "events.jsonl").string()},
                               {true, (dir / "stderr.txt").string()});
    Run r;
    r.out = p.read_all();
    r.status = p.wait();
    r.out += read_text_file(dir / "stderr.txt");
    std::ifstream in(dir / "events.jsonl");
    std::string line;
    while (std::getline(in, line)) r.events.push_back(Event::from_json_line(line, "events.jsonl"));
    fs::remove_all(dir);
    return r;
}

std::uint64_t first_time(const Run& r, const std::string& src, const std::string& ev) {
    for (const auto& e : r.events)
        if (e.src == src && e.ev == ev) return e.t_ns;
    return 0;
}

}  // namespace

TEST_CASE("the default scenario passes on every shipped variant, and a faster security subsystem boots sooner") {
    std::map<std::string, std::uint64_t> released_at;
    for (const auto& variant : shipped_variants()) {
        INFO("variant " << variant);
        const auto r = run_default_scenario_on(variant);
        INFO(r.out);
        CHECK(r.status == 0);
        CHECK(first_time(r, "os.telemetry", "sent") > 0);
        released_at[variant] = first_time(r, "sec.boot", "core.released");
        CHECK(released_at[variant] > 0);
    }
    REQUIRE(released_at.count("mt3620"));
    REQUIRE(released_at.count("mt3620-lite"));
    REQUIRE(released_at.count("nextgen"));
    CHECK(released_at["nextgen"] < released_at["mt3620"]);
    CHECK(released_at["mt3620"] < released_at["mt3620-lite"]);
}

TEST_CASE("spherevp run --vcd and --trace write a GTKWave waveform and a filtered Perfetto trace, the same on every run") {
    const auto dir = fs::temp_directory_path() / ("svp-observe-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const auto scenario = std::string(SVP_SOURCE_DIR) + "/scenarios/default.yaml";
    for (int run = 0; run < 2; ++run) {
        const auto tag = std::to_string(run);
        auto p = Subprocess::start({kBinary, "run", scenario, "--quiet", "--vcd", (dir / ("wave" + tag + ".vcd")).string(),
                                    "--trace", (dir / ("bus" + tag + ".json")).string(), "--trace-filter", "initiator=sec",
                                    "--trace-filter", "range=0x21050000-0x210500ff"},
                                   {true, (dir / "stderr.txt").string()});
        p.read_all();
        REQUIRE(p.wait() == 0);
    }
    const auto vcd = read_text_file(dir / "wave0.vcd");
    CHECK(vcd == read_text_file(dir / "wave1.vcd"));  // no host date, no host timing
    CHECK_THAT(vcd, Catch::Contains("$scope module irq $end"));
    CHECK_THAT(vcd, Catch::Contains(" mbox_sec_a7 "));
    CHECK_THAT(vcd, Catch::Contains(" in_reset "));
    CHECK_THAT(vcd, Catch::Contains(" pin93 "));
    const auto trace = nlohmann::json::parse(read_text_file(dir / "bus0.json"));
    std::size_t n = 0;
    for (const auto& e : trace["traceEvents"]) {
        if (e["ph"] != "X") continue;
        ++n;
        CHECK(e["tid"] == 3);  // sec
        const auto addr = std::stoull(e["args"]["addr"].get<std::string>(), nullptr, 16);
        CHECK(addr >= 0x21050000);
        CHECK(addr <= 0x210500ff);
    }
    CHECK(n > 10);
    CHECK(read_text_file(dir / "bus0.json") == read_text_file(dir / "bus1.json"));
    // A filter naming no initiator of the variant is invalid input (exit 2).
    auto bad = Subprocess::start({kBinary, "run", scenario, "--trace", (dir / "x.jsonl").string(), "--trace-filter", "initiator=zz"},
                                 {true, (dir / "stderr.txt").string()});
    bad.read_all();
    CHECK(bad.wait() == 2);
    CHECK_THAT(read_text_file(dir / "stderr.txt"), Catch::Contains("no initiator 'zz'"));
    fs::remove_all(dir);
}

// The walking skeleton on every shipped variant: the default scenario (secure boot, attestation
// to the real cloud stub, telemetry) passes on each, and the variants differ the way their
// files say they should (a faster security core and crypto engine boot sooner).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

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

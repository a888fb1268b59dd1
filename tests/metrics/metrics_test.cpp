// Metrics from hand-built event logs with known answers: each case writes the events a run
// would log, in the order and with the fields the models emit, and checks the figures.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "common/util/input_error.h"
#include "metrics/metrics.h"
#include "metrics/report.h"
#include "metrics/results.h"

using namespace svp;
using Catch::Matchers::Contains;

namespace {

constexpr std::uint64_t kMs = 1'000'000;

Event logged(std::uint64_t t_ns, std::string src, std::string name, Fields fields = Fields::object(), std::string dev = "dev0") {
    Event e;
    e.t_ns = t_ns;
    e.dev = std::move(dev);
    e.src = std::move(src);
    e.ev = std::move(name);
    e.fields = std::move(fields);
    return e;
}

// A first boot: reset at 0, security monitor verified at 6 ms, app core released at 12 ms,
// OS stages at 12, 30 and 35 ms, apps running at 48 ms, first TLS session at 150 ms.
std::vector<Event> boot_log() {
    return {logged(0, "sim", "started"),
            logged(0, "sec.core", "reset"),
            logged(0, "cloud.service", "started", {}, "cloud"),
            logged(6 * kMs, "sec.boot", "image.verified", {{"stage", "security-monitor"}}),
            logged(12 * kMs, "sec.boot", "image.verified", {{"stage", "os-kernel"}}),
            logged(12 * kMs, "sec.boot", "core.released", {{"core", "a7"}}),
            logged(12 * kMs, "os.init", "boot.stage", {{"stage", "kernel"}}),
            logged(30 * kMs, "os.init", "boot.stage", {{"stage", "drivers"}}),
            logged(35 * kMs, "os.init", "boot.stage", {{"stage", "services"}}),
            logged(48 * kMs, "os.init", "apps.running", {{"count", 1}}),
            logged(150 * kMs, "os.net", "connected", {{"host", "as3.spherevp.test"}})};
}

}  // namespace

TEST_CASE("boot phases are cut at the events that end them") {
    auto log = boot_log();
    log.push_back(logged(1000 * kMs, "sim", "finished"));
    const auto m = metrics::compute(log);
    CHECK(m.values.at("boot.rom_ms") == Approx(6));
    CHECK(m.values.at("boot.security_monitor_ms") == Approx(6));
    CHECK(m.values.at("boot.kernel_ms") == Approx(23));  // released 12 ms -> services 35 ms
    CHECK(m.values.at("boot.apps_ms") == Approx(13));    // 35 -> 48 ms
    CHECK(m.values.at("boot.apps_running_ms") == Approx(48));
    CHECK(m.values.at("boot.first_cloud_connection_ms") == Approx(150));
    CHECK(m.values.at("sim.time_ms") == Approx(1000));
    REQUIRE(m.boot_timeline.size() == 5);
    CHECK(m.boot_timeline[0].name == "boot ROM");
    CHECK(m.boot_timeline[2].start_ms == Approx(12));
    CHECK(m.boot_timeline[2].end_ms == Approx(35));
    CHECK(m.boot_timeline[4].end_ms == Approx(150));
}

TEST_CASE("a boot that halts has no boot figures after the stage it reached") {
    std::vector<Event> log = {logged(0, "sec.core", "reset"), logged(3 * kMs, "sec.boot", "image.rejected", {{"reason", "signature"}}),
                              logged(3 * kMs, "sec.boot", "halted"), logged(10 * kMs, "sim", "finished")};
    const auto m = metrics::compute(log);
    CHECK_FALSE(m.values.count("boot.rom_ms"));
    CHECK_FALSE(m.values.count("boot.apps_running_ms"));
    CHECK(m.boot_timeline.empty());
    CHECK(m.values.at("firewall.violations") == 0);
}

TEST_CASE("attestation round trips pair each request with its certificate, and a refusal ends a request") {
    auto log = boot_log();
    log.push_back(logged(50 * kMs, "os.attest", "requested"));
    log.push_back(logged(330 * kMs, "os.attest", "certificate"));
    log.push_back(logged(400 * kMs, "os.attest", "requested"));
    log.push_back(logged(500 * kMs, "os.attest", "refused", {{"status", 403}}));
    log.push_back(logged(600 * kMs, "os.attest", "requested"));
    log.push_back(logged(700 * kMs, "os.attest", "certificate"));
    const auto m = metrics::compute(log);
    CHECK(m.values.at("attest.round_trip_ms") == Approx(280));
    CHECK(m.values.at("attest.count") == 2);
    CHECK(m.samples.at("attest.round_trip_ms") == std::vector<double>{280, 100});
}

TEST_CASE("an update is cut into download, install, reboot and confirm") {
    auto log = boot_log();
    log.push_back(logged(1000 * kMs, "os.update", "checked", {{"version", 2}}));
    log.push_back(logged(1500 * kMs, "sec.update", "staging", {{"stage", "os-kernel"}}));
    log.push_back(logged(1600 * kMs, "sec.update", "installed", {{"stage", "os-kernel"}}));
    log.push_back(logged(1650 * kMs, "sec.update", "staging", {{"stage", "security-monitor"}}));
    log.push_back(logged(1700 * kMs, "sec.update", "installed", {{"stage", "security-monitor"}}));
    log.push_back(logged(1800 * kMs, "sec.core", "reset"));
    log.push_back(logged(1805 * kMs, "sec.update", "test.boot", {{"stage", "os-kernel"}}));
    log.push_back(logged(1850 * kMs, "os.init", "apps.running", {{"count", 1}}));
    log.push_back(logged(1900 * kMs, "sec.update", "confirmed", {{"stage", "os-kernel"}}));
    const auto m = metrics::compute(log);
    CHECK(m.values.at("ota.download_ms") == Approx(500));
    CHECK(m.values.at("ota.install_ms") == Approx(200));
    CHECK(m.values.at("ota.reboot_ms") == Approx(150));
    CHECK(m.values.at("ota.confirm_ms") == Approx(50));
    CHECK(m.values.at("ota.total_ms") == Approx(900));
    // The boot figures stay those of the first boot.
    CHECK(m.values.at("boot.apps_running_ms") == Approx(48));
}

TEST_CASE("a run without an update, counters or power figures has none of their metrics") {
    const auto m = metrics::compute(boot_log());
    for (const auto* name : {"ota.install_ms", "ota.total_ms", "crypto.busy_ms", "cpu.a7.cycles", "bus.stall_ms", "energy_mj"})
        CHECK_FALSE(m.values.count(name));
    CHECK(m.values.at("sim.time_ms") == Approx(150));  // no sim/finished: the last event
}

TEST_CASE("network time is the union of open connections, and bytes are summed at close") {
    std::vector<Event> log = {
        logged(0, "sec.core", "reset"),
        logged(10 * kMs, "net.link", "connect", {{"socket", 0}, {"result", "ok"}}),
        logged(20 * kMs, "net.link", "connect", {{"socket", 1}, {"result", "ok"}}),
        logged(30 * kMs, "net.link", "close", {{"socket", 0}, {"bytes_tx", 100}, {"bytes_rx", 1000}}),
        logged(40 * kMs, "net.link", "close", {{"socket", 1}, {"bytes_tx", 5}, {"bytes_rx", 7}}),
        logged(50 * kMs, "net.link", "connect", {{"socket", 2}, {"result", "refused"}}),
        logged(90 * kMs, "net.link", "connect", {{"socket", 3}, {"result", "ok"}}),
        logged(100 * kMs, "sim", "finished"),
    };
    const auto m = metrics::compute(log);
    CHECK(m.values.at("net.connected_ms") == Approx(30 + 10));  // [10, 40] and [90, end 100]
    CHECK(m.values.at("net.tx_bytes") == 105);
    CHECK(m.values.at("net.rx_bytes") == 1007);
}

TEST_CASE("model counters give cycles, sleep, crypto, bus and an energy estimate") {
    // One second; the app core busy 100 M cycles of 500 MHz (0.2 s), the security core 20 M of
    // 200 MHz (0.1 s), the engines 50 ms, the radio connected 0.5 s.
    std::vector<Event> log = {
        logged(0, "sec.core", "reset"),
        logged(0, "net.link", "connect", {{"socket", 0}, {"result", "ok"}}),
        logged(500 * kMs, "net.link", "close", {{"socket", 0}, {"bytes_tx", 1}, {"bytes_rx", 2}}),
        logged(1000 * kMs, "sim", "counters",
           {{"duration_ns", 1000 * kMs},
            {"cores", {{"a7", {{"clock_hz", 500'000'000}, {"busy_cycles", 100'000'000}}},
                       {"sec", {{"clock_hz", 200'000'000}, {"busy_cycles", 20'000'000}}}}},
            {"crypto", {{"busy_ns", 50 * kMs}, {"ecdsa_verifies", 3}, {"ecdsa_signs", 4}}},
            {"bus", {{"a7", {{"transactions", 10}, {"bytes", 40}, {"busy_ns", 250 * kMs}}}}},
            {"bus_stall_ns", 2 * kMs},
            {"power", {{"static_mw", 10},
                       {"a7", {{"kind", "core"}, {"active_mw", 100}, {"sleep_mw", 2}}},
                       {"sec", {{"kind", "core"}, {"active_mw", 30}, {"sleep_mw", 1}}},
                       {"crypto", {{"kind", "crypto"}, {"active_mw", 20}, {"sleep_mw", 0}}},
                       {"nic", {{"kind", "radio"}, {"active_mw", 200}, {"sleep_mw", 4}}}}}}),
        logged(1000 * kMs, "sim", "finished"),
    };
    const auto m = metrics::compute(log);
    CHECK(m.values.at("cpu.a7.cycles") == 100'000'000);
    CHECK(m.values.at("cpu.a7.asleep_fraction") == Approx(0.8));
    CHECK(m.values.at("cpu.sec.asleep_fraction") == Approx(0.9));
    CHECK(m.values.at("crypto.busy_ms") == Approx(50));
    CHECK(m.values.at("crypto.busy_fraction") == Approx(0.05));
    CHECK(m.values.at("crypto.ecdsa_verifies") == 3);
    CHECK(m.values.at("bus.utilisation.a7") == Approx(0.25));
    CHECK(m.values.at("bus.transactions.a7") == 10);
    CHECK(m.values.at("bus.bytes.a7") == 40);
    CHECK(m.values.at("bus.stall_ms") == Approx(2));
    // mW x s = mJ
    CHECK(m.values.at("energy.static_mj") == Approx(10));
    CHECK(m.values.at("energy.a7_mj") == Approx(100 * 0.2 + 2 * 0.8));
    CHECK(m.values.at("energy.sec_mj") == Approx(30 * 0.1 + 1 * 0.9));
    CHECK(m.values.at("energy.crypto_mj") == Approx(20 * 0.05));
    CHECK(m.values.at("energy.nic_mj") == Approx(200 * 0.5 + 4 * 0.5));
    CHECK(m.values.at("energy_mj") == Approx(10 + 21.6 + 3.9 + 1 + 102));
}

TEST_CASE("a power figure for a core the counters do not cover leaves the energy total absent") {
    std::vector<Event> log = {
        logged(0, "sec.core", "reset"),
        logged(1000 * kMs, "sim", "counters",
           {{"duration_ns", 1000 * kMs},
            {"cores", {{"a7", {{"clock_hz", 500'000'000}, {"busy_cycles", 0}}}}},
            {"power", {{"a7", {{"kind", "core"}, {"active_mw", 100}, {"sleep_mw", 2}}},
                       {"rt0", {{"kind", "core"}, {"active_mw", 20}, {"sleep_mw", 1}}}}}}),
    };
    const auto m = metrics::compute(log);
    CHECK(m.values.at("energy.a7_mj") == Approx(2));
    CHECK_FALSE(m.values.count("energy.rt0_mj"));
    CHECK_FALSE(m.values.count("energy_mj"));
}

TEST_CASE("every metric name resolves to its declaration, patterns included") {
    REQUIRE(metrics::find_metric("cpu.a7.cycles") != nullptr);
    CHECK(metrics::find_metric("cpu.a7.cycles")->unit == "cycles");
    CHECK(metrics::find_metric("bus.utilisation.nic")->unit == "fraction");
    CHECK(metrics::find_metric("energy.nic_mj")->unit == "mJ");
    CHECK(metrics::find_metric("cpu.a7.x.cycles") == nullptr);
    CHECK(metrics::find_metric("no.such") == nullptr);
    // Whatever compute() produces is declared, with a unit and a description.
    auto log = boot_log();
    log.push_back(logged(50 * kMs, "os.attest", "requested"));
    log.push_back(logged(60 * kMs, "os.attest", "certificate"));
    for (const auto& [name, v] : metrics::compute(log).values) {
        INFO(name);
        REQUIRE(metrics::find_metric(name) != nullptr);
        CHECK_FALSE(metrics::find_metric(name)->doc.empty());
    }
}

TEST_CASE("a malformed event log is an error naming the file and line") {
    const auto path = std::filesystem::temp_directory_path() / ("svp-metrics-bad-" + std::to_string(::getpid()) + ".jsonl");
    std::ofstream(path) << R"({"t_ns":0,"dev":"dev0","src":"sim","ev":"started"})" << "\n" << "{not json\n";
    CHECK_THROWS_WITH(metrics::read_event_log(path), Contains(path.string() + ":2"));
    std::filesystem::remove(path);
    CHECK_THROWS_AS(metrics::read_event_log("/nonexistent/events.jsonl"), InputError);
}

TEST_CASE("sweep results survive JSON and list every figure in the CSV") {
    metrics::SweepResults r;
    r.jobs = 2;
    for (const auto* v : {"mt3620", "nextgen"}) {
        metrics::RunRecord rec;
        rec.variant = v;
        rec.scenario = "default";
        rec.status = "pass";
        rec.metrics = metrics::compute(boot_log());
        r.runs.push_back(rec);
    }
    r.runs[1].set = "cores.a7.clock_mhz=800";
    const auto back = metrics::results_from_json(metrics::to_json(r), "test");
    REQUIRE(back.runs.size() == 2);
    CHECK(back.runs[1].configuration() == "nextgen cores.a7.clock_mhz=800");
    CHECK(back.runs[0].metrics.values == r.runs[0].metrics.values);
    CHECK(back.runs[0].metrics.boot_timeline.size() == 5);
    const auto csv = metrics::to_csv(r);
    CHECK_THAT(csv, Contains("variant,set,scenario,status,metric,unit,value\n"));
    CHECK_THAT(csv, Contains("mt3620,,default,pass,boot.rom_ms,ms,6\n"));
    CHECK_THAT(csv, Contains("nextgen,cores.a7.clock_mhz=800,default,pass,boot.apps_running_ms,ms,48\n"));
    CHECK_THROWS_AS(metrics::results_from_json(nlohmann::json::object(), "x.json"), InputError);
    CHECK_THROWS_AS(metrics::results_from_json({{"format", "spherevp-sweep/1"}, {"runs", {{{"variant", 1}}}}}, "x.json"), InputError);
}

TEST_CASE("the report draws a table and a bar chart per metric, CDFs and the boot timeline, with nothing to fetch") {
    metrics::SweepResults r;
    for (const auto* v : {"a", "b"}) {
        metrics::RunRecord rec;
        rec.variant = v;
        rec.scenario = "s";
        rec.status = "pass";
        auto log = boot_log();
        log.push_back(logged(50 * kMs, "os.attest", "requested"));
        log.push_back(logged(60 * kMs, "os.attest", "certificate"));
        rec.metrics = metrics::compute(log);
        r.runs.push_back(rec);
    }
    const auto html = metrics::render_report(r);
    CHECK_THAT(html, Contains("<svg class=\"chart bar-chart\" data-metric=\"boot.rom_ms\""));
    CHECK_THAT(html, Contains("<svg class=\"chart cdf\" data-metric=\"attest.round_trip_ms\""));
    CHECK_THAT(html, Contains("<svg class=\"chart timeline\""));
    CHECK_THAT(html, Contains("data-phase=\"kernel\""));
    CHECK(html.find("http://") == std::string::npos);
    CHECK(html.find("https://") == std::string::npos);
    CHECK(html.find("<script") == std::string::npos);
}

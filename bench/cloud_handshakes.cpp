// How fast one cloud stub attests devices (issue 7, item 5), next to the bound the machine's
// ECDSA P-256 speed (`openssl speed ecdsap256`) and its SQLite commit rate put on it; and how
// many simulated devices one stub serves: N devices on C concurrent connections, each doing a
// device's daily cycle (attestation on a fresh TLS connection, then over mutual TLS an update
// check and a telemetry upload), and the rate of update checks alone.
//
// Per attestation the stub verifies one quote signature and signs one certificate; a fresh
// TLS connection adds one handshake signature (CertificateVerify) and an ECDHE exchange. It
// commits two transactions, each fsynced (nonce issued; nonce spent + device + certificate +
// audit row). The stub runs as its real process, wall clock, on loopback; the client (this
// process) shares the machine with it, so the figures are for the pair.
//
//   bench_cloud_handshakes [--attestations N] [--devices N] [--clients C] [--json]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cloud-stub/cloud_stub_process.h"
#include "cloud-stub/store.h"
#include "tests/cloud/temp_dir.h"
#include "tests/cloud/test_device.h"
#include "tests/cloud/update_fixture.h"

using namespace svp;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// CPU seconds (user + system) the stub process has used so far: whether it is busy computing
// or waiting (for fsync, for the next request).
double stub_cpu_seconds(int pid) {
    std::string stat = read_text_file("/proc/" + std::to_string(pid) + "/stat");
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
    std::string f;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; fields >> f; ++i) {  // fields are numbered from 1; state is field 3
        if (i == 14) utime = std::stoull(f);
        if (i == 15) { stime = std::stoull(f); break; }
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct EcdsaSpeed {
    double sign_per_s = 0, verify_per_s = 0;
};

// `openssl speed` is the reference the issue names; its last line reads
// "256 bits ecdsa (nistp256)   0.0000s   0.0001s  41000.0  13000.0".
EcdsaSpeed openssl_speed() {
    EcdsaSpeed out;
    std::FILE* p = ::popen("openssl speed -seconds 2 ecdsap256 2>/dev/null", "r");
    if (!p) return out;
    std::string text;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) text += buf;
    ::pclose(p);
    std::smatch m;
    if (std::regex_search(text, m, std::regex(R"(256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([0-9.]+)\s+([0-9.]+))"))) {
        out.sign_per_s = std::stod(m[1]);
        out.verify_per_s = std::stod(m[2]);
    }
    return out;
}

// Committed, fsynced transactions per second on the file system the stub's database uses.
double commits_per_second(const std::filesystem::path& dir, int n) {
    cloud::CloudStore store(dir / "commits.db", 0);
    auto start = Clock::now();
    for (int i = 0; i < n; ++i) store.audit({0, i, "bench", "commit", "", "ok", "", ""});
    return n / seconds_since(start);
}

struct Fleet {
    std::vector<test::TestDevice> devices;
    std::vector<test::SignedImage> chain;
};

bool attest(cloud::CloudClient& client, const test::TestDevice& device, const std::vector<test::SignedImage>& chain,
            std::string* certificate = nullptr) {
    auto c = client.post_json("/v1/attestation/challenge", {{"device_id", device.id()}});
    if (c.status != 200) return false;
    auto q = client.post_json("/v1/attestation/quote", device.quote(c.json().at("nonce"), chain).to_json());
    if (q.status != 200) return false;
    if (certificate) *certificate = q.json().at("certificate");
    return true;
}

// A request as a well-behaved device makes it: on 429 it waits as long as Retry-After says.
template <class Call>
cloud::CloudResponse polite(Call&& call, std::atomic<int>& throttled) {
    for (;;) {
        auto r = call();
        if (r.status != 429) return r;
        ++throttled;
        std::this_thread::sleep_for(std::chrono::seconds(std::max(1, std::atoi(r.header("retry-after").c_str()))));
    }
}

struct FleetDevice {
    test::TestDevice device;
    std::string certificate;
};

struct FleetResult {
    double seconds = 0;
    int ok = 0, failed = 0;
    std::vector<double> latencies_ms;  // per device cycle
    double percentile(double p) {
        if (latencies_ms.empty()) return 0;
        std::sort(latencies_ms.begin(), latencies_ms.end());
        return latencies_ms[std::min(latencies_ms.size() - 1, static_cast<std::size_t>(p * latencies_ms.size()))];
    }
};

// Runs `cycle` once for every device, on `clients` threads taking devices in turn.
template <class Cycle>
FleetResult run_fleet(std::vector<FleetDevice>& fleet, int clients, Cycle&& cycle) {
    FleetResult out;
    std::atomic<std::size_t> next{0};
    std::mutex m;
    auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c)
        threads.emplace_back([&] {
            for (std::size_t i; (i = next++) < fleet.size();) {
                auto t0 = Clock::now();
                bool ok = false;
                try {
                    ok = cycle(fleet[i]);
                } catch (const std::exception& e) {
                    std::cerr << "device " << i << ": " << e.what() << "\n";
                }
                std::lock_guard lock(m);
                (ok ? out.ok : out.failed)++;
                out.latencies_ms.push_back(seconds_since(t0) * 1000.0);
            }
        });
    for (auto& t : threads) t.join();
    out.seconds = seconds_since(start);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    int attestations = 300, devices = 1000, clients = 8;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--json") json = true;
        else if (a == "--attestations" && i + 1 < argc) attestations = std::max(1, std::atoi(argv[++i]));
        else if (a == "--devices" && i + 1 < argc) devices = std::max(1, std::atoi(argv[++i]));
        else if (a == "--clients" && i + 1 < argc) clients = std::clamp(std::atoi(argv[++i]), 1, 256);
        else {
            std::cerr << "usage: bench_cloud_handshakes [--attestations N] [--devices N] [--clients C] [--json]\n";
            return 2;
        }
    }

    test::TempDir dir("svp-bench-cloud");
    // The per-device request budget is off: here one client plays a device far busier than any
    // real one. The shared budget of devices not known yet stays (it shapes first contact).
    cloud::CloudStubProcess stub(std::filesystem::path(SVP_BINARY_DIR) / "cli" / "spherevp", dir / "cloud.db",
                                 {"--rate-limit", "off"});
    Fleet fleet;
    fleet.chain = {test::make_image(image::ImageType::security_monitor, "bench/sm"),
                   test::make_image(image::ImageType::os_kernel, "bench/kernel"),
                   test::make_image(image::ImageType::application, "bench/app")};
    for (int i = 0; i < 64; ++i) fleet.devices.emplace_back();
    {
        auto admin = stub.admin();
        for (const auto& img : fleet.chain) admin.upload_image(img.bytes);
    }

    // 1. Attestations over one kept-alive TLS connection: the service's own cost.
    auto client = stub.anonymous();
    attest(client, fleet.devices[0], fleet.chain);  // connect outside the timing
    const int pid = stub.ready().at("pid").get<int>();
    int ok = 0;
    double cpu = stub_cpu_seconds(pid);
    auto start = Clock::now();
    for (int i = 0; i < attestations; ++i) ok += attest(client, fleet.devices[i % fleet.devices.size()], fleet.chain);
    const double keepalive_s = seconds_since(start);
    const double keepalive_cpu_ms = (stub_cpu_seconds(pid) - cpu) * 1000.0 / attestations;

    // 2. A full TLS handshake per attestation, as a device waking up once a day does.
    int fresh_ok = 0;
    cpu = stub_cpu_seconds(pid);
    start = Clock::now();
    for (int i = 0; i < attestations; ++i) {
        auto fresh = stub.anonymous();
        fresh_ok += attest(fresh, fleet.devices[i % fleet.devices.size()], fleet.chain);
    }
    const double fresh_s = seconds_since(start);
    const double fresh_cpu_ms = (stub_cpu_seconds(pid) - cpu) * 1000.0 / attestations;

    // 3. Telemetry over mutual TLS, ten records per upload.
    std::string certificate;
    attest(client, fleet.devices[0], fleet.chain, &certificate);
    auto device = stub.device(certificate, fleet.devices[0].key().pem());
    start = Clock::now();
    int uploads = 0;
    for (int i = 0; i < attestations; ++i) {
        nlohmann::json records = nlohmann::json::array();
        for (int r = 0; r < 10; ++r) records.push_back({{"seq", i * 10 + r}, {"kind", "temperature"}, {"value", 20.5}});
        uploads += device.post_json("/v1/telemetry", {{"records", records}}).ok();
    }
    const double telemetry_s = seconds_since(start);

    // 4. A fleet. The stub's own product, OS release and deployment, every new device landing
    // in Production; the images are the boot chain, so each device's update check gets a
    // manifest with three images (signed once, then served from the store).
    {
        auto admin = stub.admin();
        admin.post_json("/admin/v1/products", {{"name", "Bench"}, {"product_id", test::kProduct}});
        admin.post_json("/admin/v1/os-feeds/Retail/releases",
                        {{"images", {to_hex(ByteView(fleet.chain[0].measurement)), to_hex(ByteView(fleet.chain[1].measurement))}}});
        admin.post_json("/admin/v1/products/Bench/groups/Production/deployments",
                        {{"images", {to_hex(ByteView(fleet.chain[2].measurement))}}});
        admin.request("PUT", "/admin/v1/default-group", nlohmann::json{{"product", "Bench"}, {"group", "Production"}}.dump());
    }
    std::vector<FleetDevice> many(static_cast<std::size_t>(devices));
    std::atomic<int> throttled{0};
    auto attest_fresh = [&](FleetDevice& d) {
        auto link = stub.anonymous();  // a device waking up: a new TLS connection
        auto c = polite([&] { return link.post_json("/v1/attestation/challenge", {{"device_id", d.device.id()}}); }, throttled);
        if (c.status != 200) return false;
        auto q = polite([&] {
            return link.post_json("/v1/attestation/quote", d.device.quote(c.json().at("nonce"), fleet.chain).to_json());
        }, throttled);
        if (q.status != 200) return false;
        d.certificate = q.json().at("certificate");
        return true;
    };
    const nlohmann::json installed = {{"installed", nlohmann::json::array()}};
    std::atomic<int> seq{0};
    auto daily = [&](FleetDevice& d) {
        if (!attest_fresh(d)) return false;
        auto mtls = stub.device(d.certificate, d.device.key().pem());
        auto check = polite([&] { return mtls.post_json("/v1/updates/check", installed); }, throttled);
        if (check.status != 200) return false;
        nlohmann::json records = {{"records", {{{"seq", ++seq}, {"kind", "uptime"}, {"value", 1}}}}};
        return polite([&] { return mtls.post_json("/v1/telemetry", records); }, throttled).status == 200;
    };
    // First contact: every device attests for the first time (new devices share one budget).
    auto first = run_fleet(many, clients, attest_fresh);
    const int first_throttled = throttled.exchange(0);
    // Each device's daily cycle. On the first day its update check records what it runs (one
    // more commit); on a later day nothing it reports has changed: the steady state.
    auto first_day = run_fleet(many, clients, daily);
    auto cycles = run_fleet(many, clients, daily);
    const int cycle_throttled = throttled.exchange(0);
    // Update checks alone, each client a device on a kept-alive mutual-TLS connection.
    std::atomic<int> checks_ok{0};
    const int checks_each = std::max(1, 2 * devices / clients);
    start = Clock::now();
    {
        std::vector<std::thread> threads;
        for (int c = 0; c < clients; ++c)
            threads.emplace_back([&, c] {
                auto& d = many[static_cast<std::size_t>(c) % many.size()];
                auto mtls = stub.device(d.certificate, d.device.key().pem());
                for (int i = 0; i < checks_each; ++i) checks_ok += polite([&] { return mtls.post_json("/v1/updates/check", installed); }, throttled).ok();
            });
        for (auto& t : threads) t.join();
    }
    const double checks_s = seconds_since(start);
    stub.stop();

    const auto speed = openssl_speed();
    const double commits = commits_per_second(dir.path(), 200);
    const double crypto_bound_keepalive = 1.0 / (1.0 / speed.sign_per_s + 1.0 / speed.verify_per_s);
    const double crypto_bound_fresh = 1.0 / (2.0 / speed.sign_per_s + 1.0 / speed.verify_per_s);
    const double store_bound = commits / 2.0;
    const double fresh_rate = fresh_ok / fresh_s;

    nlohmann::ordered_json report = {
        {"attestations", attestations},
        {"attestations_per_s_keepalive", ok / keepalive_s},
        {"attestations_per_s_fresh_tls", fresh_rate},
        {"stub_cpu_ms_per_attestation_keepalive", keepalive_cpu_ms},
        {"stub_cpu_ms_per_attestation_fresh_tls", fresh_cpu_ms},
        {"telemetry_uploads_per_s", uploads / telemetry_s},
        {"openssl_ecdsap256_sign_per_s", speed.sign_per_s},
        {"openssl_ecdsap256_verify_per_s", speed.verify_per_s},
        {"crypto_bound_keepalive_per_s", crypto_bound_keepalive},
        {"crypto_bound_fresh_tls_per_s", crypto_bound_fresh},
        {"sqlite_fsynced_commits_per_s", commits},
        {"store_bound_per_s", store_bound},
        // Daily attestation (reference §4): one stub keeps this many devices attested.
        {"devices_served_at_one_attestation_per_day", static_cast<long long>(fresh_rate * 86400)},
        {"fleet_devices", devices},
        {"fleet_clients", clients},
        {"first_attestations_per_s", first.ok / first.seconds},
        {"first_attestation_throttled", first_throttled},
        {"first_day_cycles_per_s", first_day.ok / first_day.seconds},
        {"daily_cycles_per_s", cycles.ok / cycles.seconds},
        {"daily_cycle_ms_p50", cycles.percentile(0.50)},
        {"daily_cycle_ms_p99", cycles.percentile(0.99)},
        {"daily_cycle_throttled", cycle_throttled},
        {"update_checks_per_s", checks_ok / checks_s},
        {"devices_served_at_one_daily_cycle", static_cast<long long>(cycles.ok / cycles.seconds * 86400)},
        {"failures", 2 * attestations - ok - fresh_ok + attestations - uploads + first.failed + first_day.failed + cycles.failed +
                         (checks_each * clients - checks_ok)}};
    if (json) {
        std::cout << report.dump(2) << "\n";
    } else {
        std::cout << fmt::format("cloud stub, {} attestations each way (challenge + quote + 24 h certificate)\n", attestations);
        std::cout << fmt::format("  kept-alive TLS        {:8.1f} attestations/s   stub CPU {:.2f} ms each\n", ok / keepalive_s,
                                 keepalive_cpu_ms);
        std::cout << fmt::format("  fresh TLS handshake   {:8.1f} attestations/s   stub CPU {:.2f} ms each\n", fresh_rate,
                                 fresh_cpu_ms);
        std::cout << fmt::format("  telemetry (mTLS, 10)  {:8.1f} uploads/s\n", uploads / telemetry_s);
        std::cout << fmt::format("bounds on this machine\n");
        std::cout << fmt::format("  openssl speed ecdsap256  sign {:.0f}/s, verify {:.0f}/s\n", speed.sign_per_s, speed.verify_per_s);
        std::cout << fmt::format("  ECDSA only: kept-alive {:.0f}/s, fresh TLS {:.0f}/s (ECDHE not counted)\n",
                                 crypto_bound_keepalive, crypto_bound_fresh);
        std::cout << fmt::format("  SQLite fsynced commits {:.0f}/s -> {:.0f} attestations/s (2 commits each)\n", commits, store_bound);
        std::cout << fmt::format("one stub keeps {} devices attested at one attestation a day\n",
                                 static_cast<long long>(fresh_rate * 86400));
        std::cout << fmt::format("a fleet of {} devices on {} concurrent connections\n", devices, clients);
        std::cout << fmt::format("  first attestation     {:8.1f} devices/s ({} requests throttled: new devices share a budget)\n",
                                 first.ok / first.seconds, first_throttled);
        std::cout << fmt::format("  daily cycle, 1st day  {:8.1f} devices/s   (fresh-TLS attestation + mTLS update check + telemetry)\n",
                                 first_day.ok / first_day.seconds);
        std::cout << fmt::format("  daily cycle, later    {:8.1f} devices/s   p50 {:.0f} ms, p99 {:.0f} ms per device\n",
                                 cycles.ok / cycles.seconds, cycles.percentile(0.5), cycles.percentile(0.99));
        std::cout << fmt::format("  update checks         {:8.1f} checks/s (kept-alive mTLS; the manifest is signed once)\n",
                                 checks_ok / checks_s);
        std::cout << fmt::format("one stub serves {} devices at one daily cycle each\n",
                                 static_cast<long long>(cycles.ok / cycles.seconds * 86400));
    }
    return report["failures"] == 0 ? 0 : 1;
}

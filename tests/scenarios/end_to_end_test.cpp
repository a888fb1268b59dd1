// The whole stack through the command line, as a user and CI run it: the real spherevp binary,
// the real cloud stub process on a loopback port, real TLS and ECDSA, a real database file.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "common/events/event.h"
#include "common/util/bytes.h"
#include "common/util/subprocess.h"
#include "tests/support/cli.h"

using namespace svp;
namespace fs = std::filesystem;

namespace {

using test::kScenarios;
using Run = test::CliRun;
Run spherevp(std::vector<std::string> args) { return test::run_spherevp(std::move(args)); }

std::vector<Event> read_events(const fs::path& path) {
    std::vector<Event> out;
    std::ifstream in(path);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) out.push_back(Event::from_json_line(line, path.string() + ":" + std::to_string(++n)));
    return out;
}

// `--regression-power --json` rows as "defence scenario" -> whether the scenario failed with it off.
std::map<std::string, bool> caught_by(const nlohmann::json& report) {
    std::map<std::string, bool> caught;
    for (const auto& row : report["rows"])
        caught[row["defence"].get<std::string>() + " " + row["scenario"].get<std::string>()] = row["caught"];
    return caught;
}

fs::path temp(const std::string& name) { return fs::temp_directory_path() / (name + "-" + std::to_string(::getpid())); }

}  // namespace

TEST_CASE("the tampered-OS scenario passes and its event log shows the refused boot with its reason") {
    const auto events = temp("b7.jsonl");
    auto r = spherevp({"run", kScenarios + "/attacks/b7-tampered-os.yaml", "--events", events.string()});
    INFO(r.stdout_text << r.stderr_text);
    CHECK(r.status == 0);
    CHECK_THAT(r.stdout_text, Catch::Contains("PASS"));
    bool rejected = false, released = false;
    for (const auto& e : read_events(events)) {
        if (e.src == "sec.boot" && e.ev == "image.rejected" && e.field("reason") == "bad-signature") rejected = true;
        if (e.src == "sec.boot" && e.ev == "core.released") released = true;
    }
    CHECK(rejected);
    CHECK_FALSE(released);
    fs::remove(events);
}

TEST_CASE("the A2 peripheral-grab scenario passes: EPERM for an unlisted pin, one owner per pin, the firewall locked") {
    const auto events = temp("a2.jsonl");
    auto r = spherevp({"run", kScenarios + "/apps/a2-peripheral-grab.yaml", "--events", events.string()});
    INFO(r.stdout_text << r.stderr_text);
    CHECK(r.status == 0);
    CHECK_THAT(r.stdout_text, Catch::Contains("PASS"));
    std::uint64_t locked_at = 0, started_at = 0;
    bool denied = false;
    for (const auto& e : read_events(events)) {
        if (e.src == "bus.firewall" && e.ev == "locked") locked_at = e.t_ns;
        if (e.src == "os.app" && e.ev == "started" && e.field("app") == "grabber") started_at = e.t_ns;
        if (e.src == "os.security" && e.ev == "capability.denied" && e.field("app") == "grabber") denied = true;
    }
    CHECK(denied);
    // The firewall is locked before any app runs.
    CHECK(locked_at > 0);
    CHECK(locked_at < started_at);
    fs::remove(events);
}

TEST_CASE("changing an expectation so it cannot hold makes the run exit 1") {
    auto text = read_text_file(kScenarios + "/attacks/b7-tampered-os.yaml");
    const std::string from = "reason: bad-signature", to = "reason: rollback";
    text.replace(text.find(from), from.size(), to);
    const auto path = temp("b7-wrong.yaml");
    std::ofstream(path) << text;
    auto r = spherevp({"run", path.string()});
    CHECK(r.status == 1);
    CHECK_THAT(r.stdout_text, Catch::Contains("FAIL"));
    fs::remove(path);
}

TEST_CASE("a malformed scenario exits 2 with file:line") {
    const auto path = temp("broken.yaml");
    std::ofstream(path) << "name: broken\nduration: forever\n";
    auto r = spherevp({"run", path.string()});
    CHECK(r.status == 2);
    CHECK_THAT(r.stderr_text, Catch::Contains(path.string() + ":2: scenario: duration: 'forever' is not a duration"));
    fs::remove(path);
}

TEST_CASE("the same scenario and seed give a byte-identical event log (no cloud)") {
    const auto a = temp("det-a.jsonl"), b = temp("det-b.jsonl");
    REQUIRE(spherevp({"run", kScenarios + "/attacks/b7-tampered-os.yaml", "--quiet", "--events", a.string()}).status == 0);
    REQUIRE(spherevp({"run", kScenarios + "/attacks/b7-tampered-os.yaml", "--quiet", "--events", b.string()}).status == 0);
    CHECK(read_text_file(a) == read_text_file(b));
    fs::remove(a);
    fs::remove(b);
}

TEST_CASE("the RT-core attacks A10 and A11 pass on real firmware, and their event logs repeat byte for byte") {
    if (!fs::exists(std::string(SVP_BINARY_DIR) + "/firmware/examples/rogue_sram.elf")) {
        WARN("SKIPPED: RT firmware not built (no arm-none-eabi toolchain)");
        return;
    }
    for (const char* name : {"a10-rogue-rt-firmware-touches-a7-uart", "a11-rt-firmware-writes-a7-sram"}) {
        INFO(name);
        const auto a = temp(std::string(name) + "-a.jsonl"), b = temp(std::string(name) + "-b.jsonl");
        const auto file = kScenarios + "/attacks/" + name + ".yaml";
        const auto first = spherevp({"run", file, "--quiet", "--events", a.string()});
        INFO(first.stdout_text << first.stderr_text);
        CHECK(first.status == 0);
        REQUIRE(spherevp({"run", file, "--quiet", "--events", b.string()}).status == 0);
        const auto log = read_text_file(a);
        CHECK(log == read_text_file(b));
        CHECK(log.find("\"ev\":\"firewall.violation\"") != std::string::npos);
        fs::remove(a);
        fs::remove(b);
    }
}

TEST_CASE("a longer RT quantum keeps A10 passing and deterministic, and the log says which quantum ran") {
    if (!fs::exists(std::string(SVP_BINARY_DIR) + "/firmware/examples/rogue.elf")) {
        WARN("SKIPPED: RT firmware not built (no arm-none-eabi toolchain)");
        return;
    }
    const auto file = kScenarios + "/attacks/a10-rogue-rt-firmware-touches-a7-uart.yaml";
    const auto a = temp("quantum-a.jsonl"), b = temp("quantum-b.jsonl");
    REQUIRE(spherevp({"run", file, "--quiet", "--quantum", "10us", "--events", a.string()}).status == 0);
    REQUIRE(spherevp({"run", file, "--quiet", "--quantum", "10us", "--events", b.string()}).status == 0);
    CHECK(read_text_file(a) == read_text_file(b));
    const auto events = read_events(a);
    REQUIRE_FALSE(events.empty());
    CHECK(events.front().field("quantum_ns") == "10000");
    const auto bad = spherevp({"run", file, "--quantum", "0us"});
    CHECK(bad.status == 2);
    CHECK(bad.stderr_text.find("--quantum") != std::string::npos);
    fs::remove(a);
    fs::remove(b);
}

TEST_CASE("regression power: with the firewall switched off in a test variant, A10 and A11 fail") {
    if (!fs::exists(std::string(SVP_BINARY_DIR) + "/firmware/examples/rogue_sram.elf")) {
        WARN("SKIPPED: RT firmware not built (no arm-none-eabi toolchain)");
        return;
    }
    // A test variant: mt3620 as shipped, marked as a test variant, its firewall defence off.
    const auto variant = temp("mt3620-no-firewall.yaml");
    std::ofstream(variant) << read_text_file(std::string(SVP_SOURCE_DIR) + "/platform/variants/mt3620.yaml")
                           << "\ntest_variant: true\ndefences_off: [firewall.rules]\n";
    for (const char* name : {"a10-rogue-rt-firmware-touches-a7-uart", "a11-rt-firmware-writes-a7-sram"}) {
        INFO(name);
        std::string text = read_text_file(kScenarios + "/attacks/" + name + ".yaml");
        text = text.replace(text.find("variant: mt3620"), 15, "variant: " + variant.string());
        const auto file = temp(std::string(name) + "-weakened.yaml");
        std::ofstream(file) << text;
        const auto r = spherevp({"run", file.string(), "--quiet"});
        CHECK(r.status == 1);  // an expectation failed: the suite catches the missing defence
        fs::remove(file);
    }
    fs::remove(variant);
}

TEST_CASE("a scenario that starts a core the variant lacks exits 2 naming file:line") {
    const auto file = temp("rt-bad-core.yaml");
    std::string text = read_text_file(kScenarios + "/attacks/a11-rt-firmware-writes-a7-sram.yaml");
    text = text.replace(text.find("do: start-rt-core, core: rt1"), 28, "do: start-rt-core, core: rt9");
    // the ELF paths stay resolvable: ${firmware} does not depend on the file's folder
    std::ofstream(file) << text;
    const auto r = spherevp({"run", file.string(), "--quiet"});
    CHECK(r.status == 2);
    CHECK_THAT(r.stdout_text + r.stderr_text, Catch::Contains(file.string() + ":46:"));
    CHECK_THAT(r.stdout_text + r.stderr_text, Catch::Contains("no real-time core 'rt9'"));
    fs::remove(file);
}

TEST_CASE("a set-sensor naming a sensor the variant's wire lacks exits 2 naming file:line") {
    const auto file = temp("sensor-bad-address.yaml");
    std::string text = read_text_file(kScenarios + "/apps/sensor-telemetry.yaml");
    const std::string from = "i2c: i2c_isu2, address: 0x44";
    text = text.replace(text.find(from), from.size(), "i2c: i2c_isu2, address: 0x45");
    std::ofstream(file) << text;
    const auto r = spherevp({"run", file.string(), "--quiet"});
    CHECK(r.status == 2);
    CHECK_THAT(r.stdout_text + r.stderr_text, Catch::Contains(file.string() + ":" + std::to_string(1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(text.find("address: 0x45")), '\n')) + ":"));
    CHECK_THAT(r.stdout_text + r.stderr_text, Catch::Contains("no sht3x at address 0x45 on 'i2c_isu2'"));
    fs::remove(file);
}

TEST_CASE("the default scenario boots, attests to the real cloud stub, gets a 24-hour certificate and sends telemetry") {
    const auto events = temp("default.jsonl");
    auto r = spherevp({"run", kScenarios + "/default.yaml", "--events", events.string()});
    INFO(r.stdout_text << r.stderr_text);
    CHECK(r.status == 0);
    const Event* cert = nullptr;
    std::vector<Event> log = read_events(events);
    bool cloud_accepted = false, telemetry = false;
    for (const auto& e : log) {
        if (e.src == "os.attest" && e.ev == "certificate") cert = &e;
        if (e.src == "cloud.attest" && e.ev == "accepted") cloud_accepted = true;
        if (e.src == "os.telemetry" && e.ev == "sent") telemetry = true;
    }
    REQUIRE(cert);
    CHECK(cert->field("lifetime_s") == "86400");
    CHECK(cloud_accepted);
    CHECK(telemetry);
    fs::remove(events);
}

TEST_CASE("the default scenario's event log is byte-identical across runs, cloud included") {
    const auto a = temp("det-da.jsonl"), b = temp("det-db.jsonl");
    for (const auto& path : {a, b}) {
        auto r = spherevp({"run", kScenarios + "/default.yaml", "--events", path.string()});
        INFO(r.stdout_text << r.stderr_text);
        REQUIRE(r.status == 0);
    }
    CHECK(read_text_file(a) == read_text_file(b));
    fs::remove(a);
    fs::remove(b);
}

TEST_CASE("several scenarios run in parallel processes with a table and JUnit") {
    const auto junit = temp("junit.xml");
    auto r = spherevp({"run", kScenarios + "/attacks/b7-tampered-os.yaml", kScenarios + "/default.yaml", "-j", "2",
                       "--junit", junit.string()});
    INFO(r.stdout_text << r.stderr_text);
    CHECK(r.status == 0);
    CHECK_THAT(r.stdout_text, Catch::Contains("2 passed, 0 failed"));
    const auto xml = read_text_file(junit);
    CHECK_THAT(xml, Catch::Contains("tests=\"2\" failures=\"0\" errors=\"0\""));
    fs::remove(junit);
}

TEST_CASE("images made with `spherevp image keygen/pack/sign` boot from a scenario that names their files") {
    const auto dir = temp("cli-images");
    fs::create_directories(dir);
    auto in = [&](const std::string& name) { return (dir / name).string(); };
    REQUIRE(spherevp({"image", "keygen", "-o", in("root.pem")}).status == 0);
    std::ofstream(in("os-config.json")) << R"({"note": "not an OS configuration: the kernel will refuse it"})";
    REQUIRE(spherevp({"image", "pack", "--type", "security-monitor", "--component", "3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f101",
                      "--product", "7e1c0d4a-5b2f-4c3e-9a61-0f5d2b8c9e01", "--version", "2.1.0", "-o", in("sm.img")})
                .status == 0);
    REQUIRE(spherevp({"image", "pack", "--type", "os-kernel", "--component", "3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f102",
                      "--product", "7e1c0d4a-5b2f-4c3e-9a61-0f5d2b8c9e01", "--payload", in("os-config.json"), "-o", in("os.img")})
                .status == 0);
    for (const auto* img : {"sm.img", "os.img"}) REQUIRE(spherevp({"image", "sign", in(img), "--key", in("root.pem")}).status == 0);
    auto inspect = spherevp({"image", "inspect", in("sm.img")});
    CHECK_THAT(inspect.stdout_text, Catch::Contains("version          2.1.0"));
    CHECK_THAT(inspect.stdout_text, Catch::Contains("matches the signer key"));

    std::ofstream(in("boot.yaml")) << R"(name: cli-images
duration: 1s
product: 7e1c0d4a-5b2f-4c3e-9a61-0f5d2b8c9e01
cloud: none
keys:
  root: {file: root.pem}
images:
  sm: {file: sm.img}
  os: {file: os.img}
device:
  trusted_keys: [root]
  flash: {sm_a: [sm], os_a: [os]}
expect:
  - event: sec.boot/core.released
  - event: os.init/boot.stage
    where: {stage: panic}
)";
    auto r = spherevp({"run", in("boot.yaml")});
    INFO(r.stdout_text << r.stderr_text);
    CHECK(r.status == 0);
    fs::remove_all(dir);
}

TEST_CASE("the event log is the same on a loaded host as on an idle one") {
    const auto idle = temp("idle.jsonl"), loaded = temp("loaded.jsonl");
    REQUIRE(spherevp({"run", kScenarios + "/default.yaml", "--quiet", "--events", idle.string()}).status == 0);
    // Two CPU burners (one per core of this machine) for the length of the second run.
    std::vector<Subprocess> burners;
    for (int i = 0; i < 2; ++i)
        burners.push_back(Subprocess::start({"/bin/sh", "-c", "while :; do :; done"}, {false, ""}));
    const auto r = spherevp({"run", kScenarios + "/default.yaml", "--quiet", "--events", loaded.string()});
    for (auto& b : burners) b.kill_now();
    REQUIRE(r.status == 0);
    CHECK(read_text_file(idle) == read_text_file(loaded));
    fs::remove(idle);
    fs::remove(loaded);
}

TEST_CASE("the whole scenario catalogue passes") {
    auto args = test::catalogue_files();
    REQUIRE(args.size() >= 14);
    args.insert(args.begin(), "run");
    args.insert(args.end(), {"-j", "2"});
    auto r = spherevp(args);
    INFO(r.stdout_text << r.stderr_text);
    CHECK(r.status == 0);
    CHECK_THAT(r.stdout_text, Catch::Contains(std::to_string(args.size() - 3) + " passed, 0 failed"));
}

TEST_CASE("regression power: each boot-path scenario fails with its defence switched off") {
    auto r = spherevp({"run", "--regression-power", "--json", kScenarios + "/attacks/b2-unknown-signing-key.yaml",
                       kScenarios + "/attacks/b5-downgrade.yaml", kScenarios + "/attacks/b9-glitch-signature.yaml"});
    INFO(r.stdout_text << r.stderr_text);
    const auto j = nlohmann::json::parse(r.stdout_text);
    const auto caught = caught_by(j);
    CHECK(caught.at("boot.signer b2-unknown-signing-key"));
    CHECK(caught.at("boot.rollback b5-downgrade-to-older-signed-os"));
    CHECK(caught.at("boot.fault-hardening b9-glitch-skips-signature-check"));
    // Defences these three do not exercise are listed as not caught, so the power is below 1.
    CHECK(caught.at("debug.lock -") == false);
    CHECK(r.status == 1);
    CHECK(j["power"].get<double>() < 1.0);
}

TEST_CASE("regression power: each cloud scenario fails with its cloud defence switched off in the stub") {
    auto r = spherevp({"run", "--regression-power", "--json", kScenarios + "/cloud/c2-replayed-quote.yaml",
                       kScenarios + "/cloud/c3-development-image-attests.yaml", kScenarios + "/cloud/c4-cloned-identity.yaml",
                       kScenarios + "/cloud/c5-revoked-device.yaml"});
    INFO(r.stdout_text << r.stderr_text);
    const auto j = nlohmann::json::parse(r.stdout_text);
    std::map<std::string, bool> caught;
    for (const auto& row : j["rows"]) caught[row["defence"].get<std::string>() + " " + row["scenario"].get<std::string>()] = row["caught"];
    CHECK(caught.at("cloud.nonce-freshness c2-replayed-attestation-quote"));
    CHECK(caught.at("cloud.known-good-measurements c3-development-image-attests"));
    CHECK(caught.at("cloud.clone-detection c4-cloned-identity"));
    CHECK(caught.at("cloud.revocation c5-revoked-device-keeps-connecting"));
}

TEST_CASE("a cloud defence switched off reaches the stub, which logs it, and the revoked device is then served") {
    const auto ev = temp("cloud-defence-off.jsonl");
    auto r = spherevp({"run", kScenarios + "/cloud/c5-revoked-device.yaml", "--defence-off", "cloud.revocation", "--events", ev.string()});
    INFO(r.stdout_text << r.stderr_text);
    CHECK(r.status == 1);
    std::size_t off_in_cloud = 0, off_on_device = 0, refused = 0, revoked = 0;
    for (const auto& e : read_events(ev)) {
        if (e.is(ev::sim_defence_off) && e.field("defence") == "cloud.revocation") ++(e.dev == "cloud" ? off_in_cloud : off_on_device);
        if (e.is(ev::cloud_telemetry_refused)) ++refused;
        if (e.is(ev::cloud_admin_device_revoked)) ++revoked;
    }
    CHECK(off_in_cloud == 1);
    CHECK(off_on_device == 0);  // the layer that applies a switch logs it
    CHECK(revoked == 1);        // the operator still revoked it...
    CHECK(refused == 0);        // ...but nothing was refused
    fs::remove(ev);
}

TEST_CASE("switching a defence off makes a test variant and the event log says so") {
    const auto ev = temp("defence-off.jsonl");
    auto r = spherevp({"run", kScenarios + "/attacks/b7-tampered-os.yaml", "--defence-off", "boot.signature", "--events", ev.string()});
    INFO(r.stdout_text << r.stderr_text);
    CHECK(r.status == 1);  // the tampered OS now boots: the scenario's expectations fail
    const auto events = read_events(ev);
    REQUIRE(events.size() > 1);
    CHECK(events[1].is(ev::sim_defence_off));
    CHECK(events[1].field("defence") == "boot.signature");
    fs::remove(ev);
    r = spherevp({"run", kScenarios + "/attacks/b7-tampered-os.yaml", "--defence-off", "boot.nothing"});
    CHECK(r.status == 2);
    CHECK_THAT(r.stderr_text, Catch::Contains("no defence 'boot.nothing'"));
}

TEST_CASE("regression power: each app-attack scenario fails with its OS defence switched off") {
    std::vector<std::string> args = {"run", "--regression-power", "--json", "-j", "2"};
    for (const char* f : {"a1-forbidden-connection", "a2-peripheral-grab", "a3-wx-bypass", "a4-device-node-and-setuid-in-image",
                          "a5-security-monitor-without-capability", "a7-kernel-log-read", "a9-resource-exhaustion"})
        args.push_back(kScenarios + "/apps/" + f + ".yaml");
    auto r = spherevp(args);
    INFO(r.stdout_text << r.stderr_text);
    const auto j = nlohmann::json::parse(r.stdout_text);
    const auto caught = caught_by(j);
    CHECK(caught.at("os.capabilities a1-forbidden-connection"));
    CHECK(caught.at("os.capabilities a2-peripheral-grab"));
    CHECK(caught.at("os.wx a3-wx-bypass"));
    CHECK(caught.at("os.install-policy a4-device-node-and-setuid-in-image"));
    CHECK(caught.at("os.capabilities a5-security-monitor-without-capability"));
    CHECK(caught.at("os.capabilities a7-kernel-log-read"));
    CHECK(caught.at("os.resource-limits a9-resource-exhaustion"));
}

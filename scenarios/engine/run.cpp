#include "scenarios/engine/run.h"

#include <algorithm>
#include <chrono>
#include <fstream>

#include <fmt/format.h>
#include <systemc>

#include "common/crypto/deterministic_random.h"
#include "common/image/image_format.h"
#include "common/protocol/attestation.h"
#include "common/protocol/sim_sync.h"
#include "common/util/input_error.h"
#include "common/util/log.h"
#include "models/base/bus_master.h"
#include "models/base/event_log.h"
#include "models/base/sim_control.h"
#include "models/bus/bus_usage.h"
#include "models/security/crypto_engine.h"
#include "os-sim/kernel/os_runtime.h"
#include "os-sim/kernel/os_config.h"
#include "platform/device.h"
#include "scenarios/engine/cloud_service.h"

namespace svp::scenario {
namespace {

// Where the device believes its cloud lives; the bridge routes it to the stub's loopback port.
constexpr char kCloudDeviceIp[] = "10.0.0.2";
constexpr std::uint16_t kCloudDevicePort = 443;
constexpr char kCloudHostName[] = "as3.spherevp.test";
constexpr std::uint64_t kAppAlignment = 4096;

std::map<std::string, crypto::EcPrivateKey> make_keys(const Scenario& s) {
    std::map<std::string, crypto::EcPrivateKey> keys;
    for (const auto& k : s.keys) {
        if (!k.file.empty()) {
            keys.emplace(k.name, crypto::EcPrivateKey::from_pem(read_text_file(k.file), k.file));
        } else {
            // No file: a key of the scenario's own, derived from its seed, so runs repeat.
            Bytes seed;
            put_le64(seed, s.seed);
            keys.emplace(k.name, crypto::EcPrivateKey::from_seed(
                                     crypto::hkdf_sha256(seed, as_bytes("spherevp-scenario-keys"), as_bytes(k.name), 32)));
        }
    }
    return keys;
}

Bytes build_image(const Scenario& s, const ImageSpec& spec, const std::map<std::string, crypto::EcPrivateKey>& keys,
                  const std::optional<os::OsConfig>& os_config) {
    if (!spec.file.empty()) return read_file(spec.file);  // as made by `spherevp image`
    image::ImageHeader h;
    h.type = *image::image_type_from_string(spec.type);
    h.component_id = image::guid_from_string(spec.component);
    h.product_id = image::guid_from_string(spec.product);
    h.version = image::version_from_string(spec.version);
    h.security_counter = spec.counter;
    h.flags = spec.development ? image::flag_development : 0;
    h.load_address = spec.load_address;
    h.entry_point = spec.entry_point;
    std::string payload = spec.payload_text;
    if (!spec.elf.empty()) {
        const Bytes elf = read_file(spec.elf);
        payload.assign(elf.begin(), elf.end());
    }
    if (spec.os_config) {
        if (!os_config) throw InputError(spec.source, spec.line, "image '" + spec.name + "': os_config needs a cloud (cloud: none is set)");
        payload = os_config->to_json().dump();
    }
    Bytes body(payload.begin(), payload.end());
    if (spec.payload_size > body.size()) body.resize(spec.payload_size, 0);
    const std::string manifest = spec.manifest.is_object() ? spec.manifest.dump() : std::string{};
    return image::sign_image(image::pack_image(h, body, manifest), keys.at(spec.key));
}

// What the models counted during the run, and the variant's power figures: the inputs of the
// metrics that events alone cannot give (metrics/metrics.def). Integers, so logs repeat exactly.
Fields model_counters(const Variant& variant, Device& device, os::Kernel* kernel, const BusUsage& bus, std::uint64_t end_ns) {
    auto ns = [](const sc_core::sc_time& t) { return static_cast<std::uint64_t>(t.value() / sc_core::sc_time(1, sc_core::SC_NS).value()); };
    Fields c = Fields::object();
    c["duration_ns"] = end_ns;
    Fields cores = Fields::object();
    auto& a7 = device.app_core();
    // Each boot has a fresh kernel: its CPU count covers one boot, so after a reset the app
    // core's busy cycles are unknown and left out rather than guessed.
    cores[std::string(a7.bus().who().name)] = {{"clock_hz", a7.clock().hz()}};
    if (!kernel) cores[std::string(a7.bus().who().name)]["busy_cycles"] = 0;  // the app core never left reset
    else if (device.resets() == 0) cores[std::string(a7.bus().who().name)]["busy_cycles"] = kernel->cpu().busy_cycles();
    const auto& sec = device.security();
    const auto sec_hz = sec.config().clock_hz;
    const auto& act = sec.activity();
    cores[std::string(device.security().bus().who().name)] = {
        {"clock_hz", sec_hz},
        {"busy_cycles", static_cast<std::uint64_t>(static_cast<unsigned __int128>(ns(act.active)) * sec_hz / 1'000'000'000ull)}};
    // The real-time cores: what their firmware executed (asleep in WFI, halted or in reset is
    // not busy), and the instructions it retired.
    for (const auto& name : device.rt_cores()) {
        const auto& rt = device.rt_core(name);
        cores[name] = {{"clock_hz", rt.clock().hz()}, {"busy_cycles", rt.busy_cycles()}, {"instructions", rt.instructions()}};
    }
    c["cores"] = cores;
    // Crypto work: the engine block's own busy time where the variant has one, else the cycles
    // the security core spent on crypto in software.
    std::uint64_t crypto_busy_ns = static_cast<std::uint64_t>(static_cast<unsigned __int128>(act.crypto_cycles) * 1'000'000'000ull / sec_hz);
    for (const auto& p : variant.peripherals)
        if (p.kind == "crypto") crypto_busy_ns += ns(device.block_as<CryptoEngine>(p.name).busy_time());
    c["crypto"] = {{"busy_ns", crypto_busy_ns},
                   {"cycles", act.crypto_cycles}, {"sha256_blocks", act.sha256_blocks}, {"ecdsa_verifies", act.ecdsa_verifies},
                   {"ecdsa_signs", act.ecdsa_signs}, {"trng_words", act.trng_words}};
    Fields per = Fields::object();
    for (const auto& [who, u] : bus.by_initiator())
        per[who] = {{"transactions", u.transactions}, {"bytes", u.bytes}, {"busy_ns", ns(u.busy)}};
    c["bus"] = per;
    c["bus_stall_ns"] = ns(device.router().stats().stall_time);
    if (variant.power) {
        Fields p = Fields::object();
        p["static_mw"] = variant.power->static_mw;
        for (const auto& [name, st] : variant.power->components) {
            const bool core = std::any_of(variant.cores.begin(), variant.cores.end(), [&](const CoreSpec& c) { return c.name == name; });
            p[name] = {{"kind", core ? "core" : name == "crypto" ? "crypto" : "radio"}, {"active_mw", st.active_mw}, {"sleep_mw", st.sleep_mw}};
        }
        c["power"] = p;
    }
    return c;
}

}  // namespace

std::string events_to_jsonl(const std::vector<Event>& events) {
    std::string out;
    for (const auto& e : events) out += e.to_json_line() + "\n";
    return out;
}

RunResult run(const Scenario& s, const RunOptions& options) {
    const auto wall_start = std::chrono::steady_clock::now();
    RunResult result;
    result.name = s.name;
    result.file = s.file;
    result.tags = s.tags;

    // Rule 2: every random draw of this process comes from the scenario's seed.
    crypto::use_deterministic_openssl_rand(s.seed, "device-side");
    use_simulated_time_in_logs();

    namespace fs = std::filesystem;
    fs::path work = options.work_dir;
    if (work.empty()) {
        work = fs::temp_directory_path() / fmt::format("spherevp-{}-{}", ::getpid(), s.seed);
        fs::remove_all(work);
    }
    fs::create_directories(work);

    auto variant = load_variant(find_variant(options.variant.empty() ? s.variant : options.variant), options.variant_overrides);
    for (const auto& d : options.defences_off) {
        variant.test_variant = true;  // switching a defence off makes this a test variant
        try {
            variant.defences.switch_off(d);
        } catch (const std::invalid_argument& e) {
            throw InputError(std::string("--defence-off: ") + e.what());
        }
    }
    BusTraceFilter trace_filter;  // checked before anything starts: a bad filter is bad input
    for (const auto& f : options.trace_filters) add_bus_trace_filter(trace_filter, f);
    const auto keys = make_keys(s);
    auto sync = protocol::SimSync::create(work / "sim-sync", s.epoch_unix_s * 1'000'000'000ll);

    // ---- the cloud, its own process
    std::optional<CloudService> cloud;
    std::optional<os::OsConfig> os_config;
    if (s.cloud) {
        // The cloud's own defences are switched off in the stub, which logs them (dev "cloud").
        std::vector<std::string> cloud_defences_off;
        for (const auto& d : all_defences())
            if (d.layer == "cloud" && !variant.defences.on(d.name)) cloud_defences_off.emplace_back(d.name);
        cloud.emplace(CloudService::start(options.spherevp_binary, work, s.seed, work / "sim-sync", cloud_defences_off));
        os::OsConfig c;
        c.hostname = "dev0";
        c.cloud_host = kCloudHostName;
        c.cloud_ip = ipv4_from_string(kCloudDeviceIp);
        c.cloud_port = kCloudDevicePort;
        c.trusted_roots_pem = cloud->service_ca_pem();
        os_config = c;
    }

    // ---- images
    std::map<std::string, Bytes> images;
    for (const auto& spec : s.images) images[spec.name] = build_image(s, spec, keys, os_config);
    if (cloud)
        for (const auto& name : s.cloud_known_good) cloud->upload_image(images.at(name));

    // ---- the device
    EventLog log;
    DeviceContext context("dev0", log, s.seed);
    HostBridge bridge;
    bridge.attach_sync(&sync);
    if (cloud)
        bridge.add_route({ipv4_from_string(kCloudDeviceIp), kCloudDevicePort, "127.0.0.1", cloud->port()});
    // C7: a server at the cloud's address with a certificate the device does not trust (its
    // own PKI), started only when the scenario redirects to it; it shares the SimSync channel.
    std::optional<CloudService> spoof;
    if (std::any_of(s.timeline.begin(), s.timeline.end(), [](const Action& a) { return a.to == "spoof"; })) {
        fs::create_directories(work / "spoof");
        spoof.emplace(CloudService::start(options.spherevp_binary, work / "spoof", s.seed + 1, work / "sim-sync"));
    }
    if (options.quantum_ns) tlm::tlm_global_quantum::instance().set(sc_core::sc_time(static_cast<double>(options.quantum_ns), sc_core::SC_NS));
    Device device("dev0", variant, context, bridge);
    BusUsage bus_usage;  // per-initiator counters for sim/counters (metrics)
    bus_usage.attach(device.router());
    if (!options.vcd_file.empty()) device.trace_vcd(options.vcd_file.string());
    if (!options.trace_file.empty()) device.trace_bus(options.trace_file.string(), trace_filter);

    Provisioning p;
    {
        crypto::DeterministicRandom uds(s.seed, "dev0/uds");
        uds.fill(p.device_secret);
    }
    for (const auto& k : s.device.trusted_keys) p.root_keys.push_back(keys.at(k).public_key().key_id());
    for (const auto& k : s.device.revoked_keys)
        p.revoked_root_keys.push_back(static_cast<std::size_t>(
            std::find(s.device.trusted_keys.begin(), s.device.trusted_keys.end(), k) - s.device.trusted_keys.begin()));
    for (const auto& [name, value] : s.device.counters) p.counters[name] = value;
    p.product = image::guid_from_string(s.product);
    p.debug_locked = s.device.debug_locked;
    p.rtc_epoch_unix_s = s.epoch_unix_s;
    for (const auto& [partition, names] : s.device.flash) {
        try {
            variant.partition(partition);
        } catch (const InputError&) {
            throw InputError(s.device.source, s.device.line, fmt::format("device.flash: variant '{}' has no partition '{}'", variant.name, partition));
        }
        Bytes bytes;
        for (const auto& n : names) {
            bytes.resize((bytes.size() + kAppAlignment - 1) / kAppAlignment * kAppAlignment, 0xFF);
            const auto& img = images.at(n);
            bytes.insert(bytes.end(), img.begin(), img.end());
        }
        if (bytes.size() > variant.partition(partition).size)
            throw InputError(s.device.source, s.device.line,
                             fmt::format("device.flash: {} bytes of images do not fit partition '{}' ({} bytes)", bytes.size(),
                                         partition, variant.partition(partition).size));
        p.partitions[partition] = std::move(bytes);
    }
    device.provision(p);
    device.security().config();

    // A fresh kernel each time the app core leaves reset (a device reset reboots the OS).
    os::OsRuntime os(device.app_core(), device.os_device_tree(s.epoch_unix_s));

    // ---- expectations decide as events arrive, so the run can stop once all are decided.
    // The cloud's events arrive only at the end (from its own process), so a scenario that
    // expects cloud events runs its full duration; the verdict is taken on the merged log.
    ExpectationMonitor monitor(s.expectations);
    const bool can_stop_early = std::none_of(s.expectations.begin(), s.expectations.end(),
                                             [](const Expectation& x) { return x.src.starts_with("cloud."); });
    SimulationControl control;
    log.on_event([&](const Event& e) {
        monitor.on_event(e);
        if (can_stop_early && monitor.all_decided()) control.request_stop();
    });
    std::string console;
    device.uart(variant.peripherals.front().name).on_transmit([&console](char c) { console.push_back(c); });

    Fields started = {{"scenario", s.name}, {"variant", variant.name}, {"seed", s.seed}, {"devices", s.devices}};
    if (options.quantum_ns) started["quantum_ns"] = options.quantum_ns;
    if (!variant.overrides.empty()) {
        started["set"] = Fields::array();
        for (const auto& o : variant.overrides) started["set"].push_back(o.text());
    }
    context.emit(ev::sim_started, started);
    for (const auto& d : all_defences())  // the cloud's own are logged by the stub, when there is one
        if (!variant.defences.on(d.name) && !(d.layer == "cloud" && cloud))
            context.emit(ev::sim_defence_off, {{"defence", d.name}, {"layer", d.layer}});

    const auto rt_cores = device.rt_cores();
    for (const auto& a : s.timeline)
        if ((a.kind == "start-rt-core" || a.kind == "stop-rt-core") &&
            std::find(rt_cores.begin(), rt_cores.end(), a.core) == rt_cores.end()) {
            std::string known;
            for (const auto& c : rt_cores) known += (known.empty() ? "" : ", ") + c;
            throw InputError(s.file, a.line, fmt::format("{}: variant '{}' has no real-time core '{}' (it has: {})", a.kind,
                                                         variant.name, a.core, known.empty() ? "none" : known));
        }
    // uart-input / set-sensor / set-adc-input name what the variant has on its wires and inputs.
    for (const auto& a : s.timeline)
        try {
            if (a.kind == "uart-input") device.uart(a.peripheral);
            if (a.kind == "set-sensor") device.sht3x(a.peripheral, a.channel);
            if (a.kind == "set-adc-input") device.block_as<Adc>(a.peripheral);
        } catch (const InputError& e) {
            throw InputError(a.source, a.line, fmt::format("{}: variant '{}': {}", a.kind, variant.name, e.message()));
        }
    for (const auto& a : s.timeline)
        if (a.kind == "tamper-flash" && a.offset + a.bytes.size() > variant.partition(a.partition).size)
            throw InputError(a.source, a.line, fmt::format("tamper-flash: offset 0x{:x} + {} bytes is outside partition '{}'",
                                                         a.offset, a.bytes.size(), a.partition));
    // bus-write / bus-read act as software on a core: one bus master per initiator they name,
    // carrying that initiator's identity (id, world, privilege) into the router and firewall.
    std::map<std::string, std::unique_ptr<BusMaster>> probes;
    for (const auto& a : s.timeline) {
        if ((a.kind != "bus-write" && a.kind != "bus-read") || probes.count(a.initiator)) continue;
        BusInitiator who;
        try {
            who = device.initiator(a.initiator);
        } catch (const InputError&) {
            std::string known;
            for (const auto& n : variant.initiators()) known += (known.empty() ? "" : ", ") + n;
            throw InputError(a.source, a.line, fmt::format("{}: variant '{}' has no initiator '{}' (it has: {})", a.kind, variant.name,
                                                         a.initiator, known));
        }
        auto probe = std::make_unique<BusMaster>(("scenario_" + a.initiator).c_str(), who);
        probe->socket.bind(device.router().from_initiators);
        probes[a.initiator] = std::move(probe);
    }
    // Actions triggered by an event wait for its first occurrence, then for their delay.
    std::vector<std::unique_ptr<sc_core::sc_event>> triggers(s.timeline.size());
    std::vector<bool> triggered(s.timeline.size(), false);
    for (std::size_t i = 0; i < s.timeline.size(); ++i)
        if (!s.timeline[i].after_src.empty()) triggers[i] = std::make_unique<sc_core::sc_event>();
    log.on_event([&](const Event& e) {
        for (std::size_t i = 0; i < s.timeline.size(); ++i) {
            const auto& a = s.timeline[i];
            if (!triggers[i] || triggered[i] || e.src != a.after_src || e.ev != a.after_ev) continue;
            bool match = true;
            for (const auto& [k, v] : a.after_where) match = match && e.field(k) == v;
            if (!match) continue;
            triggered[i] = true;
            triggers[i]->notify(sc_core::sc_time(static_cast<double>(a.at_ns), sc_core::SC_NS));
        }
    });
    // Actions on the cloud stub (scenario.h, is_cloud_action): made over its API from this
    // simulation thread, at the action's simulated time, which the stub's clock then reads.
    std::string clone_nonce;
    auto act_on_cloud = [&](const Action& a) {
        sync.set_sim_ns(std::max(sync.sim_ns(), sim_now_ns()));
        const auto service_s = static_cast<std::int64_t>(sync.service_unix_ns() / 1'000'000'000);
        auto logged = [&](unsigned status, const std::string& error) {
            context.emit(ev::sim_cloud_action, {{"action", a.kind}, {"status", status}, {"error", error}});
        };
        const auto key = device.security().device_public_key();
        if (!key) return logged(0, "the device has no identity yet");
        const auto id = protocol::device_id(*key);
        cloud::CloudResponse r;
        try {
            if (a.kind == "revoke-device") {
                nlohmann::json body = nlohmann::json::object();
                if (!a.reason.empty()) body["reason"] = a.reason;
                r = cloud->request(true, "POST", "/admin/v1/devices/" + id + "/revoke", body, service_s);
            } else if (a.kind == "replay-attestation") {
                const auto& quote = device.security().last_signed_quote();
                if (!quote) return logged(0, "the device has signed no quote yet");
                r = cloud->request(false, "POST", "/v1/attestation/quote", quote->to_json(), service_s);
            } else if (a.kind == "clone-challenge") {
                r = cloud->request(false, "POST", "/v1/attestation/challenge", {{"device_id", id}}, service_s);
                if (r.status == 200) clone_nonce = r.json().value("nonce", "");
            } else if (a.kind == "clone-quote") {
                if (clone_nonce.empty()) return logged(0, "the clone holds no nonce (clone-challenge first)");
                const auto quote = device.security().clone_quote(from_hex(clone_nonce, "nonce"));
                if (!quote) return logged(0, "the device has no identity to clone");
                r = cloud->request(false, "POST", "/v1/attestation/quote", quote->to_json(), service_s);
            }
        } catch (const cloud::CloudClientError& e) {
            return logged(0, e.what());
        }
        logged(r.status, r.ok() ? "" : r.error());
    };
    auto perform = [&](const Action& a) {
            if (is_cloud_action(a.kind)) act_on_cloud(a);
            else if (a.kind == "tamper-flash") device.flash().tamper(variant.partition(a.partition).offset + a.offset, a.bytes);
            else if (a.kind == "glitch") device.security().faults().arm(a.point, a.nth);
            else if (a.kind == "attach-debugger") device.security().attach_debugger(a.core);
            else if (a.kind == "debug-read-secret") device.security().debugger_read_device_secret();
            else if (a.kind == "reset") device.request_reset("scenario: reset");
            else if (a.kind == "link") {
                LinkConditions c;
                c.extra_delay_ns = a.delay_ns;
                c.loss = a.loss;
                c.down = a.down;
                if (a.corrupt == "uplink") c.corrupt_uplink_nth = a.nth;
                if (a.corrupt == "downlink") c.corrupt_downlink_nth = a.nth;
                for (const auto& p : variant.peripherals)
                    if (p.kind == "nic") device.nic(p.name).set_link_conditions(c);
                context.emit(ev::net_conditions, {{"delay_ns", a.delay_ns}, {"loss", a.loss}, {"down", a.down},
                                                  {"corrupt", a.corrupt.empty() ? "none" : a.corrupt + " #" + std::to_string(a.nth)}});
            } else if (a.kind == "redirect-cloud") {
                const auto port = a.to == "spoof" ? spoof->port() : cloud->port();
                bridge.add_route({ipv4_from_string(kCloudDeviceIp), kCloudDevicePort, "127.0.0.1", port});
                context.emit(ev::net_redirected, {{"to", a.to}});
            }
            else if (a.kind == "power-cut") device.request_reset("scenario: power cut");
            else if (a.kind == "bus-write" || a.kind == "bus-read") {
                auto& bus = *probes.at(a.initiator);
                sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
                std::uint32_t value = a.kind == "bus-write" ? a.value : 0;
                const auto status = a.kind == "bus-write" ? bus.write(a.address, &value, a.width, delay)
                                                          : bus.read(a.address, &value, a.width, delay);
                sc_core::wait(delay);
                const char* text = status == tlm::TLM_OK_RESPONSE              ? "ok"
                                   : status == tlm::TLM_ADDRESS_ERROR_RESPONSE ? "address-error"
                                                                               : "error";
                context.emit(ev::sim_bus_access, {{"initiator", a.initiator}, {"op", a.kind == "bus-write" ? "write" : "read"},
                                                  {"address", fmt::format("0x{:08x}", a.address)},
                                                  {"value", fmt::format("0x{:0{}x}", value, 2 * a.width)}, {"status", text}});
            }
            else if (a.kind == "uart-input") {
                device.uart(a.peripheral).receive(a.text);
                context.emit(ev::sim_uart_input, {{"uart", a.peripheral}, {"bytes", a.text.size()}});
            } else if (a.kind == "start-rt-core") {
                // A core without firmware stays in reset; the log says why.
                if (device.rt_core(a.core).image()) device.start_rt_core(a.core, "scenario: start-rt-core");
                else context.emit(ev::os_rt_app_rejected, {{"app", ""}, {"core", a.core}, {"reason", "no firmware loaded"}});
            } else if (a.kind == "stop-rt-core") device.stop_rt_core(a.core, "scenario: stop-rt-core");
            else if (a.kind == "set-sensor") {
                auto& sensor = device.sht3x(a.peripheral, a.channel);
                Fields f = {{"peripheral", a.peripheral}, {"address", fmt::format("0x{:02x}", a.channel)}};
                if (a.temperature_c) {
                    sensor.set_temperature(*a.temperature_c);
                    f["temperature_c"] = *a.temperature_c;
                }
                if (a.humidity) {
                    sensor.set_humidity(*a.humidity);
                    f["humidity"] = *a.humidity;
                }
                context.emit(ev::sim_environment_set, f);
            } else if (a.kind == "set-adc-input") {
                device.block_as<Adc>(a.peripheral).set_input_mv(a.channel, *a.mv);
                context.emit(ev::sim_environment_set, {{"peripheral", a.peripheral}, {"channel", a.channel}, {"mv", *a.mv}});
            }
    };
    sc_core::sc_spawn([&] {
        for (const auto& a : s.timeline) {
            if (!a.after_src.empty()) continue;
            const auto now = sim_now_ns();
            if (a.at_ns > now) sc_core::wait(sc_core::sc_time(static_cast<double>(a.at_ns - now), sc_core::SC_NS));
            perform(a);
        }
    }, "timeline");
    for (std::size_t i = 0; i < s.timeline.size(); ++i)
        if (triggers[i])
            sc_core::sc_spawn([&, i] {
                sc_core::wait(*triggers[i]);
                perform(s.timeline[i]);
            }, fmt::format("triggered_action_{}", i).c_str());
    sc_core::sc_spawn([&] {
        for (;;) {
            const auto now = sim_now_ns();
            const auto next = monitor.next_deadline(now);
            if (next == 0 || next >= s.duration_ns) return;
            sc_core::wait(sc_core::sc_time(static_cast<double>(next - now), sc_core::SC_NS));
            monitor.advance(sim_now_ns());
            if (can_stop_early && monitor.all_decided()) control.request_stop();
        }
    }, "deadlines");

    const auto stopped = control.run_until(sc_core::sc_time(static_cast<double>(s.duration_ns), sc_core::SC_NS));
    const std::uint64_t end = std::min<std::uint64_t>(
        static_cast<std::uint64_t>(stopped.value() / sc_core::sc_time(1, sc_core::SC_NS).value()), s.duration_ns);
    const bool stopped_early = can_stop_early && monitor.all_decided();
    context.emit(ev::sim_counters, model_counters(variant, device, os.kernel(), bus_usage, end));
    context.emit(ev::sim_finished, {{"reason", stopped_early ? "all expectations decided" : "duration reached"}});

    // ---- merge the cloud's events (timestamped in simulated time through the sync file);
    // at equal times the device's events come first, each side keeping its own order.
    std::vector<Event> merged = log.events();
    if (cloud) {
        auto cloud_events = cloud->stop_and_collect_events();
        if (spoof)
            for (auto& e : spoof->stop_and_collect_events()) {
                e.dev = "spoof";
                cloud_events.push_back(std::move(e));
            }
        merged.insert(merged.end(), cloud_events.begin(), cloud_events.end());
        std::stable_sort(merged.begin(), merged.end(), [](const Event& a, const Event& b) { return a.t_ns < b.t_ns; });
    }
    ExpectationMonitor verdict(s.expectations);
    for (const auto& e : merged)
        if (e.t_ns <= end) verdict.on_event(e);
    verdict.finish(end);

    result.events = std::move(merged);
    result.expectations = verdict.results();
    result.passed = verdict.all_passed();
    // State checks, on the device as the run left it.
    for (const auto& x : s.expectations) {
        if (x.kind != Expectation::Kind::state) continue;
        ExpectationResult r{&x, true, {}, end};
        auto fail = [&](std::string why) {
            r.passed = false;
            r.detail = std::move(why);
        };
        if (x.state == "fuse-counter") {
            const auto have = device.security().fuses().counter(x.params.at("counter"));
            r.detail = fmt::format("fuse counter {} is {}", x.params.at("counter"), have);
            if (std::to_string(have) != x.params.at("equals")) fail(r.detail + ", expected " + x.params.at("equals"));
        } else if (x.state == "boot-slot") {
            const auto& chain = variant.boot_chain;
            std::size_t i = 0;
            while (i < chain.size() && chain[i].stage != x.params.at("stage")) ++i;
            const auto& bs = device.security().boot_state();
            if (i == chain.size()) {
                fail("no boot stage named " + x.params.at("stage"));
            } else if (!bs) {
                fail("the device has no boot-state journal");
            } else {
                const auto confirmed = chain[i].slots[bs->stages[i].confirmed];
                r.detail = "confirmed " + confirmed + ", booted " + device.security().booted_slot(i);
                if (x.params.count("confirmed") && x.params.at("confirmed") != confirmed)
                    fail(r.detail + "; expected confirmed " + x.params.at("confirmed"));
                if (x.params.count("booted") && x.params.at("booted") != device.security().booted_slot(i))
                    fail(r.detail + "; expected booted " + x.params.at("booted"));
            }
        } else if (x.state == "partition-erased") {
            const auto& part = variant.partition(x.params.at("partition"));
            const auto bytes = device.flash().dump(part.offset, part.size);
            const bool erased = std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0xFF; });
            r.detail = x.params.at("partition") + (erased ? " is erased" : " holds data");
            if (!erased) fail(r.detail);
        }
        result.passed = result.passed && *r.passed;
        result.expectations.push_back(r);
    }
    result.sim_end_ns = end;
    result.console = console;
    if (!options.events_file.empty()) {
        std::ofstream out(options.events_file, std::ios::trunc);
        if (!out) throw std::runtime_error(options.events_file.string() + ": cannot write the event log");
        out << events_to_jsonl(result.events);
    }
    if (!options.keep_work_dir && options.work_dir.empty()) fs::remove_all(work);
    result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    return result;
}

}  // namespace svp::scenario

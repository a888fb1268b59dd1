// A provisioned mt3620 device running the real os-sim kernel on the platform's real hardware
// (GPIO blocks, the A7 watchdog, the A7<->RT mailboxes, the firewall): a signed boot chain whose
// OS image carries the OS configuration, and app images with manifests in the apps partition.
// The one test double is the real-time core's end of the A7<->RT0 channel: the platform runs no
// firmware on the RT cores yet (no ISS is instantiated by the Device), so a small module stands
// in for the RT half of Azure Sphere's IntercoreComms sample. It talks to the real mailbox and
// the shared RAM as bus initiator rt0, so the firewall applies to it. Tests register their own
// apps by entry point and read the event log.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/crypto/x509.h"
#include "models/base/bus_master.h"
#include "models/periph/mailbox.h"
#include "os-sim/apps/app.h"
#include "os-sim/drivers/intercore_driver.h"
#include "os-sim/kernel/os_runtime.h"
#include "platform/device.h"
#include "tests/support/sim.h"

namespace svp::test {

inline const char* kOsProduct = "7e1c0d4a-5b2f-4c3e-9a61-0f5d2b8c9e01";
inline const char* kCloudHost = "as3.spherevp.test";
inline const char* kCloudIp = "10.0.0.2";

// The real-time core's end of the A7<->RT0 mailbox (a test double: no RT firmware runs yet):
// takes the buffer addresses from the setup commands, then answers each message from the app
// core with "pong: <message>". `side` is the RT core's side of the real mailbox, `irq` its line.
// It does not model an RT-core reset: it serves one boot of the app core.
class RtEchoDouble : public sc_core::sc_module {
public:
    RtEchoDouble(sc_core::sc_module_name name, BusInitiator who, std::uint64_t side, IrqLine& irq)
        : sc_module(name), bus("bus", who), side_(side), irq_(irq) {
        sc_core::sc_spawn([this] { run(); }, "echo");
    }
    BusMaster bus;
    std::uint64_t outbound = 0, inbound = 0;  // as the A7 named them
    int messages = 0;

private:
    std::uint32_t rd(std::uint64_t a) {
        std::uint32_t v = 0;
        sc_core::sc_time d;
        bus.read(a, &v, 4, d);
        return v;
    }
    void wr(std::uint64_t a, std::uint32_t v) {
        sc_core::sc_time d;
        bus.write(a, &v, 4, d);
    }
    void copy_in(std::uint64_t ring, std::uint32_t pos, std::uint8_t* out, std::uint32_t n) {
        for (std::uint32_t i = 0; i < n; ++i) {
            sc_core::sc_time d;
            bus.read(ring + os::IntercoreDriver::kRingOffset + (pos + i) % os::IntercoreDriver::kRingBytes, out + i, 1, d);
        }
    }
    void copy_out(std::uint64_t ring, std::uint32_t pos, const std::uint8_t* in, std::uint32_t n) {
        for (std::uint32_t i = 0; i < n; ++i) {
            sc_core::sc_time d;
            bus.write(ring + os::IntercoreDriver::kRingOffset + (pos + i) % os::IntercoreDriver::kRingBytes,
                      const_cast<std::uint8_t*>(in + i), 1, d);
        }
    }
    void run() {
        const std::uint64_t side = side_;
        wr(side + MailboxSide::INT_EN, MailboxSide::INT_RX);
        wr(side + MailboxSide::SW_RX_INT_EN, os::IntercoreDriver::kDoorbellToRt);
        for (;;) {
            while (rd(side + MailboxSide::FIFO_POP_CNT) > 0) {
                const auto data = rd(side + MailboxSide::DATA_POP);
                const auto cmd = rd(side + MailboxSide::CMD_POP);
                if (cmd == os::IntercoreDriver::kSetupOutbound) outbound = data;
                if (cmd == os::IntercoreDriver::kSetupInbound) inbound = data;
            }
            wr(side + MailboxSide::INT_STS, MailboxSide::INT_RX);
            if (outbound && inbound && (rd(side + MailboxSide::SW_RX_INT_STS) & os::IntercoreDriver::kDoorbellToRt)) {
                wr(side + MailboxSide::SW_RX_INT_STS, os::IntercoreDriver::kDoorbellToRt);
                for (;;) {
                    const auto w = rd(outbound), r = rd(outbound + 4);
                    if (w == r) break;
                    std::uint8_t header[os::IntercoreDriver::kMessageHeader];
                    copy_in(outbound, r, header, sizeof header);
                    std::uint32_t length = 0;
                    std::memcpy(&length, header, 4);
                    std::vector<std::uint8_t> payload(length);
                    copy_in(outbound, r + sizeof header, payload.data(), length);
                    wr(outbound + 4, r + ((os::IntercoreDriver::kMessageHeader + length + 15) & ~15u));
                    ++messages;
                    std::string reply = "pong: " + std::string(payload.begin(), payload.end());
                    std::vector<std::uint8_t> msg((os::IntercoreDriver::kMessageHeader + reply.size() + 15) & ~std::size_t{15}, 0);
                    const auto rl = static_cast<std::uint32_t>(reply.size());
                    std::memcpy(msg.data(), &rl, 4);
                    std::memcpy(msg.data() + 8, header + 8, 16);  // to the app that wrote
                    std::memcpy(msg.data() + os::IntercoreDriver::kMessageHeader, reply.data(), reply.size());
                    const auto iw = rd(inbound);
                    copy_out(inbound, iw, msg.data(), static_cast<std::uint32_t>(msg.size()));
                    wr(inbound, iw + static_cast<std::uint32_t>(msg.size()));
                    wr(side + MailboxSide::SW_TX_INT_PORT, os::IntercoreDriver::kDoorbellFromRt);
                }
            }
            sc_core::wait(sc_core::SC_ZERO_TIME);  // our acknowledgements reach the line
            if (!irq_.level()) sc_core::wait(irq_.rising());
        }
    }
    std::uint64_t side_;
    IrqLine& irq_;
};

struct AppSpec {
    nlohmann::json manifest;
    std::string payload;  // the app image's payload (its file table), "" for none
    std::string version = "1.0.0";
    const crypto::EcPrivateKey* key = nullptr;  // another signer (default: the rig's root)
};

inline nlohmann::json manifest(const std::string& name, const std::string& entry_point, nlohmann::json caps = nlohmann::json::object(),
                               std::vector<std::string> args = {}) {
    // A ComponentId from the name, so each test app has its own.
    const auto d = crypto::sha256(name);
    const auto hex = to_hex(ByteView(d));
    const auto guid = fmt::format("{}-{}-4{}-8{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(13, 3), hex.substr(17, 3),
                                  hex.substr(20, 12));
    if (caps.is_null()) caps = nlohmann::json::object();
    nlohmann::json m = {{"SchemaVersion", 1}, {"Name", name}, {"ComponentId", guid}, {"EntryPoint", entry_point},
                        {"Capabilities", caps}, {"ApplicationType", "Default"}};
    if (!args.empty()) m["CmdArgs"] = args;
    return m;
}

inline sc_core::sc_time ms(double v) { return sc_core::sc_time(v, sc_core::SC_MS); }
inline sc_core::sc_time s(double v) { return sc_core::sc_time(v, sc_core::SC_SEC); }
// A test app's body once its work is done: apps never exit (an exit is a crash to restart).
inline int idle(os::AppContext& c) {
    for (;;) c.sleep(s(3600));
}

// Registers a test app: `f` runs as the app's main.
inline void register_app(const std::string& entry_point, std::function<int(os::AppContext&)> f) {
    os::AppRegistry::instance().add({entry_point, "test app", [f] { return std::make_unique<os::FunctionApp>(f); }});
}

struct OsRigOptions {
    nlohmann::json os_config = nlohmann::json::object();  // fields added to the generated OS config
    std::vector<AppSpec> apps;
    std::string cloud_roots_pem;  // trust these roots (default: a throwaway CA nobody serves)
    std::uint16_t cloud_port = 0; // route the cloud address to this loopback port
    std::string os_version = "1.0.0";
    std::uint32_t os_counter = 1;
};

class OsRig {
public:
    explicit OsRig(OsRigOptions o = {}) : options_(std::move(o)) {
        if (options_.cloud_port) bridge.add_route({ipv4_from_string(kCloudIp), 443, "127.0.0.1", options_.cloud_port});
        Provisioning p;
        p.device_secret[3] = 0x5A;
        p.root_keys = {root.public_key().key_id()};
        p.product = image::guid_from_string(kOsProduct);
        p.counters = {{"os-kernel", options_.os_counter}, {"security-monitor", 1}};
        p.partitions["sm_a"] = image(image::ImageType::security_monitor, "3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f101", "1.0.0", 1,
                                     "security monitor");
        p.partitions["os_a"] = os_image(options_.os_version, options_.os_counter, os_config_json());
        Bytes apps;
        for (const auto& a : options_.apps) {
            apps.resize((apps.size() + 4095) / 4096 * 4096, 0xFF);
            const auto img = app_image(a);
            apps.insert(apps.end(), img.begin(), img.end());
        }
        if (!apps.empty()) p.partitions["apps"] = apps;
        device.provision(p);

        rt.bus.socket.bind(device.router().from_initiators);
        sec_probe.socket.bind(device.router().from_initiators);
        auto tree = device.os_device_tree(kEpoch);
        os = std::make_unique<os::OsRuntime>(device.app_core(), tree);
        device.uart("uart_a7").on_transmit([this](char c) { console.push_back(c); });
    }

    static constexpr std::int64_t kEpoch = 1767225600;  // 2026-01-01T00:00:00Z

    nlohmann::json os_config_json() const {
        os::OsConfig c;
        c.hostname = "dev0";
        c.cloud_host = kCloudHost;
        c.cloud_ip = ipv4_from_string(kCloudIp);
        c.cloud_port = 443;
        c.trusted_roots_pem = options_.cloud_roots_pem.empty() ? throwaway_root() : options_.cloud_roots_pem;
        auto j = c.to_json();
        for (auto& [k, v] : options_.os_config.items()) j[k] = v;
        return j;
    }

    Bytes image(image::ImageType type, const std::string& component, const std::string& version, std::uint32_t counter,
                const std::string& payload, const std::string& protected_json = "", const crypto::EcPrivateKey* key = nullptr) const {
        image::ImageHeader h;
        h.type = type;
        h.component_id = image::guid_from_string(component);
        h.product_id = image::guid_from_string(kOsProduct);
        h.version = image::version_from_string(version);
        h.security_counter = counter;
        h.load_address = type == image::ImageType::os_kernel ? 0x80000000 : 0;
        h.entry_point = h.load_address;
        return image::sign_image(image::pack_image(h, as_bytes(payload), protected_json), key ? *key : root);
    }
    Bytes os_image(const std::string& version, std::uint32_t counter, const nlohmann::json& config) const {
        return image(image::ImageType::os_kernel, "3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f102", version, counter, config.dump());
    }
    Bytes app_image(const AppSpec& a) const {
        return image(image::ImageType::application, a.manifest.value("ComponentId", std::string("3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f1ff")),
                     a.version, 0, a.payload, a.manifest.dump(), a.key);
    }

    os::Kernel& kernel() { return *os->kernel(); }

    std::size_t count(const EventType& type, const std::map<std::string, std::string>& where = {}) const {
        std::size_t n = 0;
        for (const auto& e : ctx.log.events()) n += matches(e, type, where);
        return n;
    }
    const Event* first(const EventType& type, const std::map<std::string, std::string>& where = {}) const {
        for (const auto& e : ctx.log.events())
            if (matches(e, type, where)) return &e;
        return nullptr;
    }
    std::vector<const Event*> all(const EventType& type, const std::map<std::string, std::string>& where = {}) const {
        std::vector<const Event*> out;
        for (const auto& e : ctx.log.events())
            if (matches(e, type, where)) out.push_back(&e);
        return out;
    }
    std::string console;  // everything the console UART sent

    // Runs `body` as a system process (every kernel capability) at simulated time `at`.
    void at(sc_core::sc_time when, std::function<void(os::Kernel&, os::Process&)> body) {
        sc_core::sc_spawn([this, when, body] {
            sc_core::wait(when - sc_core::sc_time_stamp());
            os::SpawnRequest r;
            r.name = "test";
            r.caps = os::cap_all;
            r.priority = os::kInitPriority;
            r.body = [this, body](os::Process& p) {
                body(kernel(), p);
                return 0;
            };
            kernel().spawn(std::move(r));
        });
    }

    SimContext ctx;
    HostBridge bridge;
    Device device{"dev0", load_variant(find_variant("mt3620")), ctx.device, bridge};
    crypto::EcPrivateKey root = crypto::EcPrivateKey::from_seed(Bytes(32, 0x11));
    RtEchoDouble rt{"rt0_double", device.initiator("rt0"), device.variant().peripheral("mbox_rt0").windows.at(1).base,
                    device.irq(device.variant().peripheral("mbox_rt0").windows.at(1).irq)};
    BusMaster sec_probe{"sec_probe", device.initiator("sec")};  // the security core's bus identity, for tests
    // Who the firewall lets into region `name` now ("a7", "a7,rt0", ...).
    std::string firewall_owners(const std::string& region) {
        for (const auto& r : device.router().regions())
            if (r.name == region && r.guard >= 0) {
                const auto owners = device.firewall()->rule(static_cast<std::size_t>(r.guard)).owners;
                const auto names = device.variant().initiators();
                std::string out;
                for (std::size_t i = 0; i < names.size(); ++i)
                    if ((owners >> i) & 1) out += (out.empty() ? "" : ",") + names[i];
                return out;
            }
        throw std::invalid_argument("no firewalled region " + region);
    }
    // As the factory or an earlier owner might have left it: region `name` also open to `extra`
    // (written by the security core through the firewall's registers, before the OS boots).
    void share_region_at_reset(const std::string& region, const std::string& extra) {
        for (const auto& r : device.router().regions())
            if (r.name == region && r.guard >= 0) {
                auto& fw = *device.firewall();
                const std::uint32_t owners = fw.rule(static_cast<std::size_t>(r.guard)).owners | 1u << device.initiator(extra).id;
                std::uint64_t base = 0;
                for (const auto& p : device.variant().peripherals)
                    if (p.kind == "firewall") base = p.windows.front().base;
                sc_core::sc_time d;
                if (sec_probe.write(base + Firewall::slot_owners(static_cast<std::size_t>(r.guard)), &owners, 4, d) != tlm::TLM_OK_RESPONSE)
                    throw std::runtime_error("the firewall refused the security core");
                return;
            }
        throw std::invalid_argument("no firewalled region " + region);
    }
    // A register of a real block by name ("wdt_a7", "WDT_MODE"), as the model holds it.
    std::uint32_t reg(const std::string& block, const std::string& name) { return device.block(block).registers()[name].value(); }
    std::unique_ptr<os::OsRuntime> os;

private:
    static bool matches(const Event& e, const EventType& type, const std::map<std::string, std::string>& where) {
        if (!e.is(type)) return false;
        for (const auto& [k, v] : where)
            if (e.field(k) != v) return false;
        return true;
    }
    static std::string throwaway_root() {
        const auto key = crypto::EcPrivateKey::from_seed(Bytes(32, 0x22));
        crypto::CertificateRequest r;
        r.common_name = "nobody's CA";
        r.role = crypto::CertificateRole::authority;
        r.serial = {1};
        r.not_before = kEpoch - 86400;
        r.not_after = kEpoch + 10 * 365 * 86400ll;
        return crypto::issue_certificate(r, key.public_key(), key, nullptr).pem();
    }
    OsRigOptions options_;
};

}  // namespace svp::test

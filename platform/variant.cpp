#include "platform/variant.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "platform/yaml_reader.h"

#ifndef SVP_VARIANTS_DIR
#define SVP_VARIANTS_DIR "platform/variants"
#endif
#ifndef SVP_FIRMWARE_DIR
#define SVP_FIRMWARE_DIR "firmware"
#endif

namespace svp {
namespace {

using yaml::Map;

const std::set<std::string> kCoreKinds = {"app-core", "cortex-m4f", "security-core"};
const std::set<std::string> kMemoryKinds = {"ram", "rom", "nor-flash"};
const std::set<std::string> kPeripheralKinds = {"uart", "mailbox", "nic", "firewall", "otp", "flash-controller",
                                                "gpio", "gpt", "wdt", "rtc", "trng", "gic", "crypto", "cm4-rgu",
                                                "i2c-master", "spi-master", "adc", "pwm"};

std::string join(const std::set<std::string>& s) {
    std::string out;
    for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
    return out;
}

void check_clock(const Map& m, const std::string& key, double mhz) {
    if (!(mhz > 0 && mhz <= 10'000)) m.fail(key, fmt::format("{} MHz is not a plausible clock (0 < f <= 10000)", mhz));
}

std::optional<FirewallRuleSpec> read_firewall_rule(const Map& m, const std::string& region,
                                                   const std::vector<std::string>& initiators) {
    auto node = m.optional("firewall");
    if (!node) return std::nullopt;
    Map f(*node, m.file(), "firewall rule of '" + region + "'");
    f.only({"owners", "secure_only", "privileged_only", "mode"});
    FirewallRuleSpec r;
    f.node("owners");  // required, even when empty ([] = nobody)
    r.owners = f.strings("owners");
    for (const auto& o : r.owners)
        if (std::find(initiators.begin(), initiators.end(), o) == initiators.end())
            f.fail("owners", fmt::format("'{}' is not an initiator (initiators: {})", o, fmt::join(initiators, ", ")));
    r.secure_only = f.boolean("secure_only", false);
    r.privileged_only = f.boolean("privileged_only", false);
    const auto mode = f.str("mode", "error");
    if (mode != "error" && mode != "raz-wi") f.fail("mode", "expected error (a bus error) or raz-wi (read-as-zero/write-ignored)");
    r.raz_wi = mode == "raz-wi";
    r.line = f.line();
    return r;
}

WindowSpec read_window(const Map& m, std::uint64_t default_size) {
    WindowSpec w;
    w.base = m.u64("base");
    w.size = m.size("size", default_size);
    w.visible_to = m.strings("visible_to");
    w.irq = m.str("irq", "");
    w.line = m.line();
    return w;
}

// "0-3", 7, "24-25": a pin list in bit order.
std::vector<unsigned> read_pins(const Map& m, const std::string& key) {
    std::vector<unsigned> pins;
    auto node = m.node(key);
    std::vector<YAML::Node> items;
    if (node.IsSequence())
        for (const auto& n : node) items.push_back(n);
    else
        items.push_back(node);
    for (const auto& n : items) {
        if (!n.IsScalar()) throw InputError(m.file(), yaml::line_of(n), key + ": expected pin numbers or ranges like 24-25");
        const auto text = n.as<std::string>();
        const auto dash = text.find('-');
        try {
            std::size_t used = 0;
            const unsigned first = static_cast<unsigned>(std::stoul(text.substr(0, dash), &used));
            unsigned last = first;
            if (dash != std::string::npos) last = static_cast<unsigned>(std::stoul(text.substr(dash + 1)));
            if (last < first || last > 1023) throw std::out_of_range("range");
            for (unsigned p = first; p <= last; ++p) pins.push_back(p);
        } catch (const std::exception&) {
            throw InputError(m.file(), yaml::line_of(n), fmt::format("{}: '{}' is not a pin number or a range like 24-25", key, text));
        }
    }
    if (pins.empty() || pins.size() > 32) m.fail(key, fmt::format("a GPIO block has 1 to 32 pins, not {}", pins.size()));
    return pins;
}

// Wait states: a number (read and write alike) or {read: N, write: M}.
void read_wait_states(const Map& m, unsigned& read, unsigned& write) {
    auto node = m.optional("wait_states");
    if (!node) return;
    if (node->IsScalar()) {
        read = write = static_cast<unsigned>(m.u64("wait_states"));
    } else {
        Map w(*node, m.file(), "wait_states");
        w.only({"read", "write"});
        read = static_cast<unsigned>(w.u64("read", 0));
        write = static_cast<unsigned>(w.u64("write", 0));
    }
    if (read > 10'000 || write > 10'000) m.fail("wait_states", "more than 10000 wait states is not a plausible memory");
}

// A real-time core's own keys: its clock after reset, its NVIC and its default firmware.
void read_rt_core(const Map& m, CoreSpec& c) {
    c.reset_clock_mhz = m.number("reset_clock_mhz", c.clock_mhz);
    check_clock(m, "reset_clock_mhz", c.reset_clock_mhz);
    if (auto node = m.optional("nvic")) {
        Map n(*node, m.file(), "core '" + c.name + "' nvic");
        n.only({"irqs", "priority_bits", "wiring"});
        c.nvic_irqs = static_cast<unsigned>(n.u64("irqs", 32));
        if (c.nvic_irqs < 1 || c.nvic_irqs > 240) n.fail("irqs", "an ARMv7-M NVIC has 1 to 240 external interrupts");
        c.nvic_priority_bits = static_cast<unsigned>(n.u64("priority_bits", 8));
        if (c.nvic_priority_bits < 3 || c.nvic_priority_bits > 8) n.fail("priority_bits", "ARMv7-M implements 3 to 8 priority bits");
        if (auto wiring = n.optional("wiring")) {
            Map w(*wiring, m.file(), "core '" + c.name + "' nvic wiring");
            std::map<unsigned, std::string> by_input;
            for (const auto& kv : w.raw()) {
                NvicWiringSpec spec;
                spec.irq = kv.first.as<std::string>();
                spec.line = yaml::line_of(kv.first);
                spec.input = static_cast<unsigned>(yaml::parse_u64(kv.second, m.file(), "nvic wiring: " + spec.irq));
                if (spec.input >= c.nvic_irqs)
                    throw InputError(m.file(), spec.line, fmt::format("core '{}' nvic wiring: {}: input {} is past the NVIC's {} interrupts (0..{})",
                                                                      c.name, spec.irq, spec.input, c.nvic_irqs, c.nvic_irqs - 1));
                if (auto [it, fresh] = by_input.emplace(spec.input, spec.irq); !fresh)
                    throw InputError(m.file(), spec.line, fmt::format("core '{}' nvic wiring: {} and {} are both wired to input {}",
                                                                      c.name, it->second, spec.irq, spec.input));
                c.nvic_wiring.push_back(spec);
            }
        }
    }
    if (m.has("firmware")) {
        c.firmware = resolve_firmware_path(m.str("firmware"), std::filesystem::path(m.file()).parent_path()).string();
        c.firmware_line = yaml::line_of(m.node("firmware"));
    }
}

}  // namespace

void assign_peripheral(Variant& v, const std::string& peripheral, const std::string& core) {
    auto c = std::find_if(v.cores.begin(), v.cores.end(), [&](auto& x) { return x.name == core; });
    if (c == v.cores.end() || c->kind != "cortex-m4f")
        throw InputError(fmt::format("'{}' is not a real-time core of variant '{}'", core, v.name));
    auto p = std::find_if(v.peripherals.begin(), v.peripherals.end(), [&](auto& x) { return x.name == peripheral; });
    if (p == v.peripherals.end()) {
        std::string known;
        for (const auto& q : v.peripherals)
            if (q.windows.size() == 1 && q.windows.front().firewall) known += (known.empty() ? "" : ", ") + q.name;
        throw InputError(fmt::format("variant '{}' has no peripheral '{}' (assignable: {})", v.name, peripheral, known));
    }
    if (p->windows.size() != 1 || !p->windows.front().firewall)
        throw InputError(fmt::format("peripheral '{}' has no firewall rule of its own: it cannot be assigned to a core", peripheral));
    auto& rule = *p->windows.front().firewall;
    rule.owners = {core};
}

std::filesystem::path firmware_dir() {
    if (const char* env = std::getenv("SPHEREVP_FIRMWARE_DIR"); env && *env) return env;
    return SVP_FIRMWARE_DIR;
}

std::filesystem::path resolve_firmware_path(const std::string& text, const std::filesystem::path& relative_to) {
    static const std::string kVar = "${firmware}";
    if (text.starts_with(kVar)) {
        std::string rest = text.substr(kVar.size());
        while (!rest.empty() && rest.front() == '/') rest.erase(rest.begin());
        return firmware_dir() / rest;
    }
    std::filesystem::path p(text);
    if (p.is_relative() && !relative_to.empty()) p = relative_to / p;
    return p;
}

const PeripheralSpec& Variant::peripheral(const std::string& n) const {
    for (auto& p : peripherals)
        if (p.name == n) return p;
    throw InputError(file, 0, "no peripheral named '" + n + "'");
}

std::vector<double> Variant::initiator_clocks_mhz() const {
    std::vector<double> out;
    double app = 0;
    for (auto& c : cores) {
        out.push_back(c.clock_mhz);
        if (c.kind == "app-core") app = c.clock_mhz;
    }
    for (std::size_t i = 0; i < dma_initiators.size(); ++i) out.push_back(bus.clock_mhz > 0 ? bus.clock_mhz : app);
    return out;
}

const CoreSpec& Variant::core(const std::string& n) const {
    for (auto& c : cores)
        if (c.name == n) return c;
    throw InputError(file, 0, "no core named '" + n + "'");
}

const MemorySpec& Variant::memory(const std::string& n) const {
    for (auto& m : memories)
        if (m.name == n) return m;
    throw InputError(file, 0, "no memory named '" + n + "'");
}

const MemorySpec& Variant::flash() const {
    for (auto& m : memories)
        if (m.kind == "nor-flash") return m;
    throw InputError(file, 0, "the variant has no nor-flash memory");
}

const PartitionSpec& Variant::partition(const std::string& n) const {
    for (auto& p : flash_layout)
        if (p.name == n) return p;
    throw InputError(file, 0, "no flash partition named '" + n + "'");
}

std::uint64_t Variant::os_cost(const std::string& n) const {
    auto it = os_costs.find(n);
    if (it == os_costs.end()) throw InputError(file, 0, "os.costs: no cost named '" + n + "'");
    return it->second;
}

std::vector<std::string> Variant::initiators() const {
    std::vector<std::string> out;
    for (auto& c : cores) out.push_back(c.name);
    out.insert(out.end(), dma_initiators.begin(), dma_initiators.end());
    return out;
}

VariantOverride parse_variant_override(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
        throw InputError(fmt::format("--set '{}': expected KEY=VALUE, like cores.a7.clock_mhz=800", text));
    return {text.substr(0, eq), text.substr(eq + 1)};
}

namespace {

// Replaces one scalar of the parsed file; every step of the path must exist.
void apply_override(YAML::Node root, const VariantOverride& o, const std::string& file) {
    std::vector<std::string> parts;
    for (std::size_t at = 0;;) {
        const auto dot = o.key.find('.', at);
        parts.push_back(o.key.substr(at, dot - at));
        if (dot == std::string::npos) break;
        at = dot + 1;
    }
    YAML::Node here;
    here.reset(root);
    std::string walked = "the top level";
    for (const auto& part : parts) {
        std::vector<std::string> have;
        YAML::Node next;
        bool found = false;
        if (here.IsMap()) {
            for (const auto& kv : here) {
                const auto k = kv.first.as<std::string>();
                have.push_back(k);
                if (k == part) {
                    next.reset(kv.second);
                    found = true;
                }
            }
        } else if (here.IsSequence()) {
            for (const auto& element : here) {
                if (!element.IsMap()) continue;
                for (const char* id : {"name", "stage"})
                    if (element[id] && element[id].IsScalar()) {
                        const auto n = element[id].as<std::string>();
                        have.push_back(n);
                        if (n == part) {
                            next.reset(element);
                            found = true;
                        }
                        break;
                    }
            }
        } else {
            throw InputError(file, yaml::line_of(here), fmt::format("--set {}: {} is a value; '{}' goes no deeper", o.text(), walked, part));
        }
        if (!found)
            throw InputError(file, yaml::line_of(here), fmt::format("--set {}: no '{}' in {} (it has: {})", o.text(), part, walked, fmt::join(have, ", ")));
        here.reset(next);
        walked = "'" + part + "'";
    }
    if (!here.IsScalar()) {
        std::vector<std::string> have;
        if (here.IsMap())
            for (const auto& kv : here) have.push_back(kv.first.as<std::string>());
        throw InputError(file, yaml::line_of(here), fmt::format("--set {}: {} is a group of values, not one{}", o.text(), walked,
                                                                have.empty() ? "" : fmt::format(" (it has: {})", fmt::join(have, ", "))));
    }
    here = o.value;
}

}  // namespace

Variant load_variant(const std::filesystem::path& path) { return load_variant(path, {}); }

Variant load_variant(const std::filesystem::path& path, const std::vector<VariantOverride>& overrides) {
    const std::string file = path.string();
    Variant v;
    v.file = file;
    v.overrides = overrides;
    YAML::Node root = yaml::load_file(file);
    for (const auto& o : overrides) apply_override(root, o, file);
    Map top(root, file, "variant");
    top.only({"variant", "summary", "cores", "dma_initiators", "bus", "memories", "peripherals", "flash_layout",
              "boot_chain", "security", "os", "power", "test_variant", "defences_off"});
    v.name = top.str("variant");
    v.summary = top.str("summary", "");
    v.test_variant = top.boolean("test_variant", false);
    for (const auto& d : top.strings("defences_off")) {
        if (!v.test_variant) top.fail("defences_off", "only a test variant (test_variant: true) may switch a defence off");
        try {
            v.defences.switch_off(d);
        } catch (const std::invalid_argument& e) {
            top.fail("defences_off", e.what());
        }
    }

    // ---- cores
    {
        Map cores(top.node("cores"), file, "cores");
        for (const auto& kv : cores.raw()) {
            CoreSpec c;
            c.name = kv.first.as<std::string>();
            Map m(kv.second, file, "core '" + c.name + "'");
            m.only({"kind", "clock_mhz", "world", "reset_clock_mhz", "nvic", "firmware"});
            c.kind = m.str("kind");
            if (!kCoreKinds.count(c.kind)) m.fail("kind", fmt::format("unknown core kind '{}' (expected one of: {})", c.kind, join(kCoreKinds)));
            c.clock_mhz = m.number("clock_mhz");
            check_clock(m, "clock_mhz", c.clock_mhz);
            const auto world = m.str("world", "normal");
            if (world != "normal" && world != "secure") m.fail("world", "expected normal or secure");
            c.secure = world == "secure";
            c.line = m.line();
            if (c.kind == "cortex-m4f") {
                read_rt_core(m, c);
            } else {
                for (const char* key : {"reset_clock_mhz", "nvic", "firmware"})
                    if (m.has(key)) m.fail(key, fmt::format("only a cortex-m4f core takes '{}'", key));
            }
            v.cores.push_back(c);
        }
        auto count = [&](const char* kind) { return std::count_if(v.cores.begin(), v.cores.end(), [&](auto& c) { return c.kind == kind; }); };
        if (count("app-core") != 1) cores.fail_here("a variant needs exactly one app-core");
        if (count("security-core") != 1) cores.fail_here("a variant needs exactly one security-core");
    }
    v.dma_initiators = top.strings("dma_initiators");
    std::set<std::string> initiator_names;
    for (const auto& n : v.initiators())
        if (!initiator_names.insert(n).second) top.fail("dma_initiators", "initiator '" + n + "' is declared twice");
    auto check_visible = [&](const Map& m, const std::vector<std::string>& names) {
        for (const auto& n : names)
            if (!initiator_names.count(n)) m.fail("visible_to", "unknown initiator '" + n + "'");
    };

    if (auto bus = top.optional("bus")) {
        Map b(*bus, file, "bus");
        b.only({"hop_ns", "clock_mhz", "width_bytes", "contention", "arbitration_cycles", "window_cycles",
                "peripheral_wait_states"});
        v.bus.peripheral_wait_states = static_cast<unsigned>(b.u64("peripheral_wait_states", 0));
        if (v.bus.peripheral_wait_states > 10'000) b.fail("peripheral_wait_states", "more than 10000 is not a plausible bus");
        v.bus.hop_ns = v.hop_ns = b.number("hop_ns", 0);
        if (v.bus.hop_ns < 0) b.fail("hop_ns", "must not be negative");
        v.bus.clock_mhz = b.number("clock_mhz", 0);
        if (b.has("clock_mhz")) check_clock(b, "clock_mhz", v.bus.clock_mhz);
        v.bus.width_bytes = static_cast<unsigned>(b.u64("width_bytes", 4));
        if (v.bus.width_bytes == 0 || (v.bus.width_bytes & (v.bus.width_bytes - 1)) || v.bus.width_bytes > 64)
            b.fail("width_bytes", "expected a power of two from 1 to 64");
        v.bus.contention = b.boolean("contention", false);
        v.bus.arbitration_cycles = static_cast<unsigned>(b.u64("arbitration_cycles", 1));
        v.bus.window_cycles = static_cast<unsigned>(b.u64("window_cycles", 32));
        if (v.bus.window_cycles == 0 || v.bus.window_cycles > 1'000'000) b.fail("window_cycles", "expected 1 to 1000000 bus cycles");
        if (v.bus.contention && v.bus.clock_mhz <= 0) b.fail("contention", "the contention model needs the bus clock_mhz");
    }

    // ---- memories
    std::set<std::string> names;
    for (const auto& node : top.node("memories")) {
        Map m(node, file, "memory");
        m.only({"name", "kind", "base", "size", "read_ns", "write_ns", "sector_size", "program_page_us",
                "erase_sector_ms", "visible_to", "firewall", "wait_states", "dmi", "aliases"});
        MemorySpec s;
        s.name = m.str("name");
        s.kind = m.str("kind");
        if (!kMemoryKinds.count(s.kind)) m.fail("kind", fmt::format("unknown memory kind '{}' (expected one of: {})", s.kind, join(kMemoryKinds)));
        s.base = m.u64("base");
        s.size = m.size("size");
        if (s.size == 0) m.fail("size", "must not be 0");
        s.read_ns = m.number("read_ns", 0);
        s.write_ns = m.number("write_ns", 0);
        s.visible_to = m.strings("visible_to");
        check_visible(m, s.visible_to);
        s.firewall = read_firewall_rule(m, s.name, v.initiators());
        read_wait_states(m, s.read_wait_states, s.write_wait_states);
        s.dmi = m.boolean("dmi", true);
        if (auto aliases = m.optional("aliases")) {
            if (!aliases->IsSequence()) m.fail("aliases", "expected a list of {base, size, offset, visible_to}");
            for (const auto& a : *aliases) {
                Map am(a, file, "alias of '" + s.name + "'");
                am.only({"base", "size", "offset", "visible_to"});
                AliasSpec al{am.u64("base"), am.size("size"), am.u64("offset", 0), am.strings("visible_to"), am.line()};
                check_visible(am, al.visible_to);
                if (al.size == 0 || al.offset + al.size > s.size)
                    am.fail_here(fmt::format("the alias must lie inside '{}' (offset 0x{:x} + size 0x{:x} > 0x{:x})", s.name, al.offset, al.size, s.size));
                s.aliases.push_back(al);
            }
        }
        if (s.kind == "nor-flash") {
            s.sector_size = m.size("sector_size");
            if (s.sector_size == 0 || s.size % s.sector_size) m.fail("sector_size", "flash size must be a multiple of it");
            s.program_page_us = m.number("program_page_us");
            s.erase_sector_ms = m.number("erase_sector_ms");
        }
        s.line = m.line();
        if (!names.insert(s.name).second) m.fail("name", "'" + s.name + "' is already declared");
        v.memories.push_back(s);
    }

    // ---- peripherals
    for (const auto& node : top.node("peripherals")) {
        Map m(node, file, "peripheral");
        PeripheralSpec p;
        p.name = m.str("name");
        p.kind = m.str("kind");
        p.line = m.line();
        if (!kPeripheralKinds.count(p.kind)) m.fail("kind", fmt::format("unknown peripheral kind '{}' (expected one of: {})", p.kind, join(kPeripheralKinds)));
        if (!names.insert(p.name).second) m.fail("name", "'" + p.name + "' is already declared");
        if (p.kind == "mailbox") {
            m.only({"name", "kind", "sides"});
            auto sides = m.node("sides");
            if (!sides.IsSequence() || sides.size() != 2) m.fail("sides", "a mailbox has exactly two sides");
            for (const auto& side : sides) {
                Map s(side, file, "mailbox '" + p.name + "' side");
                s.only({"base", "size", "visible_to", "irq", "irq_wr", "irq_rd", "firewall"});
                check_visible(s, s.strings("visible_to"));
                p.windows.push_back(read_window(s, 0x100));
                p.windows.back().irq_wr = s.str("irq_wr", "");
                p.windows.back().irq_rd = s.str("irq_rd", "");
                p.windows.back().firewall = read_firewall_rule(s, p.name + (p.windows.size() == 1 ? ".a" : ".b"), v.initiators());
            }
            v.peripherals.push_back(p);
            continue;
        }
        // Every other kind has one window; these keys come on top of the common ones.
        static const std::map<std::string, std::vector<const char*>> kind_keys = {
            {"uart", {"clock_mhz"}},
            {"nic", {"latency_ms", "bandwidth_mbps"}},
            {"firewall", {}},
            {"otp", {"rows", "program_us_per_word"}},
            {"flash-controller", {"flash"}},
            {"gpio", {"pins"}},
            {"gpt", {"clock_mhz", "xtal_mhz"}},
            {"wdt", {"resets", "core"}},
            {"rtc", {"clock_hz"}},
            {"trng", {}},
            {"crypto", {}},
            {"gic", {"cpu_interface", "lines", "core", "wiring", "edge_triggered"}},
            {"cm4-rgu", {"core"}},
            {"i2c-master", {"clock_mhz", "devices"}},
            {"spi-master", {"clock_mhz", "devices"}},
            {"adc", {"inputs_mv"}},
            {"pwm", {"xtal_mhz"}},
        };
        std::set<std::string> allowed = {"name", "kind", "base", "size", "visible_to", "irq", "firewall", "wait_states"};
        for (const char* k : kind_keys.at(p.kind)) allowed.insert(k);
        for (const auto& kv : m.raw()) {
            const auto key = kv.first.as<std::string>();
            if (!allowed.count(key))
                throw InputError(file, yaml::line_of(kv.first), fmt::format("peripheral '{}' ({}): unknown key '{}' (expected one of: {})",
                                                                        p.name, p.kind, key, join(allowed)));
        }
        std::uint64_t default_size = 0x100;
        if (p.kind == "uart") {
            p.clock_mhz = m.number("clock_mhz");
            check_clock(m, "clock_mhz", p.clock_mhz);
        } else if (p.kind == "nic") {
            p.latency_ms = m.number("latency_ms");
            p.bandwidth_mbps = m.number("bandwidth_mbps");
            if (p.latency_ms < 0) m.fail("latency_ms", "must not be negative");
            if (p.bandwidth_mbps <= 0) m.fail("bandwidth_mbps", "must be positive");
        } else if (p.kind == "firewall") {
            default_size = 0x10000;
            if (std::any_of(v.peripherals.begin(), v.peripherals.end(), [](auto& q) { return q.kind == "firewall"; }))
                m.fail("kind", "a variant has at most one firewall");
        } else if (p.kind == "crypto") {
            default_size = CryptoEngine::kWindowSize;
            if (std::any_of(v.peripherals.begin(), v.peripherals.end(), [](auto& q) { return q.kind == "crypto"; }))
                m.fail("kind", "a variant has at most one crypto engine block (the security subsystem drives one)");
        } else if (p.kind == "otp") {
            default_size = 0x1000;
            p.program_us_per_word = m.number("program_us_per_word");
            if (p.program_us_per_word <= 0) m.fail("program_us_per_word", "must be positive");
            auto rows = m.node("rows");
            if (!rows.IsSequence() || rows.size() == 0) m.fail("rows", "expected a list of fuse rows");
            std::set<std::string> row_names;
            std::uint64_t words = 0;
            for (const auto& r : rows) {
                Map rm(r, file, "fuse row");
                rm.only({"name", "words", "secret"});
                OtpRowSpec row{rm.str("name"), static_cast<std::uint32_t>(rm.u64("words")), rm.boolean("secret", false), rm.line()};
                if (row.words == 0) rm.fail("words", "a row has at least one word");
                if (!row_names.insert(row.name).second) rm.fail("name", "'" + row.name + "' is already declared");
                words += row.words;
                p.otp_rows.push_back(row);
            }
            if (p.otp_rows.size() > 32 || words > 768)
                m.fail("rows", fmt::format("{} rows of {} words in all; the block holds at most 32 rows and 768 words", p.otp_rows.size(), words));
        } else if (p.kind == "flash-controller") {
            p.flash = m.str("flash");
            auto it = std::find_if(v.memories.begin(), v.memories.end(), [&](auto& mem) { return mem.name == p.flash; });
            if (it == v.memories.end() || it->kind != "nor-flash") m.fail("flash", "'" + p.flash + "' is not a nor-flash memory of this variant");
        } else if (p.kind == "gpio") {
            p.pins = read_pins(m, "pins");
        } else if (p.kind == "gpt") {
            p.clock_mhz = m.number("clock_mhz");  // the bus clock GPT4 counts
            check_clock(m, "clock_mhz", p.clock_mhz);
            p.xtal_mhz = m.number("xtal_mhz", 26);  // MT3620 crystal: 26 MHz (hdl_gpt.c xtal strap)
            check_clock(m, "xtal_mhz", p.xtal_mhz);
        } else if (p.kind == "wdt") {
            p.resets = m.str("resets");
            if (p.resets != "core" && p.resets != "device") m.fail("resets", "expected core (its owning core) or device");
            if (p.resets == "core") {
                p.core = m.str("core");
                if (std::none_of(v.cores.begin(), v.cores.end(), [&](auto& c) { return c.name == p.core; }))
                    m.fail("core", "'" + p.core + "' is not a core of this variant");
            } else if (m.has("core")) {
                m.fail("core", "a watchdog that resets the device names no core");
            }
        } else if (p.kind == "rtc") {
            p.clock_hz = m.number("clock_hz");
            if (!(p.clock_hz >= 1 && p.clock_hz <= 1e9)) m.fail("clock_hz", fmt::format("{} Hz is not a plausible RTC clock", p.clock_hz));
        } else if (p.kind == "cm4-rgu") {
            p.core = m.str("core");
            auto core = std::find_if(v.cores.begin(), v.cores.end(), [&](auto& c) { return c.name == p.core; });
            if (core == v.cores.end() || core->kind != "cortex-m4f") m.fail("core", "'" + p.core + "' is not a cortex-m4f core of this variant");
            if (std::any_of(v.peripherals.begin(), v.peripherals.end(), [&](auto& q) { return q.kind == "cm4-rgu" && q.core == p.core; }))
                m.fail("core", "core '" + p.core + "' already has a clock control block");
        } else if (p.kind == "gic") {
            p.core = m.str("core");
            auto core = std::find_if(v.cores.begin(), v.cores.end(), [&](auto& c) { return c.name == p.core; });
            if (core == v.cores.end()) m.fail("core", "'" + p.core + "' is not a core of this variant");
            p.lines = static_cast<unsigned>(m.u64("lines"));
            if (p.lines < 64 || p.lines % 32 || p.lines > 1024) m.fail("lines", "a GICv2 has a multiple of 32 interrupt ids, 64 to 1024");
            const auto edge = m.strings("edge_triggered");
            Map wiring(m.node("wiring"), file, "gic '" + p.name + "' wiring");
            std::map<unsigned, std::string> by_spi;
            for (const auto& kv : wiring.raw()) {
                IrqWiringSpec w;
                w.irq = kv.first.as<std::string>();
                w.line = yaml::line_of(kv.first);
                w.spi = static_cast<unsigned>(yaml::parse_u64(kv.second, file, "wiring: " + w.irq));
                if (w.spi + 32 >= p.lines)
                    throw InputError(file, w.line, fmt::format("gic '{}' wiring: {}: SPI {} is past the controller's {} interrupt ids (SPI 0..{})",
                                                               p.name, w.irq, w.spi, p.lines, p.lines - 33));
                if (auto [it, fresh] = by_spi.emplace(w.spi, w.irq); !fresh)
                    throw InputError(file, w.line, fmt::format("gic '{}' wiring: {} and {} are both wired to SPI {}", p.name, it->second, w.irq, w.spi));
                w.edge = std::find(edge.begin(), edge.end(), w.irq) != edge.end();
                p.wiring.push_back(w);
            }
            for (const auto& e : edge)
                if (!by_spi.empty() && std::none_of(p.wiring.begin(), p.wiring.end(), [&](auto& w) { return w.irq == e; }))
                    m.fail("edge_triggered", "'" + e + "' is not wired to this controller");
        } else if (p.kind == "i2c-master" || p.kind == "spi-master") {
            const bool i2c = p.kind == "i2c-master";
            p.clock_mhz = m.number("clock_mhz");  // I2C: the 26 MHz source clock; SPI: HCLK (79.04 MHz)
            check_clock(m, "clock_mhz", p.clock_mhz);
            if (m.has("devices")) {
                const auto devices = m.node("devices");
                if (!devices.IsSequence()) m.fail("devices", "expected a list of devices on the wire");
                std::set<unsigned> taken;
                for (const auto& d : devices) {
                    Map dm(d, file, p.kind + " '" + p.name + "' device");
                    BusDeviceSpec dev;
                    dev.kind = dm.str("kind");
                    dev.line = dm.line();
                    if (i2c) {
                        dm.only({"kind", "address"});
                        if (dev.kind != "sht3x") dm.fail("kind", "unknown I2C device kind '" + dev.kind + "' (expected: sht3x)");
                        const auto a = dm.u64("address");
                        // SHT3x datasheet: ADDR pin low 0x44, high 0x45.
                        if (a != 0x44 && a != 0x45) dm.fail("address", fmt::format("an sht3x answers 0x44 or 0x45, not 0x{:x}", a));
                        dev.address = static_cast<unsigned>(a);
                    } else {
                        dm.only({"kind", "cs", "size"});
                        if (dev.kind != "spi-nor") dm.fail("kind", "unknown SPI device kind '" + dev.kind + "' (expected: spi-nor)");
                        const auto cs = dm.u64("cs");
                        if (cs > 1) dm.fail("cs", fmt::format("the ISU SPI master has chip selects 0 and 1, not {}", cs));
                        dev.address = static_cast<unsigned>(cs);
                        dev.size = dm.size("size");
                        if (dev.size < 64 * 1024 || dev.size > 16 * 1024 * 1024 || (dev.size & (dev.size - 1)))
                            dm.fail("size", "an spi-nor flash is a power of two from 64KiB to 16MiB");
                    }
                    if (!taken.insert(dev.address).second)
                        dm.fail(i2c ? "address" : "cs", fmt::format("{} {} already has a device on this wire", i2c ? "address" : "chip select",
                                                                     dev.address));
                    p.devices.push_back(dev);
                }
            }
        } else if (p.kind == "adc") {
            default_size = 0x200;
            if (m.has("inputs_mv")) {
                const auto inputs = m.node("inputs_mv");
                if (!inputs.IsSequence() || inputs.size() > 8) m.fail("inputs_mv", "expected a list of at most 8 voltages (channels 0..7)");
                for (const auto& n : inputs) {
                    double mv = 0;
                    try {
                        mv = n.as<double>();
                    } catch (const YAML::Exception&) {
                        throw InputError(file, yaml::line_of(n), "inputs_mv: expected a number of millivolts");
                    }
                    if (!(mv >= 0 && mv <= 5000)) throw InputError(file, yaml::line_of(n), fmt::format("inputs_mv: {} mV is outside 0..5000", mv));
                    p.inputs_mv.push_back(mv);
                }
            }
        } else if (p.kind == "pwm") {
            default_size = 0x200;
            p.xtal_mhz = m.number("xtal_mhz", 26);  // MT3620 crystal: the third tick-clock choice
            check_clock(m, "xtal_mhz", p.xtal_mhz);
        }
        if (m.has("wait_states")) {
            unsigned ws = 0;
            read_wait_states(m, ws, ws);
            p.wait_states = ws;
        }
        check_visible(m, m.strings("visible_to"));
        p.windows.push_back(read_window(m, default_size));
        p.windows.back().firewall = read_firewall_rule(m, p.name, v.initiators());
        if (p.kind == "gic") {  // the CPU interface is the second window, seen by the same initiators
            WindowSpec cpu = p.windows.front();
            cpu.base = m.u64("cpu_interface");
            cpu.size = 0x1000;
            cpu.irq.clear();
            cpu.line = m.line();
            p.windows.push_back(cpu);
        }
        v.peripherals.push_back(p);
    }

    // ---- firewall: rules need the block that enforces them, and owner masks are 32 bits
    {
        int first_rule_line = 0;
        for (const auto& m : v.memories)
            if (m.firewall && !first_rule_line) first_rule_line = m.firewall->line;
        for (const auto& p : v.peripherals)
            for (const auto& w : p.windows)
                if (w.firewall && !first_rule_line) first_rule_line = w.firewall->line;
        const bool has_firewall =
            std::any_of(v.peripherals.begin(), v.peripherals.end(), [](auto& p) { return p.kind == "firewall"; });
        if (first_rule_line && !has_firewall)
            throw InputError(file, first_rule_line, "a firewall rule, but no peripheral of kind firewall enforces it");
        if (has_firewall && v.initiators().size() > 32)
            top.fail("dma_initiators", fmt::format("{} initiators; a firewall owner mask names at most 32", v.initiators().size()));
    }

    // ---- interrupt lines: each is raised by one window, and wiring names only real lines
    {
        std::map<std::string, std::string> raised_by;  // line -> "peripheral (line N)"
        for (const auto& p : v.peripherals)
            for (std::size_t i = 0; i < p.windows.size(); ++i) {
                const auto& w = p.windows[i];
                if (p.kind == "gic" && i > 0) continue;
                for (const auto* irq : {&w.irq, &w.irq_wr, &w.irq_rd}) {
                    if (irq->empty()) continue;
                    if (auto [it, fresh] = raised_by.emplace(*irq, fmt::format("'{}' (line {})", p.name, w.line)); !fresh)
                        throw InputError(file, w.line, fmt::format("irq '{}' of '{}' is already raised by {}: interrupt lines are not shared",
                                                                   *irq, p.name, it->second));
                }
            }
        for (const auto& c : v.cores)
            for (const auto& w : c.nvic_wiring)
                if (!raised_by.count(w.irq))
                    throw InputError(file, w.line, fmt::format("core '{}' nvic wiring: no peripheral raises an irq named '{}'", c.name, w.irq));
        for (const auto& p : v.peripherals)
            for (const auto& w : p.wiring) {
                if (!raised_by.count(w.irq))
                    throw InputError(file, w.line, fmt::format("gic '{}' wiring: no peripheral raises an irq named '{}'", p.name, w.irq));
                if (w.irq == p.windows.front().irq)
                    throw InputError(file, w.line, fmt::format("gic '{}' wiring: '{}' is the controller's own output", p.name, w.irq));
            }
    }

    // ---- address map: no two windows an initiator can see may overlap
    struct Window {
        std::string name;
        std::uint64_t base, end;
        std::vector<std::string> visible_to;
        int line;
    };
    std::vector<Window> windows;
    for (const auto& m : v.memories) {
        windows.push_back({m.name, m.base, m.base + m.size, m.visible_to, m.line});
        for (const auto& a : m.aliases) windows.push_back({m.name + " (alias)", a.base, a.base + a.size, a.visible_to, a.line});
    }
    for (const auto& p : v.peripherals)
        for (const auto& w : p.windows) windows.push_back({p.name, w.base, w.base + w.size, w.visible_to, w.line});
    for (std::size_t i = 0; i < windows.size(); ++i)
        for (std::size_t j = 0; j < i; ++j) {
            const auto &a = windows[i], &b = windows[j];
            bool shared = a.visible_to.empty() || b.visible_to.empty();
            for (const auto& x : a.visible_to)
                shared = shared || std::find(b.visible_to.begin(), b.visible_to.end(), x) != b.visible_to.end();
            if (shared && a.base < b.end && b.base < a.end)
                throw InputError(file, a.line, fmt::format("'{}' [0x{:08x}, 0x{:08x}) overlaps '{}' [0x{:08x}, 0x{:08x}) declared at line {}",
                                                           a.name, a.base, a.end, b.name, b.base, b.end, b.line));
        }

    // ---- flash layout
    const MemorySpec* flash = nullptr;
    for (const auto& m : v.memories)
        if (m.kind == "nor-flash") flash = &m;
    if (!flash) top.fail("memories", "a variant needs a nor-flash memory");
    std::set<std::string> partitions;
    for (const auto& node : top.node("flash_layout")) {
        Map m(node, file, "flash partition");
        m.only({"name", "offset", "size"});
        PartitionSpec p{m.str("name"), m.u64("offset"), m.size("size"), m.line()};
        if (p.offset % flash->sector_size || p.size % flash->sector_size)
            m.fail_here(fmt::format("'{}' must start and end on a {}-byte sector boundary", p.name, flash->sector_size));
        if (p.offset + p.size > flash->size) m.fail_here(fmt::format("'{}' ends past the end of the flash ({} bytes)", p.name, flash->size));
        for (const auto& q : v.flash_layout)
            if (p.offset < q.offset + q.size && q.offset < p.offset + p.size)
                m.fail_here(fmt::format("'{}' overlaps partition '{}' declared at line {}", p.name, q.name, q.line));
        if (!partitions.insert(p.name).second) m.fail("name", "'" + p.name + "' is already declared");
        v.flash_layout.push_back(p);
    }

    // ---- boot chain
    for (const auto& node : top.node("boot_chain")) {
        Map m(node, file, "boot stage");
        m.only({"stage", "image_type", "counter", "slots"});
        BootStageSpec s{m.str("stage"), m.str("image_type"), m.str("counter"), m.strings("slots"), m.line()};
        if (!image::image_type_from_string(s.image_type)) m.fail("image_type", "unknown image type '" + s.image_type + "'");
        if (s.slots.empty()) m.fail("slots", "a stage needs at least one slot");
        for (const auto& slot : s.slots)
            if (!partitions.count(slot)) m.fail("slots", "no flash partition named '" + slot + "'");
        v.boot_chain.push_back(s);
    }
    if (v.boot_chain.empty()) top.fail("boot_chain", "the boot chain is empty");

    // ---- costs
    if (auto sec = top.optional("security")) {
        Map s(*sec, file, "security");
        s.only({"crypto"});
        Map c(s.node("crypto"), file, "security.crypto");
        // Each figure is a count of engine (security-core) cycles: at least 1, and not so large
        // that one operation would outlast any scenario (10^9 cycles = 5 s at 200 MHz).
        const std::pair<const char*, std::uint64_t*> figures[] = {
            {"sha256_cycles_per_block", &v.crypto.sha256_cycles_per_block},
            {"hmac_sha256_cycles_per_block", &v.crypto.hmac_sha256_cycles_per_block},
            {"aes_gcm_cycles_per_block", &v.crypto.aes_gcm_cycles_per_block},
            {"ecdsa_p256_verify_cycles", &v.crypto.ecdsa_verify_cycles},
            {"ecdsa_p256_sign_cycles", &v.crypto.ecdsa_sign_cycles},
            {"engine_setup_cycles", &v.crypto.engine_setup_cycles},
            {"trng_cycles_per_word", &v.crypto.trng_cycles_per_word},
            {"command_overhead_cycles", &v.crypto.command_overhead_cycles},
        };
        c.only({"sha256_cycles_per_block", "hmac_sha256_cycles_per_block", "aes_gcm_cycles_per_block",
                "ecdsa_p256_verify_cycles", "ecdsa_p256_sign_cycles", "engine_setup_cycles", "trng_cycles_per_word",
                "command_overhead_cycles"});
        for (const auto& [key, field] : figures) {
            *field = c.u64(key, *field);
            if (*field == 0 || *field > 1'000'000'000)
                c.fail(key, fmt::format("{} cycles is not a plausible engine cost (1 to 1000000000)", *field));
        }
    }
    v.os_costs = {{"syscall", 1500}, {"context_switch", 4000}, {"process_start", 250000},
                  {"tls_handshake_client", 9'000'000}, {"per_kib_copied", 600}};
    if (auto os = top.optional("os")) {
        Map o(*os, file, "os");
        o.only({"costs"});
        Map c(o.node("costs"), file, "os.costs");
        for (const auto& kv : c.raw()) {
            const auto key = kv.first.as<std::string>();
            if (!v.os_costs.count(key)) {
                std::string list;
                for (auto& [k, _] : v.os_costs) list += (list.empty() ? "" : ", ") + k;
                throw InputError(file, yaml::line_of(kv.first), fmt::format("os.costs: unknown cost '{}' (expected one of: {})", key, list));
            }
            v.os_costs[key] = c.u64(key);
        }
    }

    // ---- power figures (optional): components are cores, "crypto" and NIC peripherals
    if (auto power = top.optional("power")) {
        Map pm(*power, file, "power");
        PowerSpec ps;
        ps.line = pm.line();
        std::vector<std::string> known;
        for (const auto& c : v.cores) known.push_back(c.name);
        known.push_back("crypto");
        for (const auto& p : v.peripherals)
            if (p.kind == "nic") known.push_back(p.name);
        auto non_negative = [](const Map& m, const std::string& key) {
            const double x = m.number(key, 0.0);
            if (!(x >= 0) || x > 1e6) m.fail(key, fmt::format("expected milliwatts from 0 to 1000000, got {}", x));
            return x;
        };
        for (const auto& kv : pm.raw()) {
            const auto key = kv.first.as<std::string>();
            if (key == "static_mw") {
                ps.static_mw = non_negative(pm, key);
                continue;
            }
            if (std::find(known.begin(), known.end(), key) == known.end()) {
                std::string list = "static_mw";
                for (const auto& k : known) list += ", " + k;
                throw InputError(file, yaml::line_of(kv.first),
                                 fmt::format("power: '{}' is not a core, crypto or a nic peripheral of this variant (expected one of: {})", key, list));
            }
            Map m(kv.second, file, "power." + key);
            m.only({"active_mw", "sleep_mw"});
            if (!m.has("active_mw")) m.fail_here("power." + key + " needs active_mw");
            PowerStateSpec st{non_negative(m, "active_mw"), non_negative(m, "sleep_mw"), m.line()};
            if (st.sleep_mw > st.active_mw)
                m.fail("sleep_mw", fmt::format("power.{}: asleep ({} mW) draws more than active ({} mW)", key, st.sleep_mw, st.active_mw));
            ps.components[key] = st;
        }
        v.power = ps;
    }
    return v;
}

std::filesystem::path find_variant(const std::string& name_or_path) {
    namespace fs = std::filesystem;
    if (name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".yaml")) {
        if (!fs::exists(name_or_path)) throw InputError(name_or_path, 0, "variant file does not exist");
        return name_or_path;
    }
    std::vector<fs::path> dirs;
    if (const char* env = std::getenv("SPHEREVP_VARIANTS")) dirs.emplace_back(env);
    dirs.emplace_back(SVP_VARIANTS_DIR);
    for (const auto& d : dirs)
        if (fs::exists(d / (name_or_path + ".yaml"))) return d / (name_or_path + ".yaml");
    std::string known;
    for (const auto& n : shipped_variants()) known += (known.empty() ? "" : ", ") + n;
    throw InputError(fmt::format("unknown variant '{}' (shipped: {})", name_or_path, known));
}

std::vector<std::string> shipped_variants() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(SVP_VARIANTS_DIR, ec))
        if (e.path().extension() == ".yaml") out.push_back(e.path().stem().string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace svp

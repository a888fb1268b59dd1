#include "metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "common/util/input_error.h"

namespace svp::metrics {
namespace {

constexpr MetricInfo kMetrics[] = {
#define SVP_METRIC(name, unit, doc) {name, unit, doc},
#include "metrics/metrics.def"
#undef SVP_METRIC
};

bool matches(std::string_view pattern, std::string_view name) {
    const auto star = pattern.find('*');
    if (star == std::string_view::npos) return pattern == name;
    const auto head = pattern.substr(0, star), tail = pattern.substr(star + 1);
    return name.size() > head.size() + tail.size() && name.starts_with(head) && name.ends_with(tail) &&
           name.substr(head.size(), name.size() - head.size() - tail.size()).find('.') == std::string_view::npos;
}

double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

bool is_cloud(const Event& e) { return e.dev == "cloud" || e.dev == "spoof"; }

// The first event of a type at or after `from`, or nullptr.
const Event* first(const std::vector<const Event*>& log, std::string_view src, std::string_view ev, std::uint64_t from = 0) {
    for (const auto* e : log)
        if (e->t_ns >= from && e->src == src && e->ev == ev) return e;
    return nullptr;
}

const Event* last(const std::vector<const Event*>& log, std::string_view src, std::string_view ev) {
    const Event* found = nullptr;
    for (const auto* e : log)
        if (e->src == src && e->ev == ev) found = e;
    return found;
}

template <typename T>
std::optional<T> number(const Fields& f, std::string_view key) {
    auto it = f.find(key);
    if (it == f.end() || !it->is_number()) return std::nullopt;
    return it->get<T>();
}

void boot_metrics(const std::vector<const Event*>& log, RunMetrics& out) {
    const auto* reset = first(log, "sec.core", "reset");
    if (!reset) return;
    const auto t0 = reset->t_ns;
    auto phase = [&](const std::string& name, std::uint64_t a, std::uint64_t b) {
        out.boot_timeline.push_back({name, ms(a - t0), ms(b - t0)});
    };
    const auto* rom = first(log, "sec.boot", "image.verified", t0);
    if (!rom) return;  // nothing verified: the boot halted
    out.values["boot.rom_ms"] = ms(rom->t_ns - t0);
    phase("boot ROM", t0, rom->t_ns);
    const Event* released = nullptr;
    for (const auto* e : log)
        if (e->t_ns >= rom->t_ns && e->src == "sec.boot" && e->ev == "core.released") {
            released = e;
            break;
        }
    if (!released) return;
    out.values["boot.security_monitor_ms"] = ms(released->t_ns - rom->t_ns);
    phase("security monitor", rom->t_ns, released->t_ns);
    const auto* apps = first(log, "os.init", "apps.running", released->t_ns);
    if (!apps) return;
    const Event* kernel_done = nullptr;  // the OS's last boot stage before its apps run
    for (const auto* e : log)
        if (e->t_ns >= released->t_ns && e->t_ns <= apps->t_ns && e->src == "os.init" && e->ev == "boot.stage") kernel_done = e;
    if (kernel_done) {
        out.values["boot.kernel_ms"] = ms(kernel_done->t_ns - released->t_ns);
        out.values["boot.apps_ms"] = ms(apps->t_ns - kernel_done->t_ns);
        phase("kernel", released->t_ns, kernel_done->t_ns);
        phase("apps", kernel_done->t_ns, apps->t_ns);
    }
    out.values["boot.apps_running_ms"] = ms(apps->t_ns - t0);
    if (const auto* net = first(log, "os.net", "connected", released->t_ns)) {
        out.values["boot.first_cloud_connection_ms"] = ms(net->t_ns - t0);
        phase("first cloud connection", apps->t_ns <= net->t_ns ? apps->t_ns : released->t_ns, net->t_ns);
    }
}

void ota_metrics(const std::vector<const Event*>& log, RunMetrics& out) {
    const auto* staging = first(log, "sec.update", "staging");
    if (!staging) return;
    const auto* checked = first(log, "os.update", "checked");
    if (checked && checked->t_ns > staging->t_ns) checked = nullptr;
    if (checked) out.values["ota.download_ms"] = ms(staging->t_ns - checked->t_ns);
    // The last installed image before the device resets into them.
    const auto* test_boot = first(log, "sec.update", "test.boot", staging->t_ns);
    const Event* installed = nullptr;
    for (const auto* e : log)
        if (e->t_ns >= staging->t_ns && (!test_boot || e->t_ns <= test_boot->t_ns) && e->src == "sec.update" && e->ev == "installed")
            installed = e;
    if (!installed) return;
    out.values["ota.install_ms"] = ms(installed->t_ns - staging->t_ns);
    if (!test_boot) return;
    const auto* apps = first(log, "os.init", "apps.running", test_boot->t_ns);
    if (!apps) return;
    out.values["ota.reboot_ms"] = ms(apps->t_ns - installed->t_ns);
    const auto* confirmed = first(log, "sec.update", "confirmed", apps->t_ns);
    if (!confirmed) return;
    out.values["ota.confirm_ms"] = ms(confirmed->t_ns - apps->t_ns);
    out.values["ota.total_ms"] = ms(confirmed->t_ns - (checked ? checked->t_ns : staging->t_ns));
}

void attestation_metrics(const std::vector<const Event*>& log, RunMetrics& out) {
    bool asked = false;
    std::uint64_t asked_at = 0;
    std::vector<double> rtts;
    for (const auto* e : log) {
        if (e->src != "os.attest") continue;
        if (e->ev == "requested") {
            asked = true;
            asked_at = e->t_ns;
        } else if (e->ev == "certificate" && asked) {
            rtts.push_back(ms(e->t_ns - asked_at));
            asked = false;
        } else if (e->ev == "refused") {
            asked = false;
        }
    }
    out.values["attest.count"] = static_cast<double>(rtts.size());
    if (rtts.empty()) return;
    out.values["attest.round_trip_ms"] = rtts.front();
    out.samples["attest.round_trip_ms"] = rtts;
}

// Interrupt latency of each real-time core: the line's rising edge to the handler's first
// instruction (cpu.irq/entered), as nearest-rank percentiles of every interrupt taken.
void irq_metrics(const std::vector<const Event*>& log, RunMetrics& out) {
    std::map<std::string, std::vector<double>> ns_by_core;
    std::map<std::string, std::uint64_t> max_cycles;
    for (const auto* e : log) {
        if (e->src != "cpu.irq" || e->ev != "entered") continue;
        const auto core = e->fields.value("core", std::string());
        const auto ns = number<double>(e->fields, "latency_ns");
        const auto cycles = number<std::uint64_t>(e->fields, "latency_cycles");
        if (core.empty() || !ns || !cycles) continue;
        ns_by_core[core].push_back(*ns);
        max_cycles[core] = std::max(max_cycles[core], *cycles);
    }
    for (auto& [core, samples] : ns_by_core) {
        std::vector<double> sorted = samples;
        std::sort(sorted.begin(), sorted.end());
        auto rank = [&](double p) { return sorted[static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size()))) - 1]; };
        const auto key = "irq." + core + ".";
        out.values[key + "count"] = static_cast<double>(sorted.size());
        out.values[key + "latency_median_ns"] = rank(0.5);
        out.values[key + "latency_p99_ns"] = rank(0.99);
        out.values[key + "latency_max_ns"] = sorted.back();
        out.values[key + "latency_max_cycles"] = static_cast<double>(max_cycles[core]);
        out.samples[key + "latency_median_ns"] = std::move(samples);
    }
}

// Time at least one host connection was open, and the bytes moved.
std::uint64_t network_metrics(const std::vector<const Event*>& log, std::uint64_t end_ns, RunMetrics& out) {
    std::map<std::int64_t, std::uint64_t> open;  // socket -> opened at
    std::uint64_t connected_ns = 0, since = 0, tx = 0, rx = 0;
    for (const auto* e : log) {
        if (e->src != "net.link") continue;
        const auto socket = number<std::int64_t>(e->fields, "socket");
        if (!socket) continue;
        if (e->ev == "connect" && e->field("result") == "ok") {
            if (open.empty()) since = e->t_ns;
            open[*socket] = e->t_ns;
        } else if (e->ev == "close") {
            tx += number<std::uint64_t>(e->fields, "bytes_tx").value_or(0);
            rx += number<std::uint64_t>(e->fields, "bytes_rx").value_or(0);
            if (open.erase(*socket) && open.empty()) connected_ns += e->t_ns - since;
        }
    }
    if (!open.empty() && end_ns > since) connected_ns += end_ns - since;
    out.values["net.tx_bytes"] = static_cast<double>(tx);
    out.values["net.rx_bytes"] = static_cast<double>(rx);
    out.values["net.connected_ms"] = ms(connected_ns);
    return connected_ns;
}

void counter_metrics(const Event& c, std::uint64_t connected_ns, RunMetrics& out) {
    const auto duration_ns = number<std::uint64_t>(c.fields, "duration_ns").value_or(0);
    if (duration_ns == 0) return;
    const double duration_s = static_cast<double>(duration_ns) / 1e9;
    std::map<std::string, double> busy_s;  // component -> seconds active
    if (auto cores = c.fields.find("cores"); cores != c.fields.end() && cores->is_object())
        for (const auto& [name, core] : cores->items()) {
            const auto hz = number<std::uint64_t>(core, "clock_hz").value_or(0);
            const auto cycles = number<std::uint64_t>(core, "busy_cycles");
            if (!hz || !cycles) continue;
            out.values["cpu." + name + ".cycles"] = static_cast<double>(*cycles);
            const double active = std::min(duration_s, static_cast<double>(*cycles) / static_cast<double>(hz));
            out.values["cpu." + name + ".asleep_fraction"] = 1.0 - active / duration_s;
            if (auto insns = number<std::uint64_t>(core, "instructions")) {
                out.values["cpu." + name + ".instructions"] = static_cast<double>(*insns);
                if (*cycles) out.values["cpu." + name + ".ipc"] = static_cast<double>(*insns) / static_cast<double>(*cycles);
            }
            busy_s[name] = active;
        }
    if (auto crypto = c.fields.find("crypto"); crypto != c.fields.end() && crypto->is_object()) {
        if (auto b = number<std::uint64_t>(*crypto, "busy_ns")) {
            out.values["crypto.busy_ms"] = ms(*b);
            out.values["crypto.busy_fraction"] = static_cast<double>(*b) / static_cast<double>(duration_ns);
            busy_s["crypto"] = std::min(duration_s, static_cast<double>(*b) / 1e9);
        }
        if (auto v = number<std::uint64_t>(*crypto, "ecdsa_verifies")) out.values["crypto.ecdsa_verifies"] = static_cast<double>(*v);
        if (auto v = number<std::uint64_t>(*crypto, "ecdsa_signs")) out.values["crypto.ecdsa_signs"] = static_cast<double>(*v);
    }
    if (auto bus = c.fields.find("bus"); bus != c.fields.end() && bus->is_object())
        for (const auto& [who, u] : bus->items()) {
            if (auto n = number<std::uint64_t>(u, "transactions")) out.values["bus.transactions." + who] = static_cast<double>(*n);
            if (auto n = number<std::uint64_t>(u, "bytes")) out.values["bus.bytes." + who] = static_cast<double>(*n);
            if (auto n = number<std::uint64_t>(u, "busy_ns"))
                out.values["bus.utilisation." + who] = static_cast<double>(*n) / static_cast<double>(duration_ns);
        }
    if (auto stall = number<std::uint64_t>(c.fields, "bus_stall_ns")) out.values["bus.stall_ms"] = ms(*stall);

    // Energy: mW x s = mJ. A component without a counter of its time is left out, and said so
    // by its absence from the energy.* breakdown.
    auto power = c.fields.find("power");
    if (power == c.fields.end() || !power->is_object()) return;
    double total = 0;
    auto add = [&](const std::string& who, double mj) {
        out.values["energy." + who + "_mj"] = mj;
        total += mj;
    };
    bool complete = true;
    for (const auto& [name, p] : power->items()) {
        if (name == "static_mw") {
            if (p.is_number()) add("static", p.get<double>() * duration_s);
            continue;
        }
        const double active_mw = number<double>(p, "active_mw").value_or(0), sleep_mw = number<double>(p, "sleep_mw").value_or(0);
        const auto kind = p.is_object() ? p.value("kind", "") : "";
        double active_s = 0;
        if (kind == "radio") {
            active_s = std::min(duration_s, static_cast<double>(connected_ns) / 1e9);  // active while connected
        } else if (auto b = busy_s.find(name); b != busy_s.end()) {
            active_s = b->second;
        } else {
            complete = false;  // a component with no counter of its busy time: no figure, no total
            continue;
        }
        add(name, active_mw * active_s + sleep_mw * (duration_s - active_s));
    }
    if (!complete) return;
    out.values["energy_mj"] = total;
}

}  // namespace

std::span<const MetricInfo> all_metrics() { return kMetrics; }

const MetricInfo* find_metric(std::string_view name) {
    for (const auto& m : kMetrics)
        if (matches(m.name, name)) return &m;
    return nullptr;
}

std::size_t metric_order(std::string_view name) {
    for (std::size_t i = 0; i < std::size(kMetrics); ++i)
        if (matches(kMetrics[i].name, name)) return i;
    return std::size(kMetrics);
}

RunMetrics compute(const std::vector<Event>& events) {
    RunMetrics out;
    std::vector<const Event*> log;
    std::string device;
    for (const auto& e : events) {
        if (is_cloud(e)) continue;
        if (device.empty()) device = e.dev;
        if (e.dev == device) log.push_back(&e);
    }
    if (log.empty()) return out;
    const Event* counters = last(log, "sim", "counters");
    std::uint64_t end_ns = log.back()->t_ns;
    if (const auto* fin = last(log, "sim", "finished")) end_ns = fin->t_ns;
    if (counters)
        if (auto d = number<std::uint64_t>(counters->fields, "duration_ns")) end_ns = *d;
    out.values["sim.time_ms"] = ms(end_ns);

    boot_metrics(log, out);
    ota_metrics(log, out);
    attestation_metrics(log, out);
    irq_metrics(log, out);
    out.values["firewall.violations"] =
        static_cast<double>(std::count_if(log.begin(), log.end(), [](const Event* e) { return e->src == "bus.firewall" && e->ev == "violation"; }));
    const auto connected_ns = network_metrics(log, end_ns, out);
    if (counters) counter_metrics(*counters, connected_ns, out);
    return out;
}

std::vector<Event> read_event_log(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw InputError(path.string(), 0, "cannot read the event log");
    std::vector<Event> events;
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        if (line.empty()) continue;
        events.push_back(Event::from_json_line(line, fmt::format("{}:{}", path.string(), n)));
    }
    return events;
}

}  // namespace svp::metrics

#include "scenarios/engine/report.h"

#include <set>

#include <fmt/format.h>

#include "platform/yaml_reader.h"

namespace svp::scenario {
namespace {

// The events a person wants to see in a run's summary, in the order they happen.
bool is_milestone(const Event& e) {
    static const std::set<std::pair<std::string, std::string>> kinds = {
        {"sec.boot", "image.verified"}, {"sec.boot", "image.rejected"}, {"sec.boot", "halted"},
        {"sec.boot", "core.released"},  {"sec.identity", "derived"},    {"os.init", "boot.stage"},
        {"os.init", "apps.running"},    {"os.app", "rejected"},         {"os.attest", "certificate"},
        {"os.attest", "refused"},       {"os.net", "failed"},           {"os.security", "capability.denied"},
        {"cloud.attest", "accepted"},   {"cloud.attest", "refused"},    {"cloud.store", "device.registered"},
        {"bus.flash", "tampered"},      {"sim", "finished"}};
    return kinds.count({e.src, e.ev}) > 0;
}

std::string fields_text(const Fields& f) {
    std::string out;
    for (auto& [k, v] : f.items()) {
        auto text = v.is_string() ? v.get<std::string>() : v.dump();
        if (text.size() > 40) text = text.substr(0, 37) + "...";
        out += fmt::format("{}{}={}", out.empty() ? "" : " ", k, text);
    }
    return out;
}

std::string xml_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

}  // namespace

Outcome Outcome::from(const RunResult& r) {
    Outcome o;
    o.name = r.name;
    o.file = r.file;
    o.tags = r.tags;
    o.passed = r.passed;
    o.sim_end_ns = r.sim_end_ns;
    o.wall_s = r.wall_s;
    for (const auto& x : r.expectations)
        o.checks.push_back({x.expectation->describe(), x.detail, x.passed.value_or(false), x.expectation->line,
                            x.expectation->source});
    // The figures people compare: when the boot and the cloud handshake reached each stage.
    const std::pair<const char*, std::pair<const char*, const char*>> marks[] = {
        {"app core released", {"sec.boot", "core.released"}}, {"apps running", {"os.init", "apps.running"}},
        {"certificate", {"os.attest", "certificate"}}, {"first telemetry", {"os.telemetry", "sent"}},
        {"boot halted", {"sec.boot", "halted"}}};
    for (const auto& [label, kind] : marks)
        for (const auto& e : r.events)
            if (e.src == kind.first && e.ev == kind.second) {
                o.timings += fmt::format("{}{} {}", o.timings.empty() ? "" : " · ", label, yaml::format_duration_ns(e.t_ns));
                break;
            }
    bool telemetry_seen = false;
    for (const auto& e : r.events) {
        bool show = is_milestone(e);
        if (e.src == "os.telemetry" && !telemetry_seen) show = telemetry_seen = true;  // the first one only
        if (show)
            o.milestones.push_back(fmt::format("{:>12}  {:<5} {:<14} {:<18} {}", yaml::format_duration_ns(e.t_ns), e.dev,
                                               e.src, e.ev, fields_text(e.fields)));
    }
    return o;
}

nlohmann::json Outcome::to_json() const {
    nlohmann::json checks_json = nlohmann::json::array();
    for (const auto& c : checks)
        checks_json.push_back({{"expectation", c.expectation}, {"detail", c.detail}, {"passed", c.passed}, {"line", c.line}, {"source", c.source}});
    return {{"name", name},       {"file", file},     {"error", error},     {"tags", tags},
            {"passed", passed},   {"sim_end_ns", sim_end_ns}, {"wall_s", wall_s}, {"checks", checks_json},
            {"milestones", milestones}, {"timings", timings}};
}

Outcome Outcome::from_json(const nlohmann::json& j) {
    Outcome o;
    o.name = j.value("name", "");
    o.file = j.value("file", "");
    o.error = j.value("error", "");
    o.tags = j.value("tags", std::vector<std::string>{});
    o.passed = j.value("passed", false);
    o.sim_end_ns = j.value("sim_end_ns", std::uint64_t{0});
    o.wall_s = j.value("wall_s", 0.0);
    for (const auto& c : j.value("checks", nlohmann::json::array()))
        o.checks.push_back({c.value("expectation", ""), c.value("detail", ""), c.value("passed", false), c.value("line", 0),
                            c.value("source", o.file)});
    o.milestones = j.value("milestones", std::vector<std::string>{});
    o.timings = j.value("timings", "");
    return o;
}

std::string format_summary(const Outcome& o) {
    std::string out = fmt::format("scenario {} ({})\n", o.name, o.file);
    if (!o.error.empty()) return out + "  ERROR " + o.error + "\n";
    out += "\n  milestones (simulated time)\n";
    for (const auto& m : o.milestones) out += "  " + m + "\n";
    if (!o.timings.empty()) out += "\n  " + o.timings + "\n";
    out += "\n  expectations\n";
    for (const auto& c : o.checks)
        out += fmt::format("  {}  {}:{}  {}\n        {}\n", c.passed ? "ok  " : "FAIL", c.source.empty() ? o.file : c.source, c.line, c.expectation,
                           c.detail.size() > 110 ? c.detail.substr(0, 107) + "..." : c.detail);
    std::size_t met = 0;
    for (const auto& c : o.checks) met += c.passed;
    out += fmt::format("\n  {}  {}/{} expectations met; simulated {}, wall {:.2f} s\n", o.passed ? "PASS" : "FAIL", met,
                       o.checks.size(), yaml::format_duration_ns(o.sim_end_ns), o.wall_s);
    return out;
}

std::string format_table(const std::vector<Outcome>& outcomes) {
    std::string out = fmt::format("{:<40} {:<6} {:>12} {:>8}  {}\n", "scenario", "result", "simulated", "wall", "first failed expectation");
    std::size_t passed = 0, failed = 0, errors = 0;
    for (const auto& o : outcomes) {
        std::string first;
        const char* result = o.error.empty() ? (o.passed ? "pass" : "FAIL") : "ERROR";
        if (!o.error.empty()) {
            first = o.error;
            ++errors;
        } else if (!o.passed) {
            for (const auto& c : o.checks)
                if (!c.passed && first.empty())
                    first = fmt::format("{}:{}: {} -- {}", c.source.empty() ? o.file : c.source, c.line, c.expectation, c.detail);
            ++failed;
        } else {
            ++passed;
        }
        out += fmt::format("{:<40} {:<6} {:>12} {:>7.2f}s  {}\n", o.name.substr(0, 40), result,
                           yaml::format_duration_ns(o.sim_end_ns), o.wall_s, first);
    }
    out += fmt::format("\n{} passed, {} failed", passed, failed);
    if (errors) out += fmt::format(", {} invalid", errors);
    out += "\n";
    return out;
}

std::string format_junit(const std::vector<Outcome>& outcomes) {
    std::size_t failures = 0, errors = 0;
    double total = 0;
    for (const auto& o : outcomes) {
        failures += o.error.empty() && !o.passed;
        errors += !o.error.empty();
        total += o.wall_s;
    }
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += fmt::format("<testsuite name=\"spherevp\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3f}\">\n",
                       outcomes.size(), failures, errors, total);
    for (const auto& o : outcomes) {
        out += fmt::format("  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\">\n", xml_escape(o.file), xml_escape(o.name), o.wall_s);
        if (!o.error.empty()) out += fmt::format("    <error message=\"{}\"/>\n", xml_escape(o.error));
        for (const auto& c : o.checks)
            if (!c.passed)
                out += fmt::format("    <failure message=\"{}\">{}:{}: {}</failure>\n", xml_escape(c.expectation),
                                   xml_escape(c.source.empty() ? o.file : c.source), c.line, xml_escape(c.detail));
        out += "  </testcase>\n";
    }
    out += "</testsuite>\n";
    return out;
}

}  // namespace svp::scenario

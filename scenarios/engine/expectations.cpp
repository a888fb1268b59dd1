#include "scenarios/engine/expectations.h"

#include <fmt/format.h>

#include "platform/yaml_reader.h"

namespace svp::scenario {

ExpectationMonitor::ExpectationMonitor(const std::vector<Expectation>& expectations) {
    // State checks are decided by the runner on the device at the end, not from events.
    for (const auto& x : expectations)
        if (x.kind != Expectation::Kind::state) results_.push_back({&x, std::nullopt, {}, 0});
}

bool ExpectationMonitor::matches(const Expectation& x, const Event& e) {
    if (e.src != x.src || e.ev != x.ev) return false;
    // A value starting with '~' matches when the field contains the rest.
    for (const auto& [k, v] : x.where) {
        const auto actual = e.field(k);
        if (v.starts_with('~') ? actual.find(v.substr(1)) == std::string::npos : actual != v) return false;
    }
    return true;
}

static std::string describe_event(const Event& e) {
    return fmt::format("{} at {}: {}", e.ev, yaml::format_duration_ns(e.t_ns), e.fields.dump());
}

void ExpectationMonitor::on_event(const Event& e) {
    advance(e.t_ns);
    for (auto& r : results_) {
        if (r.passed || !matches(*r.expectation, e)) continue;
        const auto& x = *r.expectation;
        if (x.kind == Expectation::Kind::occurs) {
            r.passed = true;
            r.detail = "seen: " + describe_event(e);
        } else if (x.for_ns == 0 || e.t_ns < x.for_ns) {
            r.passed = false;
            r.detail = "happened: " + describe_event(e);
        }
        r.decided_at_ns = e.t_ns;
    }
}

void ExpectationMonitor::advance(std::uint64_t now_ns) {
    for (auto& r : results_) {
        if (r.passed) continue;
        const auto& x = *r.expectation;
        if (x.kind == Expectation::Kind::occurs && x.within_ns && now_ns > x.within_ns) {
            r.passed = false;
            r.detail = "not seen within " + yaml::format_duration_ns(x.within_ns);
            r.decided_at_ns = x.within_ns;
        } else if (x.kind == Expectation::Kind::never && x.for_ns && now_ns >= x.for_ns) {
            r.passed = true;
            r.detail = "did not happen for " + yaml::format_duration_ns(x.for_ns);
            r.decided_at_ns = x.for_ns;
        }
    }
}

void ExpectationMonitor::finish(std::uint64_t end_ns) {
    advance(end_ns);
    for (auto& r : results_) {
        if (r.passed) continue;
        if (r.expectation->kind == Expectation::Kind::occurs) {
            r.passed = false;
            r.detail = "not seen by the end of the run (" + yaml::format_duration_ns(end_ns) + ")";
        } else {
            r.passed = true;
            r.detail = "did not happen during the run (" + yaml::format_duration_ns(end_ns) + ")";
        }
        r.decided_at_ns = end_ns;
    }
}

bool ExpectationMonitor::all_decided() const {
    for (const auto& r : results_)
        if (!r.passed) return false;
    return true;
}

bool ExpectationMonitor::all_passed() const {
    for (const auto& r : results_)
        if (!r.passed || !*r.passed) return false;
    return true;
}

std::uint64_t ExpectationMonitor::next_deadline(std::uint64_t after_ns) const {
    std::uint64_t best = 0;
    for (const auto& r : results_) {
        if (r.passed) continue;
        const auto& x = *r.expectation;
        const std::uint64_t t = x.kind == Expectation::Kind::occurs ? (x.within_ns ? x.within_ns + 1 : 0) : x.for_ns;
        if (t > after_ns && (best == 0 || t < best)) best = t;
    }
    return best;
}

}  // namespace svp::scenario

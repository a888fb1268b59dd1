// Deciding a scenario's expectations from the event log, as events arrive (so a run can stop
// once everything is decided) and at the end.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/events/event.h"
#include "scenarios/engine/scenario.h"

namespace svp::scenario {

struct ExpectationResult {
    const Expectation* expectation = nullptr;
    std::optional<bool> passed;  // unset while undecided
    std::string detail;          // what decided it
    std::uint64_t decided_at_ns = 0;
};

class ExpectationMonitor {
public:
    explicit ExpectationMonitor(const std::vector<Expectation>& expectations);

    void on_event(const Event& e);
    // Simulated time has reached `now_ns`: windows that closed decide.
    void advance(std::uint64_t now_ns);
    // The run ended at `end_ns`: everything still open decides.
    void finish(std::uint64_t end_ns);

    bool all_decided() const;
    bool all_passed() const;
    const std::vector<ExpectationResult>& results() const { return results_; }
    // The latest time at which some window closes (0 when none is timed).
    std::uint64_t next_deadline(std::uint64_t after_ns) const;

private:
    static bool matches(const Expectation& x, const Event& e);
    std::vector<ExpectationResult> results_;
};

}  // namespace svp::scenario

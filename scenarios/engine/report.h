// What a person (or CI) reads after a run: a summary of one scenario (milestones of the run
// and each expectation with what decided it), a table over many, and JUnit XML.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenarios/engine/run.h"

namespace svp::scenario {

// The outcome of a scenario run, in a form that survives a process boundary (-j N).
struct Outcome {
    std::string name, file, error;  // error: the run could not happen (exit 2 material)
    std::vector<std::string> tags;
    bool passed = false;
    std::uint64_t sim_end_ns = 0;
    double wall_s = 0;
    struct Check {
        std::string expectation, detail;
        bool passed = false;
        int line = 0;
        std::string source;  // the file the expectation was written in (a fragment or the scenario)
    };
    std::vector<Check> checks;
    std::vector<std::string> milestones;  // "  0.012 s  sec.boot  image.verified  stage=os-kernel ..."
    std::string timings;                  // "app core released 12.4 ms · apps running 48.1 ms · ..."

    static Outcome from(const RunResult& r);
    nlohmann::json to_json() const;
    static Outcome from_json(const nlohmann::json& j);
};

std::string format_summary(const Outcome& o);
std::string format_table(const std::vector<Outcome>& outcomes);
std::string format_junit(const std::vector<Outcome>& outcomes);

}  // namespace svp::scenario

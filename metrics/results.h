// The results of a sweep: one record per (variant, parameter value, scenario) run with its
// metrics, written as JSON (everything, samples and boot timelines included; the report reads
// it) and as CSV (one row per run and metric, for spreadsheets and scripts).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/metrics.h"

namespace svp::metrics {

struct RunRecord {
    std::string variant;        // as given to --variants
    std::string set;            // the --set value of this run ("cores.a7.clock_mhz=800"), or ""
    std::string scenario;       // the scenario file's stem
    std::string scenario_file;
    std::string status;         // pass, fail (an expectation failed), error (no result)
    std::string error;
    double wall_s = 0;          // host time of the run (not a metric: it depends on the host)
    RunMetrics metrics;
    // "mt3620" or "mt3620 cores.a7.clock_mhz=800": one configuration of the sweep.
    std::string configuration() const { return set.empty() ? variant : variant + " " + set; }
};

struct SweepResults {
    std::vector<RunRecord> runs;
    double wall_s = 0;
    int jobs = 1;
    // Configurations in sweep order (first appearance).
    std::vector<std::string> configurations() const;
    std::vector<std::string> scenarios() const;
    const RunRecord* find(const std::string& configuration, const std::string& scenario) const;
};

nlohmann::json to_json(const SweepResults& results);
// Throws InputError naming `where` for anything that is not a results file.
SweepResults results_from_json(const nlohmann::json& j, const std::string& where);
SweepResults read_results(const std::string& path);  // results.json, or a sweep directory holding one
std::string to_csv(const SweepResults& results);

}  // namespace svp::metrics

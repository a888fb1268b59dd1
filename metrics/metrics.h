// Metrics of one run, computed from its event log (rule 3 of the design): the run's events
// and the model counters the engine writes at the end (sim/counters). Each metric is declared
// once, with its unit and a one-line description, in metrics.def (gem5-style statistics).
// A metric the log cannot support (no update in the run, no power figures in the variant) is
// absent from the result, never guessed.
#pragma once

#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/events/event.h"

namespace svp::metrics {

struct MetricInfo {
    std::string_view name;  // may hold one `*`: "cpu.*.cycles" stands for "cpu.a7.cycles"
    std::string_view unit;
    std::string_view doc;
};

std::span<const MetricInfo> all_metrics();
// The declaration a concrete name belongs to ("cpu.a7.cycles" -> "cpu.*.cycles"), or nullptr.
const MetricInfo* find_metric(std::string_view name);
// Position of a name's declaration in metrics.def (for ordering tables); unknown names last.
std::size_t metric_order(std::string_view name);

// One phase of the first boot, in simulated milliseconds from the security core's reset.
struct BootPhase {
    std::string name;
    double start_ms = 0, end_ms = 0;
};

struct RunMetrics {
    std::map<std::string, double> values;                // metric name -> value
    std::map<std::string, std::vector<double>> samples;  // every sample of a latency metric (CDFs)
    std::vector<BootPhase> boot_timeline;
};

// Computes every metric the log supports. Events of the cloud stub (dev "cloud", "spoof") are
// ignored except where a metric says so; the device is the first other `dev` in the log.
RunMetrics compute(const std::vector<Event>& events);

// Reads a JSON-lines event log; throws InputError naming file:line for a malformed line.
std::vector<Event> read_event_log(const std::filesystem::path& path);

}  // namespace svp::metrics

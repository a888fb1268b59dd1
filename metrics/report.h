// The comparison report: one self-contained HTML page (inline CSS and SVG drawn here; no
// script, no network) with, for every metric, a table across configurations and scenarios and
// a bar chart; CDFs of the latency metrics that have samples; and each configuration's boot
// as a timeline of its phases.
#pragma once

#include <string>

#include "metrics/results.h"

namespace svp::metrics {

std::string render_report(const SweepResults& results, const std::string& title = "spherevp: variant comparison");

}  // namespace svp::metrics

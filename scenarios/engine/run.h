// Running one scenario in this process: start the cloud stub (its own process), build the
// images the scenario describes, assemble and provision the device from its variant, run the
// simulation with the timeline's actions, decide the expectations, write the event log.
// One simulation per process (SystemC elaborates once); `spherevp run` runs several
// scenarios as several processes.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/events/event.h"
#include "platform/variant.h"
#include "scenarios/engine/expectations.h"
#include "scenarios/engine/scenario.h"

namespace svp::scenario {

struct RunOptions {
    std::filesystem::path events_file;      // empty: do not write
    std::filesystem::path spherevp_binary;  // to start `spherevp cloud serve`
    std::filesystem::path work_dir;         // empty: a fresh temporary directory
    bool keep_work_dir = false;
    std::filesystem::path vcd_file;          // empty: no waveform (interrupts, core resets, pins)
    std::filesystem::path trace_file;        // empty: no bus trace (.json: Chrome/Perfetto, else JSON lines)
    std::vector<std::string> trace_filters;  // "initiator=a7,sec", "range=0x38000000-0x38ffffff"
    std::string variant;                     // non-empty: run on this variant instead of the scenario's
    std::vector<VariantOverride> variant_overrides;  // values of the variant file replaced (sweeps)
    // Regression power: run on a test variant derived from the scenario's with these defences
    // switched off (common/defences/defences.def). The event log says so at t = 0.
    std::vector<std::string> defences_off;
    // The real-time cores' quantum (tlm_global_quantum); 0: the default, 1 us.
    std::uint64_t quantum_ns = 0;
};

struct RunResult {
    std::string name, file;
    std::vector<std::string> tags;
    bool passed = false;
    std::uint64_t sim_end_ns = 0;
    double wall_s = 0;
    std::vector<ExpectationResult> expectations;  // pointers into `scenario`
    std::vector<Event> events;                    // the merged log (device + cloud)
    std::string console;                          // what the device printed on its UART
};

RunResult run(const Scenario& scenario, const RunOptions& options);

// The merged event log as JSON lines (what --events writes).
std::string events_to_jsonl(const std::vector<Event>& events);

}  // namespace svp::scenario

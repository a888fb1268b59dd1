// The bus trace (`spherevp run --trace FILE`): every transaction through the router, as JSON
// lines or as a Chrome/Perfetto trace (ui.perfetto.dev, chrome://tracing), one track per
// initiator. Filters keep only some initiators or address ranges.
//
// What it sees is what crosses the router. Reads and writes through DMI pointers (memory, once
// an initiator holds a pointer) bypass the bus and are not in the trace; a memory the variant
// marks `dmi: false` is traced in full.
//
// JSON lines:  {"t_ps":…,"dur_ps":…,"initiator":"a7","cmd":"read","addr":"0x38070514","len":4,
//               "region":"uart_a7","status":"ok"}
// Chrome:      {"traceEvents":[{"name":"read uart_a7","ph":"X","ts":µs,"dur":µs,"pid":1,"tid":id,…}]}
#pragma once

#include <cstdint>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "models/bus/router.h"

namespace svp {

struct BusTraceFilter {
    std::set<std::string> initiators;                            // empty: every initiator
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;  // [first, last]; empty: everywhere
    bool accepts(std::string_view initiator, std::uint64_t address) const;
};

// "initiator=a7,sec" or "range=0x38000000-0x38ffffff" (several filters: all must hold, and a
// key given twice widens it). Throws InputError naming the bad part.
void add_bus_trace_filter(BusTraceFilter& filter, const std::string& spec);

class BusTrace {
public:
    enum class Format { json_lines, chrome };
    // Opens `path` (throws std::runtime_error if it cannot); `initiators` names the tracks.
    BusTrace(const std::string& path, Format format, BusTraceFilter filter, std::vector<std::string> initiators);
    ~BusTrace();  // completes the file (a Chrome trace needs its closing bracket)
    BusTrace(const BusTrace&) = delete;
    BusTrace& operator=(const BusTrace&) = delete;

    void attach(Router& router);
    void record(const BusRegion* region, const tlm::tlm_generic_payload& tx, sc_core::sc_time start, sc_core::sc_time duration);
    std::uint64_t recorded() const { return recorded_; }

    // jsonl unless the name ends in .json (Chrome trace).
    static Format format_for(const std::string& path);

private:
    std::ofstream out_;
    Format format_;
    BusTraceFilter filter_;
    std::vector<std::string> initiators_;
    std::uint64_t recorded_ = 0;
};

}  // namespace svp

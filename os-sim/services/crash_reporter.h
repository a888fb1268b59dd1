// The crash reporter (failure reporting, the seventh property of highly secure devices,
// reference §5): when an app exits or crashes, a failure report is written to flash at once, so
// it survives a reset, and uploaded to the cloud (POST /v1/reports, mutual TLS) after a short
// batching delay. Reports leave the flash only when the cloud has acknowledged them; each
// keeps its sequence number across resets, and the cloud stores each number once, so a report
// reaches the cloud exactly once even when a reset falls between upload and removal. The
// queue holds at most 1,000 reports (reference §4): beyond that the oldest is dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <systemc>

#include "common/protocol/updates.h"

namespace svp::os {

class Kernel;
struct Process;

class CrashReporter {
public:
    static constexpr const char* kQueuePrefix = "crash/q/";
    static constexpr const char* kNextSeqKey = "crash/next";
    static constexpr std::size_t kBatch = 50;

    explicit CrashReporter(Kernel& kernel) : kernel_(kernel) {}
    int run(Process& self);  // the service's loop
    // Writes a report to the queue on flash (assigning its sequence number); false if the
    // store is unavailable (the report is then lost, and says so in the kernel log).
    bool enqueue(protocol::FailureReport report);
    std::size_t queued() const;
    // Uploads every queued report in batches; true when the queue is empty afterwards.
    bool upload();

private:
    std::uint64_t next_seq();
    Kernel& kernel_;
    std::optional<std::uint64_t> next_;
    sc_core::sc_event queued_event_;
};

}  // namespace svp::os

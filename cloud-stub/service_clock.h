// The cloud stub's one clock. Standalone it is wall time; under a scenario it is the runner's
// clock file (epoch + simulated time), so nonce expiry, certificate lifetimes and handshake
// verification are decided in simulated time and a run never depends on host speed.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "cloud-stub/clock_file.h"

namespace svp::cloud {

class ServiceClock {
public:
    static ServiceClock wall();
    static ServiceClock from_file(const std::filesystem::path& clock_file);

    std::int64_t now_unix_ns() const;
    std::int64_t now_unix_s() const { return now_unix_ns() / 1'000'000'000; }

    // The t_ns of an event and of a log line: simulated time with a clock file (so the cloud's
    // events merge into the scenario's log); without one, nanoseconds since the stub started.
    std::uint64_t event_time_ns() const;

    // True with a clock file: the service must then set no wall-clock timeouts, because a
    // simulation may hold a connection open for as long as it computes.
    bool is_simulated() const { return file_ != nullptr; }

private:
    std::shared_ptr<ClockFileReader> file_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace svp::cloud

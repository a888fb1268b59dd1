// Text logging (spdlog). Every line carries the time of the thing being logged: simulated time
// inside a simulation (models/base installs that clock), the service clock in the cloud stub.
// Format: "[  1.234567890 s] [sec.boot] [info] message".
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace svp::log {

// Parses "trace|debug|info|warn|error|off"; throws InputError for anything else.
spdlog::level::level_enum parse_level(std::string_view text);

// Sends every logger to stderr at `level`. Call once, early in main().
void setup(spdlog::level::level_enum level);

// The clock printed on each line, in nanoseconds.
void set_time_source(std::function<std::uint64_t()> now_ns);

// The logger for one component ("sec.boot", "bus.router", "cloud.http", ...); created on
// first use with the process-wide sink and level.
std::shared_ptr<spdlog::logger> get(const std::string& component);

}  // namespace svp::log

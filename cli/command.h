// How a subcommand plugs into the `spherevp` binary. Each cmd_*.cpp file registers its
// subcommands with a register_* function; the action it sets returns the exit code:
//   0  every expectation met (or the command did what was asked)
//   1  an expectation failed (a scenario, a verification)
//   2  invalid input: a message `file:line: what is wrong` on stderr
// Any other code means spherevp itself failed (a bug): please report it.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace svp::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitExpectationFailed = 1;
inline constexpr int kExitInvalidInput = 2;
inline constexpr int kExitInternalError = 70;  // EX_SOFTWARE

void set_action(CLI::App* command, std::function<int()> action);

// Options every simulation-running command shares.
struct CommonOptions {
    std::string log_level = "warn";
};
CommonOptions& common_options();

void register_image(CLI::App& root);
void register_events(CLI::App& root);
void register_run(CLI::App& root);
void register_platform(CLI::App& root);
void register_cloud(CLI::App& root);
void register_iss(CLI::App& root);
void register_sweep(CLI::App& root);  // sweep and report

}  // namespace svp::cli

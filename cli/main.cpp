// spherevp: one binary, subcommands (../docs/cli.md). See command.h for the exit codes.
#include <iostream>

#include "cli/command.h"
#include "common/util/input_error.h"
#include "common/util/log.h"

namespace svp::cli {
namespace {
std::function<int()> g_action;
}

void set_action(CLI::App* command, std::function<int()> action) {
    command->callback([action = std::move(action)] { g_action = action; });
}

CommonOptions& common_options() {
    static CommonOptions options;
    return options;
}

}  // namespace svp::cli

// SystemC's library wants an sc_main; our own main drives the kernel (sc_start) instead.
extern "C" int sc_main(int, char**) { return 0; }

int main(int argc, char** argv) {
    using namespace svp::cli;
    CLI::App app{"spherevp: a full-system virtual platform for Azure-Sphere-class crossover MCUs.\n"
                 "Exit codes: 0 all expectations met, 1 an expectation failed, 2 invalid input.",
                 "spherevp"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "spherevp 0.1.0");
    app.add_option("--log-level", common_options().log_level,
                   "text log level on stderr: trace, debug, info, warn, error, off")
        ->capture_default_str();
    register_run(app);
    register_platform(app);
    register_image(app);
    register_events(app);
    register_cloud(app);
    register_iss(app);
    register_sweep(app);

    try {
        app.parse(argc, argv);
        svp::log::setup(svp::log::parse_level(common_options().log_level));
        return g_action ? g_action() : kExitOk;
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? kExitOk : kExitInvalidInput;
    } catch (const svp::InputError& e) {
        std::cerr << "spherevp: error: " << e.what() << "\n";
        return kExitInvalidInput;
    } catch (const std::exception& e) {
        std::cerr << "spherevp: internal error: " << e.what() << "\n";
        return kExitInternalError;
    }
}

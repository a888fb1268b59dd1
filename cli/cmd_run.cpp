// `spherevp run FILES...`: run scenarios and report. One scenario runs in this process;
// several run as separate processes, -j at a time (SystemC elaborates once per process).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/command.h"
#include "common/util/input_error.h"
#include "common/util/subprocess.h"
#include "scenarios/engine/report.h"
#include "scenarios/engine/run.h"
#include "scenarios/engine/scenario.h"

namespace svp::cli {
namespace {

namespace fs = std::filesystem;

struct RunArgs {
    std::vector<std::string> files;
    int jobs = 2;
    std::string events, junit, filter, result_json, vcd, trace;
    std::vector<std::string> trace_filters;
    std::string variant;
    std::vector<std::string> sets;
    bool quiet = false, json = false, keep_work = false;
} g_args;

fs::path self_binary() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw std::runtime_error("cannot locate the spherevp binary (/proc/self/exe)");
    return p;
}

bool has_tag(const scenario::Scenario& s, const std::string& tag) {
    return std::find(s.tags.begin(), s.tags.end(), tag) != s.tags.end();
}

// Runs one scenario here; returns its outcome (errors in the file propagate as InputError).
scenario::Outcome run_here(const std::string& file, const fs::path& events_file) {
    const auto s = scenario::load(file);
    scenario::RunOptions o;
    o.events_file = events_file;
    o.spherevp_binary = self_binary();
    o.keep_work_dir = g_args.keep_work;
    o.vcd_file = g_args.vcd;
    o.trace_file = g_args.trace;
    o.trace_filters = g_args.trace_filters;
    o.variant = g_args.variant;
    for (const auto& text : g_args.sets) o.variant_overrides.push_back(parse_variant_override(text));
    return scenario::Outcome::from(scenario::run(s, o));
}

fs::path events_path_for(const std::string& file, std::size_t count) {
    if (g_args.events.empty()) return {};
    if (count == 1 && !fs::is_directory(g_args.events)) return g_args.events;
    fs::create_directories(g_args.events);
    return fs::path(g_args.events) / (fs::path(file).stem().string() + ".jsonl");
}

int run_single(const std::string& file) {
    scenario::Outcome outcome;
    try {
        outcome = run_here(file, events_path_for(file, 1));
    } catch (const InputError& e) {
        if (!g_args.result_json.empty()) {
            scenario::Outcome err;
            err.file = file;
            err.name = fs::path(file).stem().string();
            err.error = e.what();
            std::ofstream(g_args.result_json) << err.to_json().dump();
        }
        throw;
    }
    if (!g_args.result_json.empty()) std::ofstream(g_args.result_json) << outcome.to_json().dump();
    if (g_args.json)
        std::cout << outcome.to_json().dump(2) << "\n";
    else if (!g_args.quiet)
        std::cout << scenario::format_summary(outcome);
    if (!g_args.junit.empty()) std::ofstream(g_args.junit) << scenario::format_junit({outcome});
    return outcome.passed ? kExitOk : kExitExpectationFailed;
}

int run_many(const std::vector<std::string>& files) {
    const auto tmp = fs::temp_directory_path() / fmt::format("spherevp-run-{}", ::getpid());
    fs::create_directories(tmp);
    struct Job {
        std::string file;
        fs::path result;
        std::optional<Subprocess> process;
    };
    std::vector<Job> jobs;
    for (std::size_t i = 0; i < files.size(); ++i) jobs.push_back({files[i], tmp / fmt::format("{}.json", i), {}});
    std::vector<scenario::Outcome> outcomes(files.size());
    const bool tty = ::isatty(STDERR_FILENO);
    std::size_t next = 0, done = 0, running = 0;
    const auto started = std::chrono::steady_clock::now();
    auto progress = [&] {
        if (g_args.quiet) return;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::cerr << fmt::format("{}[{}/{}] {} running, {:.1f} s{}", tty ? "\r" : "", done, files.size(), running, elapsed,
                                 tty ? "   " : "\n");
    };
    while (done < files.size()) {
        while (running < static_cast<std::size_t>(std::max(1, g_args.jobs)) && next < files.size()) {
            auto& j = jobs[next++];
            std::vector<std::string> argv = {self_binary().string(), "--log-level", common_options().log_level, "run",
                                             j.file, "--quiet", "--result-json", j.result.string()};
            if (!g_args.variant.empty()) argv.insert(argv.end(), {"--variant", g_args.variant});
            for (const auto& set : g_args.sets) argv.insert(argv.end(), {"--set", set});
            if (auto ev = events_path_for(j.file, files.size()); !ev.empty()) {
                argv.push_back("--events");
                argv.push_back(ev.string());
            }
            j.process = Subprocess::start(argv, {false, ""});
            ++running;
        }
        progress();
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            auto& j = jobs[i];
            if (!j.process || !j.process->running()) continue;
            if (auto status = j.process->poll()) {
                --running;
                ++done;
                try {
                    outcomes[i] = scenario::Outcome::from_json(nlohmann::json::parse(read_text_file(j.result)));
                } catch (const std::exception&) {
                    outcomes[i].file = j.file;
                    outcomes[i].name = fs::path(j.file).stem().string();
                    outcomes[i].error = fmt::format("the run ended with status {} and no result", *status);
                }
            }
        }
        if (running > 0) ::usleep(20'000);  // the children do the work; check on them 50 times a second
    }
    progress();
    if (!g_args.quiet && tty) std::cerr << "\n";
    fs::remove_all(tmp);
    if (g_args.json) {
        nlohmann::json all = nlohmann::json::array();
        for (const auto& o : outcomes) all.push_back(o.to_json());
        std::cout << all.dump(2) << "\n";
    } else {
        std::cout << scenario::format_table(outcomes);
    }
    if (!g_args.junit.empty()) std::ofstream(g_args.junit) << scenario::format_junit(outcomes);
    bool invalid = false, failed = false;
    for (const auto& o : outcomes) {
        invalid = invalid || !o.error.empty();
        failed = failed || (o.error.empty() && !o.passed);
    }
    return invalid ? kExitInvalidInput : failed ? kExitExpectationFailed : kExitOk;
}

}  // namespace

void register_run(CLI::App& root) {
    auto* cmd = root.add_subcommand("run", "run scenario files and check their expectations (exit 0 all met, 1 one failed, 2 invalid input)");
    cmd->add_option("files", g_args.files, "scenario files (YAML); see scenarios/README.md")->required()->check(CLI::ExistingFile);
    cmd->add_option("-j,--jobs", g_args.jobs, "scenarios to run at once, each in its own process")->capture_default_str();
    cmd->add_option("--events", g_args.events, "write the event log (JSON lines): a file for one scenario, a directory for several");
    cmd->add_option("--junit", g_args.junit, "write a JUnit XML report");
    cmd->add_option("--filter", g_args.filter, "run only scenarios carrying this tag (a threat id like B7, or any tag)");
    cmd->add_flag("--quiet", g_args.quiet, "print nothing but errors; the exit code tells the result");
    cmd->add_flag("--json", g_args.json, "print results as JSON");
    cmd->add_flag("--keep-work", g_args.keep_work, "keep each run's work directory (cloud database, logs)");
    cmd->add_option("--vcd", g_args.vcd, "write a VCD waveform (GTKWave): interrupt lines, core resets, GPIO pins (one scenario)");
    cmd->add_option("--trace", g_args.trace, "write the bus transactions: FILE.json is a Chrome/Perfetto trace, else JSON lines (one scenario)");
    cmd->add_option("--trace-filter", g_args.trace_filters, "keep only initiator=NAME[,NAME] or range=FIRST-LAST (repeatable)");
    cmd->add_option("--variant", g_args.variant, "run on this variant (a name or a file) instead of the one each scenario names");
    cmd->add_option("--set", g_args.sets, "replace one value of the variant, KEY=VALUE (repeatable): cores.a7.clock_mhz=800, "
                                          "security.crypto.ecdsa_p256_verify_cycles=600000, memories.flash.wait_states.read=4");
    cmd->add_option("--result-json", g_args.result_json)->group("");  // internal: a child's result for the parent
    set_action(cmd, [] {
        std::vector<std::string> files;
        for (const auto& f : g_args.files) {
            if (!g_args.filter.empty() && !has_tag(scenario::load(f), g_args.filter)) continue;
            files.push_back(f);
        }
        if (files.empty()) {
            std::cerr << "spherevp: no scenario matches --filter " << g_args.filter << "\n";
            return kExitInvalidInput;
        }
        if (files.size() > 1 && (!g_args.vcd.empty() || !g_args.trace.empty())) {
            std::cerr << "spherevp: --vcd and --trace record one scenario; give one file\n";
            return kExitInvalidInput;
        }
        return files.size() == 1 ? run_single(files.front()) : run_many(files);
    });
}

}  // namespace svp::cli

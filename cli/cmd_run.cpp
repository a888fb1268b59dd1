// `spherevp run FILES...`: run scenarios and report. One scenario runs in this process;
// several run as separate processes, -j at a time (SystemC elaborates once per process).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/command.h"
#include "common/defences/defences.h"
#include "common/util/input_error.h"
#include "common/util/subprocess.h"
#include "platform/yaml_reader.h"
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
    std::vector<std::string> trace_filters, defences_off;
    std::string variant, quantum;
    std::vector<std::string> sets;
    bool quiet = false, json = false, keep_work = false, regression_power = false;
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

// `--quantum 10us`: how far a real-time core may run ahead of the rest of the platform.
std::uint64_t parse_quantum(const std::string& text) {
    const auto ns = yaml::parse_duration_ns(YAML::Node(text), "--quantum", "quantum");
    if (ns == 0 || ns > 1'000'000'000ull) throw InputError("--quantum: between 1 ns and 1 s (e.g. 1us, 10us)");
    return ns;
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
    o.defences_off = g_args.defences_off;
    if (!g_args.quantum.empty()) o.quantum_ns = parse_quantum(g_args.quantum);
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

// One child run: a scenario file, with some defences switched off (regression power).
struct JobSpec {
    std::string file;
    std::vector<std::string> defences_off;
};

// Runs every job as its own process, -j at a time, with progress on stderr.
std::vector<scenario::Outcome> run_processes(const std::vector<JobSpec>& specs) {
    const auto tmp = fs::temp_directory_path() / fmt::format("spherevp-run-{}", ::getpid());
    fs::create_directories(tmp);
    struct Job {
        JobSpec spec;
        fs::path result;
        std::optional<Subprocess> process;
    };
    std::vector<Job> jobs;
    for (std::size_t i = 0; i < specs.size(); ++i) jobs.push_back({specs[i], tmp / fmt::format("{}.json", i), {}});
    std::vector<scenario::Outcome> outcomes(specs.size());
    const bool tty = ::isatty(STDERR_FILENO);
    std::size_t next = 0, done = 0, running = 0;
    const auto started = std::chrono::steady_clock::now();
    std::size_t reported = static_cast<std::size_t>(-1);
    auto progress = [&] {
        if (g_args.quiet) return;
        if (!tty && reported == done) return;  // a log file gets one line per finished run, not 50 a second
        reported = done;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::cerr << fmt::format("{}[{}/{}] {} running, {:.1f} s{}", tty ? "\r" : "", done, specs.size(), running, elapsed,
                                 tty ? "   " : "\n");
    };
    while (done < specs.size()) {
        while (running < static_cast<std::size_t>(std::max(1, g_args.jobs)) && next < specs.size()) {
            auto& j = jobs[next++];
            std::vector<std::string> argv = {self_binary().string(), "--log-level", common_options().log_level, "run",
                                             j.spec.file, "--quiet", "--result-json", j.result.string()};
            if (!g_args.variant.empty()) argv.insert(argv.end(), {"--variant", g_args.variant});
            for (const auto& set : g_args.sets) argv.insert(argv.end(), {"--set", set});
            if (!g_args.quantum.empty()) argv.insert(argv.end(), {"--quantum", g_args.quantum});
            if (auto ev = events_path_for(j.spec.file, specs.size()); !ev.empty() && j.spec.defences_off.empty()) {
                argv.push_back("--events");
                argv.push_back(ev.string());
            }
            for (const auto& d : j.spec.defences_off) {
                argv.push_back("--defence-off");
                argv.push_back(d);
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
                    outcomes[i].file = j.spec.file;
                    outcomes[i].name = fs::path(j.spec.file).stem().string();
                    outcomes[i].error = fmt::format("the run ended with status {} and no result", *status);
                }
            }
        }
        if (running > 0) ::usleep(20'000);  // the children do the work; check on them 50 times a second
    }
    progress();
    if (!g_args.quiet && tty) std::cerr << "\n";
    fs::remove_all(tmp);
    return outcomes;
}

int run_many(const std::vector<std::string>& files) {
    std::vector<JobSpec> specs;
    for (const auto& f : files) specs.push_back({f, g_args.defences_off});
    const auto outcomes = run_processes(specs);
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

// `--regression-power`: every scenario as it is (it must pass), then once per defence it lists
// with that defence switched off (it must fail). Prints (defence, scenario, caught) and the
// fraction caught; a defence no scenario exercises counts as not caught.
int run_regression_power(const std::vector<std::string>& files) {
    std::vector<JobSpec> specs;
    std::vector<std::string> names;
    for (const auto& f : files) {
        const auto sc = scenario::load(f);
        specs.push_back({f, {}});
        names.push_back(sc.name);
        for (const auto& d : sc.defences) {
            specs.push_back({f, {d}});
            names.push_back(sc.name);
        }
    }
    const auto outcomes = run_processes(specs);
    struct Row {
        std::string defence, scenario, verdict;
        bool caught;
    };
    std::vector<Row> rows;
    std::map<std::string, bool> baseline_ok;
    for (std::size_t i = 0; i < specs.size(); ++i)
        if (specs[i].defences_off.empty()) baseline_ok[specs[i].file] = outcomes[i].error.empty() && outcomes[i].passed;
    bool invalid = false;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const auto& o = outcomes[i];
        invalid = invalid || !o.error.empty();
        if (specs[i].defences_off.empty()) continue;
        const bool caught = baseline_ok[specs[i].file] && o.error.empty() && !o.passed;
        std::string verdict = !baseline_ok[specs[i].file] ? "scenario fails even with every defence on"
                              : !o.error.empty()           ? o.error
                              : o.passed                   ? "still passes: the suite would not notice this defence missing"
                                                           : "fails as it should";
        rows.push_back({specs[i].defences_off.front(), names[i], verdict, caught});
    }
    std::set<std::string> exercised;
    for (const auto& r : rows) exercised.insert(r.defence);
    for (const auto& d : all_defences())
        if (!exercised.count(std::string(d.name))) rows.push_back({std::string(d.name), "-", "no scenario exercises it", false});
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return std::tie(a.defence, a.scenario) < std::tie(b.defence, b.scenario); });
    std::size_t caught = 0;
    for (const auto& r : rows) caught += r.caught;
    const double power = rows.empty() ? 0.0 : static_cast<double>(caught) / static_cast<double>(rows.size());
    if (g_args.json) {
        nlohmann::json j = {{"power", power}, {"caught", caught}, {"total", rows.size()}, {"rows", nlohmann::json::array()}};
        for (const auto& r : rows) j["rows"].push_back({{"defence", r.defence}, {"scenario", r.scenario}, {"caught", r.caught}, {"detail", r.verdict}});
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << fmt::format("{:<26} {:<40} {:<6} {}\n", "defence", "scenario", "caught", "detail");
        for (const auto& r : rows) std::cout << fmt::format("{:<26} {:<40} {:<6} {}\n", r.defence, r.scenario, r.caught ? "yes" : "NO", r.verdict);
        std::cout << fmt::format("\nregression power {:.2f}: {} of {} defence/scenario pairs caught\n", power, caught, rows.size());
    }
    if (invalid) return kExitInvalidInput;
    return caught == rows.size() ? kExitOk : kExitExpectationFailed;
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
    cmd->add_option("--quantum", g_args.quantum,
                    "how far a real-time core may run ahead of the platform before it synchronises (default 1us): "
                    "10us runs two busy cores ~1.6x faster; an interrupt another core or the A7 raises may then be seen up to that late");
    cmd->add_option("--defence-off", g_args.defences_off,
                    "run on a test variant with this defence switched off (repeatable; `spherevp events --defences` lists them)");
    cmd->add_flag("--regression-power", g_args.regression_power,
                  "run each scenario, then once per defence it lists (defences:) with that defence off; print what the suite catches");
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
        if (g_args.regression_power) return run_regression_power(files);
        return files.size() == 1 ? run_single(files.front()) : run_many(files);
    });
}

}  // namespace svp::cli

// `spherevp sweep`: every combination of variants (optionally one variant parameter over
// several values) and scenarios, each run as its own `spherevp run` process, -j at a time
// (as `spherevp run -j` does: SystemC elaborates once per process). Each run's event log is
// kept; the metrics computed from it go to DIR/results.json and DIR/results.csv.
//
// `spherevp report RESULTS -o report.html`: the self-contained comparison page.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/command.h"
#include "common/util/bytes.h"
#include "common/util/input_error.h"
#include "common/util/subprocess.h"
#include "metrics/report.h"
#include "metrics/results.h"
#include "platform/variant.h"
#include "scenarios/engine/report.h"
#include "scenarios/engine/scenario.h"

namespace svp::cli {
namespace {

namespace fs = std::filesystem;

struct SweepArgs {
    std::vector<std::string> variants, scenarios;
    std::string set, out;
    int jobs = 2;
    bool quiet = false;
} g_sweep;

struct ReportArgs {
    std::string results, out, title = "spherevp: variant comparison";
} g_report;

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::size_t at = 0;
    for (;;) {
        const auto next = text.find(sep, at);
        out.push_back(text.substr(at, next - at));
        if (next == std::string::npos) return out;
        at = next + 1;
    }
}

std::string file_safe(const std::string& s) {
    std::string out;
    for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ? c : '_';
    return out;
}

fs::path self_binary() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw std::runtime_error("cannot locate the spherevp binary (/proc/self/exe)");
    return p;
}

int sweep() {
    // ---- check everything before the first run starts: bad input is exit 2, not a failed run
    std::vector<std::string> variants;
    for (const auto& v : g_sweep.variants)
        for (const auto& name : split(v, ','))
            if (!name.empty()) variants.push_back(name);
    if (variants.empty()) throw InputError("--variants: name at least one variant (`spherevp platform list`)");
    std::vector<std::string> sets = {""};
    if (!g_sweep.set.empty()) {
        const auto o = parse_variant_override(g_sweep.set);
        sets.clear();
        for (const auto& value : split(o.value, ',')) {
            if (value.empty()) throw InputError(fmt::format("--set {}: an empty value in the list", g_sweep.set));
            sets.push_back(o.key + "=" + value);
        }
    }
    for (const auto& v : variants)
        for (const auto& s : sets) {
            std::vector<VariantOverride> o;
            if (!s.empty()) o.push_back(parse_variant_override(s));
            load_variant(find_variant(v), o);  // throws file:line for an unknown key or a bad value
        }
    for (const auto& f : g_sweep.scenarios) scenario::load(f);

    const fs::path out = g_sweep.out;
    fs::create_directories(out / "events");
    fs::create_directories(out / "logs");
    struct Job {
        metrics::RunRecord record;
        fs::path events, result, log;
        std::optional<Subprocess> process;
    };
    std::vector<Job> jobs;
    for (const auto& v : variants)
        for (const auto& s : sets)
            for (const auto& f : g_sweep.scenarios) {
                Job j;
                j.record.variant = v;
                j.record.set = s;
                j.record.scenario = fs::path(f).stem().string();
                j.record.scenario_file = f;
                const auto stem = file_safe(fmt::format("{}{}{}--{}", v, s.empty() ? "" : "--", s, j.record.scenario));
                j.events = out / "events" / (stem + ".jsonl");
                j.result = out / "logs" / (stem + ".result.json");
                j.log = out / "logs" / (stem + ".log");
                jobs.push_back(std::move(j));
            }

    const bool tty = ::isatty(STDERR_FILENO);
    const auto started = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
    std::size_t next = 0, done = 0, running = 0;
    auto progress = [&](const std::string& last) {
        if (g_sweep.quiet) return;
        std::cerr << fmt::format("{}[{}/{}] {} running, {:.1f} s{}{}", tty ? "\r\033[K" : "", done, jobs.size(), running, elapsed(),
                                 last.empty() ? "" : "  " + last, tty ? "" : "\n");
    };
    while (done < jobs.size()) {
        bool started_one = false;
        while (running < static_cast<std::size_t>(std::max(1, g_sweep.jobs)) && next < jobs.size()) {
            auto& j = jobs[next++];
            std::vector<std::string> argv = {self_binary().string(), "--log-level", common_options().log_level, "run",
                                             j.record.scenario_file, "--quiet", "--variant", j.record.variant,
                                             "--events", j.events.string(), "--result-json", j.result.string()};
            if (!j.record.set.empty()) argv.insert(argv.end(), {"--set", j.record.set});
            j.process = Subprocess::start(argv, {false, j.log.string()});
            ++running;
            started_one = true;
        }
        if (started_one) progress("");  // a line per change, not per poll (logs and CI read it)
        for (auto& j : jobs) {
            if (!j.process || !j.process->running()) continue;
            auto status = j.process->poll();
            if (!status) continue;
            --running;
            ++done;
            auto& r = j.record;
            try {
                const auto o = scenario::Outcome::from_json(nlohmann::json::parse(read_text_file(j.result)));
                r.wall_s = o.wall_s;
                r.error = o.error;
                r.status = !o.error.empty() ? "error" : o.passed ? "pass" : "fail";
            } catch (const std::exception&) {
                r.status = "error";
                r.error = fmt::format("the run ended with status {} and no result (see {})", *status, j.log.string());
            }
            if (r.error.empty() && fs::exists(j.events)) r.metrics = metrics::compute(metrics::read_event_log(j.events));
            progress(fmt::format("{} / {}: {}", r.configuration(), r.scenario, r.status));
        }
        if (running > 0) ::usleep(20'000);  // the children do the work; check on them 50 times a second
    }
    if (!g_sweep.quiet && tty) std::cerr << "\n";

    metrics::SweepResults results;
    results.wall_s = elapsed();
    results.jobs = g_sweep.jobs;
    for (auto& j : jobs) results.runs.push_back(std::move(j.record));
    std::ofstream(out / "results.json") << metrics::to_json(results).dump(1) << "\n";
    std::ofstream(out / "results.csv") << metrics::to_csv(results);
    std::size_t failed = 0, errors = 0;
    for (const auto& r : results.runs) {
        failed += r.status == "fail";
        errors += r.status == "error";
    }
    if (!g_sweep.quiet)
        std::cout << fmt::format("{} runs in {:.1f} s ({} at a time): {} passed, {} failed an expectation, {} could not run\n"
                                 "wrote {} and {}; next: spherevp report {} -o report.html\n",
                                 results.runs.size(), results.wall_s, g_sweep.jobs, results.runs.size() - failed - errors, failed, errors,
                                 (out / "results.csv").string(), (out / "results.json").string(), out.string());
    // A failed expectation is a finding of the sweep, not its failure; a run that could not
    // happen is.
    return errors ? kExitInvalidInput : kExitOk;
}

int report() {
    const auto results = metrics::read_results(g_report.results);
    if (results.runs.empty()) throw InputError(g_report.results + ": the sweep holds no runs");
    const auto html = metrics::render_report(results, g_report.title);
    std::ofstream f(g_report.out, std::ios::trunc);
    if (!f) throw InputError(g_report.out + ": cannot write the report");
    f << html;
    std::cout << fmt::format("wrote {} ({} runs, {} configurations)\n", g_report.out, results.runs.size(), results.configurations().size());
    return kExitOk;
}

}  // namespace

void register_sweep(CLI::App& root) {
    auto* cmd = root.add_subcommand("sweep", "run every variant x scenario (x --set value) as parallel processes and collect their metrics "
                                             "into DIR/results.csv and DIR/results.json");
    cmd->add_option("--variants", g_sweep.variants, "variants to compare, comma-separated (names or files)")->required();
    cmd->add_option("--scenarios", g_sweep.scenarios, "scenario files (YAML)")->required()->check(CLI::ExistingFile);
    cmd->add_option("-j,--jobs", g_sweep.jobs, "runs at once, each in its own process")->capture_default_str()->check(CLI::Range(1, 64));
    cmd->add_option("--set", g_sweep.set, "vary one variant value over a list: KEY=V1,V2,... (cores.a7.clock_mhz=500,800,1000)");
    cmd->add_option("-o,--out", g_sweep.out, "directory for results.csv, results.json, events/ and logs/")->required();
    cmd->add_flag("--quiet", g_sweep.quiet, "no progress and no summary");
    set_action(cmd, sweep);

    auto* rep = root.add_subcommand("report", "write a self-contained HTML comparison (tables, bar charts, CDFs, boot timelines) of a sweep");
    rep->add_option("results", g_report.results, "a sweep's results.json, or its directory")->required();
    rep->add_option("-o,--out", g_report.out, "the HTML file to write")->required();
    rep->add_option("--title", g_report.title, "the page's title")->capture_default_str();
    set_action(rep, report);
}

}  // namespace svp::cli

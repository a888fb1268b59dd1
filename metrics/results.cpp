#include "metrics/results.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "common/util/bytes.h"
#include "common/util/input_error.h"

namespace svp::metrics {
namespace {

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

}  // namespace

std::vector<std::string> SweepResults::configurations() const {
    std::vector<std::string> out;
    for (const auto& r : runs)
        if (std::find(out.begin(), out.end(), r.configuration()) == out.end()) out.push_back(r.configuration());
    return out;
}

std::vector<std::string> SweepResults::scenarios() const {
    std::vector<std::string> out;
    for (const auto& r : runs)
        if (std::find(out.begin(), out.end(), r.scenario) == out.end()) out.push_back(r.scenario);
    return out;
}

const RunRecord* SweepResults::find(const std::string& configuration, const std::string& scenario) const {
    for (const auto& r : runs)
        if (r.configuration() == configuration && r.scenario == scenario) return &r;
    return nullptr;
}

nlohmann::json to_json(const SweepResults& results) {
    using nlohmann::json;
    json runs = json::array();
    for (const auto& r : results.runs) {
        json values = json::object(), samples = json::object(), timeline = json::array();
        for (const auto& [k, v] : r.metrics.values) values[k] = v;
        for (const auto& [k, v] : r.metrics.samples) samples[k] = v;
        for (const auto& p : r.metrics.boot_timeline) timeline.push_back({{"phase", p.name}, {"start_ms", p.start_ms}, {"end_ms", p.end_ms}});
        runs.push_back({{"variant", r.variant}, {"set", r.set}, {"scenario", r.scenario}, {"scenario_file", r.scenario_file},
                        {"status", r.status}, {"error", r.error}, {"wall_s", r.wall_s}, {"metrics", values},
                        {"samples", samples}, {"boot_timeline", timeline}});
    }
    json units = json::object();
    for (const auto& m : all_metrics()) units[std::string(m.name)] = {{"unit", m.unit}, {"description", m.doc}};
    return {{"format", "spherevp-sweep/1"}, {"wall_s", results.wall_s}, {"jobs", results.jobs}, {"metrics", units}, {"runs", runs}};
}

SweepResults results_from_json(const nlohmann::json& j, const std::string& where) {
    if (!j.is_object() || j.value("format", "") != "spherevp-sweep/1")
        throw InputError(where + ": not a sweep results file (format spherevp-sweep/1); `spherevp sweep -o DIR` writes DIR/results.json");
    SweepResults out;
    try {
        out.wall_s = j.value("wall_s", 0.0);
        out.jobs = j.value("jobs", 1);
        for (const auto& r : j.at("runs")) {
            RunRecord rec;
            rec.variant = r.at("variant").get<std::string>();
            rec.set = r.value("set", "");
            rec.scenario = r.at("scenario").get<std::string>();
            rec.scenario_file = r.value("scenario_file", "");
            rec.status = r.at("status").get<std::string>();
            rec.error = r.value("error", "");
            rec.wall_s = r.value("wall_s", 0.0);
            for (const auto& [k, v] : r.at("metrics").items()) rec.metrics.values[k] = v.get<double>();
            if (r.contains("samples"))
                for (const auto& [k, v] : r.at("samples").items()) rec.metrics.samples[k] = v.get<std::vector<double>>();
            if (r.contains("boot_timeline"))
                for (const auto& p : r.at("boot_timeline"))
                    rec.metrics.boot_timeline.push_back({p.at("phase").get<std::string>(), p.at("start_ms").get<double>(), p.at("end_ms").get<double>()});
            out.runs.push_back(std::move(rec));
        }
    } catch (const nlohmann::json::exception& e) {
        throw InputError(where + ": malformed sweep results: " + e.what());
    }
    return out;
}

SweepResults read_results(const std::string& path) {
    namespace fs = std::filesystem;
    fs::path file = path;
    if (fs::is_directory(file)) file /= "results.json";
    if (!fs::exists(file)) throw InputError(file.string() + ": no such file; give a sweep's results.json or its directory");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(read_text_file(file));
    } catch (const nlohmann::json::parse_error& e) {
        throw InputError(file.string() + ": not JSON: " + e.what());
    }
    return results_from_json(j, file.string());
}

std::string to_csv(const SweepResults& results) {
    std::string out = "variant,set,scenario,status,metric,unit,value\n";
    for (const auto& r : results.runs) {
        std::vector<std::pair<std::string, double>> values(r.metrics.values.begin(), r.metrics.values.end());
        std::stable_sort(values.begin(), values.end(), [](auto& a, auto& b) { return metric_order(a.first) < metric_order(b.first); });
        const auto head = fmt::format("{},{},{},{}", csv_field(r.variant), csv_field(r.set), csv_field(r.scenario), r.status);
        if (values.empty()) out += head + ",,,\n";
        for (const auto& [name, v] : values) {
            const auto* info = find_metric(name);
            out += fmt::format("{},{},{},{}\n", head, name, info ? std::string(info->unit) : std::string(), v);
        }
    }
    return out;
}

}  // namespace svp::metrics

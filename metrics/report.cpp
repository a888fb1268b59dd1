#include "metrics/report.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "common/util/xml.h"

namespace svp::metrics {
namespace {

// A palette that stays readable when printed in grey (Okabe-Ito).
constexpr const char* kColours[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"};

std::string number(double v) {
    if (v == 0) return "0";
    const double a = std::fabs(v);
    if (a >= 1e6 || a < 1e-3) return fmt::format("{:.4g}", v);
    if (a >= 100) return fmt::format("{:.1f}", v);
    if (a >= 1) return fmt::format("{:.3f}", v);
    return fmt::format("{:.4f}", v);
}

// A round upper bound for an axis.
double nice_max(double v) {
    if (v <= 0) return 1;
    const double p = std::pow(10.0, std::floor(std::log10(v)));
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (m * p >= v) return m * p;
    return 10 * p;
}

std::string slug(const std::string& s) {
    std::string out;
    for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
    return out;
}

std::string legend(const std::vector<std::string>& configurations) {
    std::string out = "<div class=\"legend\">";
    for (std::size_t i = 0; i < configurations.size(); ++i)
        out += fmt::format("<span><i style=\"background:{}\"></i>{}</span>", kColours[i % std::size(kColours)], xml_escape(configurations[i]));
    return out + "</div>";
}

// Grouped bars: one group per scenario, one bar per configuration.
std::string bar_chart(const SweepResults& r, const std::string& metric, const std::string& unit) {
    const auto configurations = r.configurations();
    std::vector<std::string> scenarios;
    double top = 0;
    for (const auto& s : r.scenarios())
        for (const auto& c : configurations)
            if (const auto* run = r.find(c, s); run && run->metrics.values.count(metric)) {
                if (std::find(scenarios.begin(), scenarios.end(), s) == scenarios.end()) scenarios.push_back(s);
                top = std::max(top, run->metrics.values.at(metric));
            }
    if (scenarios.empty()) return {};
    top = nice_max(top);
    const int bar = 18, gap = 14, left = 110, plot_h = 160, top_pad = 12, bottom = 110;
    const int group_w = static_cast<int>(configurations.size()) * bar + gap;
    const int width = left + static_cast<int>(scenarios.size()) * group_w + 10;
    const int height = top_pad + plot_h + bottom;
    std::string svg = fmt::format("<svg class=\"chart bar-chart\" data-metric=\"{}\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{} by configuration\">",
                                  xml_escape(metric), width, height, width, height, xml_escape(metric));
    for (int i = 0; i <= 4; ++i) {  // axis and grid
        const double v = top * i / 4;
        const int y = top_pad + plot_h - plot_h * i / 4;
        svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"grid\"/><text x=\"{}\" y=\"{}\" class=\"tick\" text-anchor=\"end\">{}</text>",
                           left, y, width - 10, y, left - 4, y + 4, xml_escape(number(v)));
    }
    svg += fmt::format("<text x=\"12\" y=\"{}\" class=\"unit\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">{}</text>",
                       top_pad + plot_h / 2, top_pad + plot_h / 2, xml_escape(unit));
    for (std::size_t g = 0; g < scenarios.size(); ++g) {
        const int x0 = left + static_cast<int>(g) * group_w + gap / 2;
        for (std::size_t c = 0; c < configurations.size(); ++c) {
            const auto* run = r.find(configurations[c], scenarios[g]);
            if (!run || !run->metrics.values.count(metric)) continue;
            const double v = run->metrics.values.at(metric);
            const int h = static_cast<int>(std::lround(plot_h * v / top));
            svg += fmt::format("<rect class=\"bar\" data-value=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} / {}: {} {}</title></rect>",
                               v, x0 + static_cast<int>(c) * bar, top_pad + plot_h - h, bar - 2, std::max(h, 0),
                               kColours[c % std::size(kColours)], xml_escape(configurations[c]), xml_escape(scenarios[g]), xml_escape(number(v)), xml_escape(unit));
        }
        const int lx = x0 + group_w / 2 - gap / 2, ly = top_pad + plot_h + 14;  // slanted, so long names do not collide
        svg += fmt::format("<text x=\"{}\" y=\"{}\" class=\"label\" text-anchor=\"end\" transform=\"rotate(-30 {} {})\">{}</text>", lx, ly, lx, ly,
                           xml_escape(scenarios[g].size() > 24 ? scenarios[g].substr(0, 23) + "…" : scenarios[g]));
    }
    return svg + "</svg>";
}

// Empirical CDF per configuration of every sample of a latency metric (all scenarios pooled).
std::string cdf_chart(const SweepResults& r, const std::string& metric, const std::string& unit) {
    const auto configurations = r.configurations();
    std::vector<std::vector<double>> per(configurations.size());
    double top = 0;
    for (const auto& run : r.runs) {
        auto it = run.metrics.samples.find(metric);
        if (it == run.metrics.samples.end()) continue;
        const auto c = std::find(configurations.begin(), configurations.end(), run.configuration()) - configurations.begin();
        per[c].insert(per[c].end(), it->second.begin(), it->second.end());
        for (double v : it->second) top = std::max(top, v);
    }
    if (top <= 0) return {};
    top = nice_max(top);
    const int left = 50, width = 520, plot_w = width - left - 16, plot_h = 180, top_pad = 10, height = top_pad + plot_h + 40;
    std::string svg = fmt::format("<svg class=\"chart cdf\" data-metric=\"{}\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"CDF of {}\">",
                                  xml_escape(metric), width, height, width, height, xml_escape(metric));
    for (int i = 0; i <= 4; ++i) {
        const int y = top_pad + plot_h - plot_h * i / 4, x = left + plot_w * i / 4;
        svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"grid\"/><text x=\"{}\" y=\"{}\" class=\"tick\" text-anchor=\"end\">{}</text>",
                           left, y, left + plot_w, y, left - 4, y + 4, number(i / 4.0));
        svg += fmt::format("<text x=\"{}\" y=\"{}\" class=\"tick\" text-anchor=\"middle\">{}</text>", x, top_pad + plot_h + 14, xml_escape(number(top * i / 4)));
    }
    svg += fmt::format("<text x=\"{}\" y=\"{}\" class=\"unit\" text-anchor=\"middle\">{} ({})</text>", left + plot_w / 2, height - 6, xml_escape(metric), xml_escape(unit));
    for (std::size_t c = 0; c < per.size(); ++c) {
        auto v = per[c];
        if (v.empty()) continue;
        std::sort(v.begin(), v.end());
        std::string path = fmt::format("M{} {}", left, top_pad + plot_h);
        for (std::size_t i = 0; i < v.size(); ++i) {
            const double x = left + plot_w * v[i] / top;
            path += fmt::format(" L{:.1f} {:.1f} L{:.1f} {:.1f}", x, top_pad + plot_h - plot_h * static_cast<double>(i) / v.size(), x,
                                top_pad + plot_h - plot_h * static_cast<double>(i + 1) / v.size());
        }
        path += fmt::format(" L{} {}", left + plot_w, top_pad);
        svg += fmt::format("<path class=\"cdf-line\" d=\"{}\" stroke=\"{}\" fill=\"none\" stroke-width=\"2\"><title>{}: {} samples</title></path>", path,
                           kColours[c % std::size(kColours)], xml_escape(configurations[c]), v.size());
    }
    return svg + "</svg>";
}

// Each configuration's first boot: one row per configuration, one coloured span per phase.
std::string boot_timeline(const SweepResults& r) {
    const auto configurations = r.configurations();
    std::vector<const RunRecord*> rows;
    double top = 0;
    for (const auto& c : configurations) {
        const RunRecord* best = nullptr;  // the run whose boot got furthest
        for (const auto& run : r.runs)
            if (run.configuration() == c && (!best || run.metrics.boot_timeline.size() > best->metrics.boot_timeline.size())) best = &run;
        rows.push_back(best);
        if (best)
            for (const auto& p : best->metrics.boot_timeline) top = std::max(top, p.end_ms);
    }
    if (top <= 0) return {};
    top = nice_max(top);
    std::vector<std::string> phases;
    for (const auto* row : rows)
        if (row)
            for (const auto& p : row->metrics.boot_timeline)
                if (std::find(phases.begin(), phases.end(), p.name) == phases.end()) phases.push_back(p.name);
    const int left = 230, plot_w = 600, row_h = 26, top_pad = 8;
    const int height = top_pad + static_cast<int>(rows.size()) * row_h + 36, width = left + plot_w + 20;
    std::string svg = fmt::format("<svg class=\"chart timeline\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"boot timeline per configuration\">",
                                  width, height, width, height);
    for (int i = 0; i <= 5; ++i) {
        const int x = left + plot_w * i / 5;
        svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"grid\"/><text x=\"{}\" y=\"{}\" class=\"tick\" text-anchor=\"middle\">{} ms</text>",
                           x, top_pad, x, height - 28, x, height - 14, xml_escape(number(top * i / 5)));
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const int y = top_pad + static_cast<int>(i) * row_h;
        svg += fmt::format("<text x=\"{}\" y=\"{}\" class=\"label\" text-anchor=\"end\">{}</text>", left - 6, y + 17, xml_escape(configurations[i]));
        if (!rows[i]) continue;
        for (const auto& p : rows[i]->metrics.boot_timeline) {
            const auto k = std::find(phases.begin(), phases.end(), p.name) - phases.begin();
            const double x = left + plot_w * p.start_ms / top, w = std::max(1.0, plot_w * (p.end_ms - p.start_ms) / top);
            svg += fmt::format("<rect class=\"phase\" data-phase=\"{}\" x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{}: {} – {} ms</title></rect>",
                               xml_escape(p.name), x, y + 4, w, row_h - 8, kColours[k % std::size(kColours)], xml_escape(p.name), number(p.start_ms), number(p.end_ms));
        }
    }
    svg += "</svg><div class=\"legend\">";
    for (std::size_t k = 0; k < phases.size(); ++k)
        svg += fmt::format("<span><i style=\"background:{}\"></i>{}</span>", kColours[k % std::size(kColours)], xml_escape(phases[k]));
    return svg + "</div>";
}

std::string metric_table(const SweepResults& r, const std::string& metric) {
    const auto configurations = r.configurations();
    std::string t = "<table class=\"metric\"><tr><th>scenario</th>";
    for (const auto& c : configurations) t += "<th>" + xml_escape(c) + "</th>";
    t += "</tr>";
    for (const auto& s : r.scenarios()) {
        t += "<tr><td>" + xml_escape(s) + "</td>";
        for (const auto& c : configurations) {
            const auto* run = r.find(c, s);
            if (run && run->metrics.values.count(metric)) t += "<td class=\"num\">" + xml_escape(number(run->metrics.values.at(metric))) + "</td>";
            else t += "<td class=\"absent\" title=\"the run cannot support this metric\">–</td>";
        }
        t += "</tr>";
    }
    return t + "</table>";
}

constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}h3{font-size:15px;margin:22px 0 4px}
p.doc{margin:2px 0 8px;color:#555}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ccc;padding:3px 8px}th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.absent{text-align:center;color:#999}
td.pass{color:#087f23}td.fail,td.error{color:#b00020;font-weight:600}
svg.chart{display:block;margin:6px 0;font:11px system-ui,sans-serif}
svg .grid{stroke:#e4e4e4}svg .tick,svg .label{fill:#444}svg .unit{fill:#666}
.legend span{display:inline-block;margin-right:14px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
)";

}  // namespace

std::string render_report(const SweepResults& r, const std::string& title) {
    const auto configurations = r.configurations();
    std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + xml_escape(title) + "</title><style>" + kStyle +
                    "</style></head><body>\n";
    h += "<h1>" + xml_escape(title) + "</h1>\n";
    h += fmt::format("<p>{} runs: {} configurations × {} scenarios, simulated in separate processes ({} at a time, {:.1f} s of host time). "
                     "Every figure is computed from the runs' event logs; a dash marks a metric the run cannot support.</p>\n",
                     r.runs.size(), configurations.size(), r.scenarios().size(), r.jobs, r.wall_s);

    h += "<h2 id=\"runs\">Runs</h2><table class=\"runs\"><tr><th>configuration</th><th>scenario</th><th>status</th><th>host s</th></tr>";
    for (const auto& run : r.runs)
        h += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td class=\"num\">{:.2f}</td></tr>", xml_escape(run.configuration()),
                         xml_escape(run.scenario), xml_escape(run.status), xml_escape(run.status + (run.error.empty() ? "" : ": " + run.error)), run.wall_s);
    h += "</table>\n";

    h += "<h2 id=\"boot\">Boot timeline</h2><p class=\"doc\">The first boot of each configuration, from the security core leaving reset "
         "(from the run whose boot got furthest).</p>" + boot_timeline(r) + "\n";

    std::set<std::string> with_samples;
    for (const auto& run : r.runs)
        for (const auto& [k, v] : run.metrics.samples) with_samples.insert(k);
    if (!with_samples.empty()) {
        h += "<h2 id=\"cdf\">Latency distributions</h2>" + legend(configurations);
        for (const auto& m : with_samples) {
            const auto* info = find_metric(m);
            h += "<h3>" + xml_escape(m) + "</h3><p class=\"doc\">" + xml_escape(info ? std::string(info->doc) : "") + "</p>" +
                 cdf_chart(r, m, info ? std::string(info->unit) : "");
        }
    }

    std::set<std::string> names;
    for (const auto& run : r.runs)
        for (const auto& [k, v] : run.metrics.values) names.insert(k);
    std::vector<std::string> ordered(names.begin(), names.end());
    std::stable_sort(ordered.begin(), ordered.end(), [](auto& a, auto& b) { return metric_order(a) < metric_order(b); });
    h += "<h2 id=\"metrics\">Metrics</h2>" + legend(configurations);
    for (const auto& m : ordered) {
        const auto* info = find_metric(m);
        const std::string unit = info ? std::string(info->unit) : "";
        h += fmt::format("<section class=\"metric\" id=\"m-{}\"><h3>{} <small>({})</small></h3><p class=\"doc\">{}</p>", slug(m), xml_escape(m), xml_escape(unit),
                         xml_escape(info ? std::string(info->doc) : "not declared in metrics.def"));
        h += metric_table(r, m) + bar_chart(r, m, unit) + "</section>\n";
    }
    return h + "</body></html>\n";
}

}  // namespace svp::metrics

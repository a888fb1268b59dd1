// The report as a browser shows it: a real sweep's report.html rendered by headless Chromium.
// A copy of the page gets a probe script (the report itself has none) that measures every
// chart as laid out, and Chromium dumps the resulting DOM; a screenshot is kept for people
// (build/release/tests/metrics/report.png). Without Chromium (scripts/setup.sh installs it)
// the case prints "SKIPPED: chromium" and ctest reports it as skipped.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "common/util/bytes.h"
#include "common/util/subprocess.h"
#include "tests/support/cli.h"

using namespace svp;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

using test::kScenarios;
const std::string& kBinary = test::kSpherevp;

std::string find_chromium() {
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"})
        for (const char* dir : {"/usr/bin/", "/usr/local/bin/", "/bin/"})
            if (fs::exists(std::string(dir) + name)) return std::string(dir) + name;
    return {};
}

int run(std::vector<std::string> argv, std::string* out = nullptr) {
    const auto err = fs::temp_directory_path() / ("svp-render-err-" + std::to_string(::getpid()));
    auto p = Subprocess::start(argv, {true, err.string()});
    const auto text = p.read_all();
    if (out) *out = text;
    const int status = p.wait();
    if (status != 0) FAIL_CHECK(argv[0] << " " << argv[1] << " exited " << status << ": " << read_text_file(err));
    fs::remove(err);
    return status;
}

// Appended to a copy of the report: for each chart, its laid-out size, how many of its marks
// (bars, CDF lines, boot phases) have a visible area, and how many should (a bar of 0 has none).
constexpr const char* kProbe = R"(<script>
const out = [];
for (const svg of document.querySelectorAll('svg.chart')) {
  const box = svg.getBoundingClientRect();
  let visible = 0, expected = 0;
  for (const m of svg.querySelectorAll('rect.bar, rect.phase, path.cdf-line')) {
    const b = m.getBoundingClientRect();
    if (b.width > 0 && b.height > 0) visible++;
    if (m.getAttribute('data-value') !== '0') expected++;
  }
  out.push(svg.getAttribute('class') + '|' + Math.round(box.width) + 'x' + Math.round(box.height) + '|' + visible + '|' + expected);
}
const pre = document.createElement('pre');
pre.id = 'probe';
pre.textContent = out.join('\n');
document.body.appendChild(pre);
</script>)";

}  // namespace

TEST_CASE("report.html renders in headless Chromium with its bar charts, CDFs and boot timeline") {
    const auto chromium = find_chromium();
    if (chromium.empty()) {
        WARN("SKIPPED: chromium is not installed (scripts/setup.sh installs it)");
        return;
    }
    const auto dir = fs::temp_directory_path() / ("svp-render-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    REQUIRE(run({kBinary, "sweep", "--quiet", "--variants", "mt3620,nextgen", "--scenarios", kScenarios + "/default.yaml", "-j", "2", "-o",
                 dir.string()}) == 0);
    REQUIRE(run({kBinary, "report", dir.string(), "-o", (dir / "report.html").string()}) == 0);

    auto page = read_text_file(dir / "report.html");
    page.insert(page.rfind("</body>"), kProbe);
    std::ofstream(dir / "probe.html") << page;
    const auto profile = (dir / "chromium-profile").string();  // our own, never the user's
    const std::vector<std::string> common = {chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                             "--user-data-dir=" + profile, "--window-size=1200,3000", "--hide-scrollbars"};
    std::string dom;
    auto argv = common;
    argv.insert(argv.end(), {"--virtual-time-budget=5000", "--dump-dom", "file://" + (dir / "probe.html").string()});
    REQUIRE(run(argv, &dom) == 0);

    std::smatch m;
    REQUIRE(std::regex_search(dom, m, std::regex("<pre id=\"probe\">([^<]*)</pre>")));
    const std::string probe = m[1];
    INFO(probe);
    int bars = 0, cdfs = 0, timelines = 0, painted_bars = 0;
    const std::regex line("chart ([a-z-]+)\\|([0-9]+)x([0-9]+)\\|([0-9]+)\\|([0-9]+)");
    for (auto it = std::sregex_iterator(probe.begin(), probe.end(), line); it != std::sregex_iterator(); ++it) {
        const auto kind = (*it)[1].str();
        const int w = std::stoi((*it)[2]), h = std::stoi((*it)[3]), marks = std::stoi((*it)[4]), expected = std::stoi((*it)[5]);
        CHECK(w > 100);
        CHECK(h > 50);
        if (kind == "bar-chart") {
            ++bars;
            CHECK(marks == expected);  // every bar of a non-zero figure is painted
            painted_bars += marks;
        } else if (kind == "cdf") {
            ++cdfs;
            CHECK(marks == 2);  // one line per configuration
        } else if (kind == "timeline") {
            ++timelines;
            CHECK(marks >= 8);  // at least four boot phases of each of the two configurations
        }
    }
    CHECK(bars >= 20);
    // Two configurations; a few figures are 0 in the default scenario (firewall violations, the
    // cycles and instructions of the RT cores, which stay in reset), and 0 is not painted.
    CHECK(painted_bars >= 2 * (bars - 7));
    CHECK(cdfs == 1);
    CHECK(timelines == 1);

    // A picture for people, and proof Chromium painted the page.
    const auto png = fs::path(SVP_BINARY_DIR) / "tests/metrics/report.png";
    fs::create_directories(png.parent_path());
    fs::remove(png);
    argv = common;
    argv.insert(argv.end(), {"--screenshot=" + png.string(), "file://" + (dir / "report.html").string()});
    REQUIRE(run(argv) == 0);
    const auto bytes = read_file(png);
    REQUIRE(bytes.size() > 24);
    CHECK(std::string(bytes.begin() + 1, bytes.begin() + 4) == "PNG");
    const auto be32 = [&](std::size_t at) { return (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]; };
    CHECK(be32(16) == 1200);  // IHDR width
    CHECK(be32(20) == 3000);  // IHDR height
    fs::remove_all(dir);
}

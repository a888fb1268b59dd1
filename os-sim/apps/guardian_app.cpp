// The guardian app (SCENARIOS.md G1; Azure Sphere guardian modules): a legacy device that
// speaks a line protocol on an ISU UART is bridged to the cloud. The legacy device has no
// network of its own: only this app talks to it, and only this app's mutual-TLS session with
// the device certificate carries its data out. Each line "NAME VALUE" (a reading) becomes one
// telemetry record of kind "legacy.NAME"; anything else is dropped and logged, never forwarded.
// CmdArgs: [uart] (default ISU0; the manifest must grant it under Uart).
#include <cctype>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "os-sim/apps/app.h"

namespace svp::os {
namespace {

constexpr std::size_t kMaxLine = 80, kMaxName = 24;

// "NAME VALUE" with a short alphanumeric name and a finite number; nothing else.
std::optional<std::pair<std::string, double>> parse_reading(const std::string& line) {
    const auto space = line.find(' ');
    if (space == std::string::npos || space == 0 || space > kMaxName) return std::nullopt;
    const std::string name = line.substr(0, space);
    for (unsigned char c : name)
        if (!std::isalnum(c) && c != '_' && c != '-') return std::nullopt;
    const std::string number = line.substr(space + 1);
    try {
        std::size_t used = 0;
        const double v = std::stod(number, &used);
        if (used != number.size() || !std::isfinite(v)) return std::nullopt;
        return std::make_pair(name, v);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace

class GuardianApp : public App {
public:
    int main(AppContext& ctx) override {
        const auto& args = ctx.manifest().cmd_args;
        std::string isu = args.empty() ? "ISU0" : args[0];
        for (auto& c : isu) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const int fd = ctx.open("/dev/uart-" + isu, o_rdwr);
        if (fd < 0) {
            ctx.log(fmt::format("cannot open /dev/uart-{}: {}", isu, -fd));
            for (;;) ctx.sleep(sc_core::sc_time(3600, sc_core::SC_SEC));
        }
        ctx.log("bridging the legacy device on " + isu);
        std::string line;
        std::int64_t seq = 0;
        for (;;) {
            std::uint8_t buf[64];
            const long n = ctx.read(fd, buf);  // sleeps until the legacy device sends
            if (n <= 0) continue;
            for (long i = 0; i < n; ++i) {
                const char c = static_cast<char>(buf[i]);
                if (c == '\r') continue;
                if (c != '\n') {
                    if (line.size() < kMaxLine) line.push_back(c);
                    continue;
                }
                forward(ctx, line, seq);
                line.clear();
            }
        }
    }

private:
    void forward(AppContext& ctx, const std::string& line, std::int64_t& seq) {
        const auto reading = parse_reading(line);
        if (!reading) {
            ctx.log(fmt::format("dropped a malformed line from the legacy device ({} bytes)", line.size()));
            return;
        }
        ctx.compute(10'000);  // parse and format the record
        nlohmann::json body = {{"records", {{{"seq", seq}, {"kind", "legacy." + reading->first}, {"value", reading->second}}}}};
        auto result = ctx.cloud_post("/v1/telemetry", body);
        if (result.response && result.response->status == 200) {
            ctx.emit(ev::os_telemetry_sent, {{"app", ctx.manifest().name}, {"seq", seq},
                                             {"records", result.response->json().value("accepted", 0)}});
            ++seq;
        } else {
            ctx.log("legacy reading not accepted: " + (result.response ? std::to_string(result.response->status) : result.error));
        }
    }
};

std::unique_ptr<App> make_guardian_app() { return std::make_unique<GuardianApp>(); }

}  // namespace svp::os

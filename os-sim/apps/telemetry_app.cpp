// The sensor-telemetry app: reads a temperature sensor every interval and reports it to the
// cloud over mutual TLS with the device certificate. Until the ADC model exists the sensor is
// a seeded random walk around 21.5 degC (the device's generator, so runs repeat exactly).
// CmdArgs: [interval_seconds, count] (defaults 60, 0 = forever); after `count` readings it idles.
#include <fmt/format.h>

#include "os-sim/apps/app.h"

namespace svp::os {

class TelemetryApp : public App {
public:
    int main(AppContext& ctx) override {
        const auto& args = ctx.manifest().cmd_args;
        const double interval_s = args.size() > 0 ? std::stod(args[0]) : 60.0;
        const long count = args.size() > 1 ? std::stol(args[1]) : 0;
        double temperature = 21.5;
        ctx.log(fmt::format("reporting every {} s", interval_s));
        for (long seq = 0; count == 0 || seq < count; ++seq) {
            temperature += (ctx.uniform() - 0.5) * 0.2;
            ctx.compute(20'000);  // read the sensor, format the record
            const double value = std::round(temperature * 100) / 100;
            nlohmann::json body = {{"records", {{{"seq", seq}, {"kind", "temperature"}, {"value", value}}}}};
            auto result = ctx.cloud_post("/v1/telemetry", body);
            if (result.response && result.response->status == 200) {
                ctx.emit(ev::os_telemetry_sent, {{"app", ctx.manifest().name}, {"seq", seq},
                                                 {"records", result.response->json().value("accepted", 0)}});
            } else {
                ctx.log("telemetry not accepted: " +
                        (result.response ? std::to_string(result.response->status) : result.error));
            }
            ctx.sleep(sc_core::sc_time(interval_s, sc_core::SC_SEC));
        }
        // Apps run forever (an exit is a failure the OS reports and restarts): idle.
        for (;;) ctx.sleep(sc_core::sc_time(3600, sc_core::SC_SEC));
    }
};

std::unique_ptr<App> make_telemetry_app() { return std::make_unique<TelemetryApp>(); }

}  // namespace svp::os

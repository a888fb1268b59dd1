// The sensor-telemetry app: reads a temperature sensor every interval and reports it to the
// cloud over mutual TLS with the device certificate. Granted an I2C master (Capabilities.
// I2cMaster: ["ISU2"]), it measures with the SHT3x humidity/temperature sensor on that ISU's
// wire (address 0x44; single shot, 15 ms, CRC-checked) and reports temperature and humidity;
// otherwise its sensor is a seeded random walk around 21.5 degC (the device's generator, so
// runs repeat exactly). A reading that fails (NAK, bad CRC) is logged and skipped.
// CmdArgs: [interval_seconds, count] (defaults 60, 0 = forever); after `count` readings it idles.
#include <cctype>
#include <cerrno>

#include <fmt/format.h>

#include "models/periph/sht3x.h"
#include "os-sim/apps/app.h"

namespace svp::os {

class TelemetryApp : public App {
public:
    int main(AppContext& ctx) override {
        const auto& args = ctx.manifest().cmd_args;
        const double interval_s = args.size() > 0 ? std::stod(args[0]) : 60.0;
        const long count = args.size() > 1 ? std::stol(args[1]) : 0;
        double temperature = 21.5;
        int sensor = -1;
        long record = 0;  // the number of the next record sent (one per reading without the sensor)
        if (!ctx.manifest().caps.i2c_master.empty()) {
            std::string isu = ctx.manifest().caps.i2c_master.front();  // "ISU2" -> /dev/i2c-isu2
            for (auto& ch : isu) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            sensor = ctx.open("/dev/i2c-" + isu, o_rdwr);
            if (sensor < 0) ctx.log(fmt::format("no sensor on /dev/i2c-{}: {}", isu, sensor));
        }
        ctx.log(fmt::format("reporting every {} s{}", interval_s, sensor >= 0 ? " from the SHT3x" : ""));
        for (long seq = 0; count == 0 || seq < count; ++seq) {
            nlohmann::json records = nlohmann::json::array();
            if (sensor >= 0) {
                double t = 0, rh = 0;
                if (const long rc = read_sht3x(ctx, sensor, t, rh); rc < 0) {
                    ctx.log(fmt::format("sensor read failed: {}", rc));
                    ctx.sleep(sc_core::sc_time(interval_s, sc_core::SC_SEC));
                    continue;
                }
                // The cloud keeps one record per (device, seq): each record has its own number.
                ctx.log(fmt::format("{:.2f} C, {:.2f} %RH", t, rh));
                records.push_back({{"seq", record++}, {"kind", "temperature"}, {"value", std::round(t * 100) / 100}});
                records.push_back({{"seq", record++}, {"kind", "humidity"}, {"value", std::round(rh * 100) / 100}});
            } else {
                temperature += (ctx.uniform() - 0.5) * 0.2;
                ctx.compute(20'000);  // read the sensor, format the record
                records.push_back({{"seq", record++}, {"kind", "temperature"}, {"value", std::round(temperature * 100) / 100}});
            }
            nlohmann::json body = {{"records", records}};
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

private:
    // One single-shot measurement (SHT3x datasheet: command 0x2400, result after at most
    // 15 ms, two words each with its CRC-8). 0, or -errno (-EIO for a bad checksum).
    static long read_sht3x(AppContext& ctx, int fd, double& celsius, double& percent_rh) {
        const std::uint8_t measure[2] = {0x24, 0x00};
        if (const long rc = ctx.i2c_write_then_read(fd, Sht3x::kAddress, measure, {}); rc < 0) return rc;
        ctx.sleep(sc_core::sc_time(15, sc_core::SC_MS));
        std::uint8_t d[6];
        if (const long rc = ctx.i2c_write_then_read(fd, Sht3x::kAddress, {}, d); rc < 0) return rc;
        if (Sht3x::crc8(d, 2) != d[2] || Sht3x::crc8(d + 3, 2) != d[5]) return -EIO;
        ctx.compute(20'000);  // convert, format the record
        celsius = Sht3x::temperature_of(static_cast<std::uint16_t>(d[0] << 8 | d[1]));
        percent_rh = Sht3x::humidity_of(static_cast<std::uint16_t>(d[3] << 8 | d[4]));
        return 0;
    }
};

std::unique_ptr<App> make_telemetry_app() { return std::make_unique<TelemetryApp>(); }

}  // namespace svp::os

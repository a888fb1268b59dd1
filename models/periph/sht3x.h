// A Sensirion SHT3x-class humidity and temperature sensor on I2C (SHT30/31 datasheet, 2019):
// address 0x44 (ADDR low) or 0x45. Commands are 16 bits, MSB first:
//   0x2400 / 0x240B / 0x2416  single shot, clock stretching disabled, high / medium / low
//                             repeatability; measurement takes 15 / 6 / 4 ms (datasheet max)
//   0x30A2 soft reset   0xF32D read status (2 bytes + CRC)   0x3041 clear status
//   0x306D / 0x3066 heater on / off (status bit 13)
// A single-shot result is read as 6 bytes: T msb, T lsb, CRC, RH msb, RH lsb, CRC (CRC-8, poly
// 0x31, init 0xFF). While a measurement is running, or when there is no result to read, the
// header is NAKed ("no clock stretching" mode, datasheet §4.4), a write header too. Commands that use clock
// stretching (0x2Cxx), periodic mode and ART are not modelled: like any unknown command they
// set status bit 1 ("last command not processed") and are otherwise ignored.
// What it measures is the host's to set (a scenario's room): set_temperature / set_humidity.
// Each measurement adds noise drawn from the device's seeded generator (rule 2: same seed, same
// readings), of the amplitude set_noise gives (0 = exact; default the datasheet's high-
// repeatability figures, 0.04 °C and 0.08 %RH).
#pragma once

#include <optional>
#include <vector>

#include <systemc>

#include "models/base/device_context.h"
#include "models/periph/i2c_bus.h"

namespace svp {

class Sht3x : public I2cTarget {
public:
    static constexpr std::uint8_t kAddress = 0x44, kAddressAlt = 0x45;
    static constexpr std::uint16_t kMeasureHigh = 0x2400, kMeasureMedium = 0x240B, kMeasureLow = 0x2416,
                                   kSoftReset = 0x30A2, kReadStatus = 0xF32D, kClearStatus = 0x3041,
                                   kHeaterOn = 0x306D, kHeaterOff = 0x3066;
    // Status register bits (datasheet table 17)
    static constexpr std::uint16_t kStatusHeater = 1u << 13, kStatusReset = 1u << 4, kStatusCommandFailed = 1u << 1;

    explicit Sht3x(DeviceContext& device);

    // ---- host side: the room the sensor is in
    void set_temperature(double celsius) { temperature_c_ = celsius; }
    void set_humidity(double percent_rh) { humidity_rh_ = percent_rh; }
    void set_noise(double celsius, double percent_rh) { noise_c_ = celsius, noise_rh_ = percent_rh; }
    double temperature() const { return temperature_c_; }
    double humidity() const { return humidity_rh_; }
    std::uint64_t measurements() const { return measurements_; }

    // ---- the datasheet's conversions and checksum
    static std::uint16_t raw_temperature(double celsius);  // S_T = (T + 45) / 175 * 65535
    static std::uint16_t raw_humidity(double percent_rh);  // S_RH = RH / 100 * 65535
    static double temperature_of(std::uint16_t raw) { return -45.0 + 175.0 * raw / 65535.0; }
    static double humidity_of(std::uint16_t raw) { return 100.0 * raw / 65535.0; }
    static std::uint8_t crc8(const std::uint8_t* data, std::size_t n);

    // ---- I2cTarget
    bool start(bool read) override;
    bool write(std::uint8_t byte) override;
    std::uint8_t read(bool master_acks) override;
    void stop() override;

private:
    void command(std::uint16_t cmd);
    void append_word(std::uint16_t w);

    DeviceContext& device_;
    double temperature_c_ = 22.0, humidity_rh_ = 45.0, noise_c_ = 0.04, noise_rh_ = 0.08;
    std::uint16_t status_ = kStatusReset;
    std::vector<std::uint8_t> command_bytes_;
    std::vector<std::uint8_t> out_;      // what a read returns
    std::size_t out_pos_ = 0;
    std::optional<sc_core::sc_time> ready_at_;  // a measurement in progress finishes then
    bool pending_result_ = false;
    std::uint16_t pending_t_ = 0, pending_rh_ = 0;
    std::uint64_t measurements_ = 0;
};

}  // namespace svp

#include "models/periph/sht3x.h"

#include <algorithm>
#include <cmath>

namespace svp {

Sht3x::Sht3x(DeviceContext& device) : device_(device) {}

std::uint16_t Sht3x::raw_temperature(double celsius) {
    const double s = std::round((celsius + 45.0) / 175.0 * 65535.0);
    return static_cast<std::uint16_t>(std::clamp(s, 0.0, 65535.0));
}

std::uint16_t Sht3x::raw_humidity(double percent_rh) {
    const double s = std::round(percent_rh / 100.0 * 65535.0);
    return static_cast<std::uint16_t>(std::clamp(s, 0.0, 65535.0));
}

std::uint8_t Sht3x::crc8(const std::uint8_t* data, std::size_t n) {
    std::uint8_t crc = 0xFF;  // datasheet §4.12: polynomial x^8 + x^5 + x^4 + 1, init 0xFF
    for (std::size_t i = 0; i < n; ++i) {
        crc ^= data[i];
        for (int b = 0; b < 8; ++b) crc = static_cast<std::uint8_t>(crc & 0x80 ? (crc << 1) ^ 0x31 : crc << 1);
    }
    return crc;
}

void Sht3x::append_word(std::uint16_t w) {
    const std::uint8_t b[2] = {static_cast<std::uint8_t>(w >> 8), static_cast<std::uint8_t>(w)};
    out_.insert(out_.end(), b, b + 2);
    out_.push_back(crc8(b, 2));
}

bool Sht3x::start(bool read) {
    command_bytes_.clear();
    // While a measurement runs the sensor answers no header at all (datasheet §4.4).
    if (ready_at_ && sc_core::sc_time_stamp() < *ready_at_) return false;
    if (!read) return true;
    if (ready_at_) {  // the measurement finished: its result is what a read returns
        ready_at_.reset();
        out_.clear();
        out_pos_ = 0;
        append_word(pending_t_);
        append_word(pending_rh_);
        pending_result_ = true;
    }
    if (!pending_result_) return false;  // nothing to read
    return true;
}

bool Sht3x::write(std::uint8_t byte) {
    command_bytes_.push_back(byte);
    if (command_bytes_.size() == 2) command(static_cast<std::uint16_t>(command_bytes_[0] << 8 | command_bytes_[1]));
    return command_bytes_.size() <= 2;  // a third byte is not part of any command: NAK
}

std::uint8_t Sht3x::read(bool) {
    if (out_pos_ >= out_.size()) return 0xFF;
    const std::uint8_t b = out_[out_pos_++];
    if (out_pos_ >= out_.size()) pending_result_ = false;  // read out: gone
    return b;
}

void Sht3x::stop() { command_bytes_.clear(); }

void Sht3x::command(std::uint16_t cmd) {
    status_ &= ~kStatusCommandFailed;
    double max_ms = 0;
    switch (cmd) {
    case kMeasureHigh: max_ms = 15; break;
    case kMeasureMedium: max_ms = 6; break;
    case kMeasureLow: max_ms = 4; break;
    case kSoftReset:
        status_ = kStatusReset;
        ready_at_.reset();
        pending_result_ = false;
        out_.clear();
        return;
    case kClearStatus: status_ &= ~(kStatusReset | kStatusCommandFailed); return;
    case kHeaterOn: status_ |= kStatusHeater; return;
    case kHeaterOff: status_ &= ~kStatusHeater; return;
    case kReadStatus:
        out_.clear();
        out_pos_ = 0;
        append_word(status_);
        pending_result_ = true;
        ready_at_.reset();
        return;
    default: status_ |= kStatusCommandFailed; return;
    }
    // A single shot: sample now (the room's value plus seeded noise), readable after max_ms.
    const double t = temperature_c_ + (noise_c_ > 0 ? (device_.rng.uniform() * 2 - 1) * noise_c_ : 0);
    const double rh = humidity_rh_ + (noise_rh_ > 0 ? (device_.rng.uniform() * 2 - 1) * noise_rh_ : 0);
    pending_t_ = raw_temperature(t);
    pending_rh_ = raw_humidity(rh);
    pending_result_ = false;
    ready_at_ = sc_core::sc_time_stamp() + sc_core::sc_time(max_ms, sc_core::SC_MS);
    ++measurements_;
}

}  // namespace svp

// Clock domains as integer arithmetic: cores count cycles as integers and convert to SystemC
// time only when they synchronise (rule 1 of the design).
#pragma once

#include <cstdint>
#include <systemc>

namespace svp {

class ClockDomain {
public:
    ClockDomain() = default;
    explicit ClockDomain(std::uint64_t hz) { set_hz(hz); }

    void set_hz(std::uint64_t hz) {
        hz_ = hz;
        period_ps_ = hz ? 1'000'000'000'000ULL / hz : 0;
    }
    std::uint64_t hz() const { return hz_; }
    // One cycle, rounded to the picosecond (SystemC's default resolution).
    sc_core::sc_time period() const { return sc_core::sc_time(static_cast<double>(period_ps_), sc_core::SC_PS); }
    // n cycles computed exactly from the frequency, not from the rounded period (128-bit:
    // n * 10^12 overflows 64 bits past about 18 million cycles).
    sc_core::sc_time cycles(std::uint64_t n) const {
        const auto ps = static_cast<unsigned __int128>(n) * 1'000'000'000'000ULL / hz_;
        return sc_core::sc_time(static_cast<double>(ps), sc_core::SC_PS);
    }

private:
    std::uint64_t hz_ = 0;
    std::uint64_t period_ps_ = 0;
};

}  // namespace svp

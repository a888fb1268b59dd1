// One PWM group of the MT3620 (PWM0..3 of GPIO_PWM_0..2, four channels each, on pins 0..11):
// its registers at the group's base + 0x1000 (MediaTek-Labs mt3620_m4_software os_hal_pwm.c,
// GROUP0_PWM_BASE 0x38011000), layout from HDL/inc/hdl_pwm.h:
//   0x000 PWM_GLO_CTRL  0 GLOBAL_KICK (self-clearing), 2:1 PWM_TICK_CLOCK_SEL (0: 32 kHz,
//                       1: 2 MHz, 2: XTAL 26 MHz), 3 GLOBAL_RESET, 15:8 DP_SEL (stored); reset 0xE400
//   0x100 + 0x10 n  PWMn_CTRL  0 KICK (self-clearing), 1 REPLAY_MODE, 2 POLARITY (1: active low),
//                   3 IO_CTRL (open drain; stored), 4 CLOCK_EN, 5 GLOBAL_KICK_ENABLE,
//                   19:8 S0_STAY_CYCLE, 31:20 S1_STAY_CYCLE; reset 0x04
//   0x104 + 0x10 n  PWMn_PARAM_S0  15:0 ON_TIME, 31:16 OFF_TIME (tick clock periods)
//   0x108 + 0x10 n  PWMn_PARAM_S1  the same for state S1
// A kick (KICK, or GLOBAL_KICK for channels with GLOBAL_KICK_ENABLE) loads the parameters; the
// channel then runs while CLOCK_EN is set: state S0 (ON_TIME high, OFF_TIME low) repeated
// S0_STAY_CYCLE times, then S1 likewise S1_STAY_CYCLE times (no S1 when that is 0), and again
// from S0 with REPLAY_MODE; without it the output rests inactive after one pass (assumed). A
// stay count of 0 for S0 means S0 repeats until the next kick (assumed). POLARITY inverts
// the pin. The output is computed from simulated time when asked (no event per edge): the
// host reads output(n) and level(n); kicks and stops are `periph.pwm output` events.
// The tick clock: 32 kHz is taken as 32768 Hz (hdl_pwm.c rounds it to 32700).
#pragma once

#include <array>

#include "models/base/peripheral.h"

namespace svp {

class Pwm : public Peripheral {
public:
    static constexpr std::uint32_t PWM_GLO_CTRL = 0x000, PWM_CTRL = 0x100, PWM_PARAM_S0 = 0x104, PWM_PARAM_S1 = 0x108,
                                   kChannelStride = 0x10;
    static constexpr std::uint32_t GLOBAL_KICK = 1u << 0, TICK_CLOCK_SHIFT = 1, kGloCtrlReset = 0xE400;
    static constexpr std::uint32_t KICK = 1u << 0, REPLAY_MODE = 1u << 1, POLARITY = 1u << 2, IO_CTRL = 1u << 3,
                                   CLOCK_EN = 1u << 4, GLOBAL_KICK_ENABLE = 1u << 5, S0_STAY_SHIFT = 8,
                                   S1_STAY_SHIFT = 20, kCtrlReset = 0x04;
    static constexpr unsigned kChannels = 4;

    struct Output {
        bool running = false;            // kicked, clock enabled, and not at rest
        std::uint64_t period_ns = 0;     // of the state now being played (S0 or S1)
        unsigned duty_permille = 0;      // its active share, 0..1000
        bool level = false;              // the pin now (polarity applied)
    };

    // `xtal_hz`: the crystal the third tick-clock choice runs at (26 MHz on the MT3620).
    Pwm(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, std::uint64_t xtal_hz);

    void reset() override;
    // ---- host side: what the channel's pin does now
    Output output(unsigned channel);
    bool level(unsigned channel) { return output(channel).level; }
    std::uint64_t tick_hz();

private:
    struct Loaded {  // the parameters a kick latched
        bool kicked = false;
        sc_core::sc_time at;
        std::uint64_t tick_hz = 0;
        std::uint32_t ctrl = 0, s0 = 0, s1 = 0;
    };
    void kick(unsigned channel);
    void report(unsigned channel);

    std::uint64_t xtal_hz_;
    std::array<Loaded, kChannels> loaded_{};
    std::array<Register*, kChannels> ctrl_{}, s0_{}, s1_{};
};

}  // namespace svp

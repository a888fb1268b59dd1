// General-purpose timers (GPT) as the MT3620's RT cores see them at 0x21030000 (and, layout
// assumed the same, the A7's timer at 0x3103E000, DTSI). Five timers:
//   GPT0, GPT1  count down from ICNT at 1 kHz or 32 kHz; interrupt when they reach 0;
//               one-shot or auto-repeat
//   GPT2        counts up, free running, 1 kHz or 32 kHz
//   GPT3        counts up from INIT at 1 MHz (xtal / (OSC_CNT_1US + 1)); interrupt at EXPIRE
//   GPT4        counts up from INIT, free running, at the bus clock (or half of it)
//
// Register layout (CodethinkLabs mt3620-m4-drivers mt3620/gpt.h; MediaTek-Labs
// mt3620_m4_software MT3620_M4_Driver/HDL/src/hdl_gpt.c):
//   0x00 GPT_ISR  (W1C: bit n = GPTn expired, n = 0, 1)   0x04 GPT_IER
//   0x10 GPT0_CTRL (bit 0 EN, 1 MODE repeat, 2 SPEED 32k, 3 RESTART)   0x14 GPT0_ICNT
//   0x20 GPT1_CTRL                                                      0x24 GPT1_ICNT
//   0x30 GPT2_CTRL (bit 0 EN, 1 SPEED 32k)   0x34 GPT2_CNT
//   0x40 GPT0_CNT  0x44 GPT1_CNT
//   0x50 GPT3_CTRL (bit 0 EN, 15 ICLR, 21:16 OSC_CNT_1US)  0x54 GPT3_INIT  0x58 GPT3_CNT  0x5C GPT3_EXPIRE
//   0x60 GPT4_CTRL (bit 0 EN, 1 SPEED: 1 = bus clock, 0 = half of it)  0x64 GPT4_INIT  0x68 GPT4_CNT
// Clocks: 32 kHz = 32768 Hz; "1 kHz" = 32768/33 Hz ("32/33 kHz according to the datasheet",
// Codethink gpt.h). GPT3's interrupt has no ISR bit: ICLR clears it (hdl_gpt.c).
// The timers share one interrupt line: (ISR & IER) != 0, or GPT3 expired and not cleared
// (one line: assumed). Counts are computed from simulated time, not ticked: an idle timer
// costs nothing.
#pragma once

#include "models/base/irq.h"
#include "models/base/peripheral.h"

namespace svp {

class Gpt : public Peripheral {
public:
    static constexpr std::uint32_t GPT_ISR = 0x00, GPT_IER = 0x04, GPT0_CTRL = 0x10, GPT0_ICNT = 0x14,
                                   GPT1_CTRL = 0x20, GPT1_ICNT = 0x24, GPT2_CTRL = 0x30, GPT2_CNT = 0x34,
                                   GPT0_CNT = 0x40, GPT1_CNT = 0x44, GPT3_CTRL = 0x50, GPT3_INIT = 0x54,
                                   GPT3_CNT = 0x58, GPT3_EXPIRE = 0x5C, GPT4_CTRL = 0x60, GPT4_INIT = 0x64,
                                   GPT4_CNT = 0x68;
    static constexpr std::uint32_t CTRL_EN = 1u << 0, CTRL_MODE_REPEAT = 1u << 1, CTRL_SPEED_32K = 1u << 2,
                                   CTRL_RESTART = 1u << 3, GPT2_SPEED_32K = 1u << 1, GPT4_SPEED_BUS = 1u << 1,
                                   GPT3_ICLR = 1u << 15;
    static constexpr std::uint64_t kHighSpeedHz = 32768;  // MT3620_GPT_012_HIGH_SPEED

    Gpt(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, std::uint64_t xtal_hz,
        std::uint64_t bus_hz, IrqLine* irq);

private:
    // A counter running at hz_num/hz_den Hz since `start` (ticks computed exactly, in picoseconds).
    struct Clocked {
        bool running = false;
        sc_core::sc_time start;
        std::uint64_t hz_num = 1, hz_den = 1;
        std::uint64_t ticks(sc_core::sc_time now) const;
        sc_core::sc_time time_of(std::uint64_t tick) const;  // when tick n begins
    };
    void start_down(int n);                 // GPT0/1: (re)load ICNT and arm the expiry
    std::uint32_t down_count(int n) const;
    void down_expired(int n);
    void start_gpt3();
    void start_gpt3_expiry();
    std::uint32_t gpt3_count();
    std::uint32_t gpt4_count();
    void update_irq();

    std::uint64_t xtal_hz_, bus_hz_;
    IrqLine* irq_;
    Clocked down_[2], gpt2_, gpt3_, gpt4_;
    sc_core::sc_event expire_[2], gpt3_expire_;
    bool gpt3_pending_ = false;
    std::uint32_t load_[2]{}, frozen_[2]{}, gpt2_frozen_ = 0, gpt3_frozen_ = 0, gpt4_frozen_ = 0;
    Register *ctrl_[2]{}, *icnt_[2]{};
};

}  // namespace svp

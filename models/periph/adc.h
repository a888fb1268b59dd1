// The MT3620's 8-channel, 12-bit ADC (ADC0..7 on pins 41..48). Its registers share the 64 KiB
// block at 0x38000000 with the ADC pins' GPIO registers (0x000..0x0FF, models/periph/gpio.h),
// so this model's window starts at 0x38000100 and its offsets are the datasheet's minus 0x100.
// Layout from CodethinkLabs mt3620-m4-drivers mt3620/adc.h (datasheet offset in brackets):
//   0x000 [0x100] ADC_CTL0   0 ADC_FSM_EN, 3:1 REG_AVG_MODE, 7:4 REG_T_CH, 8 PMODE_EN,
//                            15:9 REG_T_INIT, 31:16 REG_CH_MAP (bit 16 + n = channel n)
//   0x004 [0x104] REG_PERIOD periodic mode: a scan every REG_PERIOD + 1 ADC clock cycles
//   0x008 [0x108] ADC_CTL2   0x00C [0x10C] ADC_CTL3 (bit 31 VCM_AZURE_EN: 1.8 V reference,
//                            else 2.5 V; the other analogue trims are stored only)
//   0x010 [0x110] ADC_CTL4   RO
//   0x100 [0x200] ADC_FIFO_RBR  RO: pops one sample: bits 15:4 the 12-bit value, 3:0 channel
//   0x104 [0x204] ADC_FIFO_IER  0 RXFEN (FIFO at trigger level), 2 RXTEN (timeout, not modelled)
//   0x108 [0x208] ADC_IIR       RO: 4 = data at trigger level (and RXFEN), else 1 (none pending)
//   0x114 [0x214] ADC_FIFO_LSR  RO: 0 data ready, 1 overrun (sticky until read) (assumed, 16550-like)
//   0x14C [0x24C] ADC_FIFO_DMA_EN   stored; DMA is not modelled ("unimplemented" log)
//   0x160 [0x260] ADC_FIFO_TRI_LVL  6:2 RX_TRI_LVL (reset 0x1C: 7)
//   0x1D4 [0x2D4] ADC_FIFO_DEBUG16  RO: 4:0 read pointer, 9:5 write pointer
// The FIFO holds 16 samples (5-bit pointers, assumed). Its interrupt: RXFEN and at least
// max(RX_TRI_LVL, 1) samples waiting (assumed reading of "trigger level").
// A scan (ADC_FSM_EN 0 -> 1, assumed the start of a one-shot scan; with PMODE_EN, periodic
// scans until ADC_FSM_EN is cleared): REG_T_INIT cycles of settling, then each enabled channel
// in turn takes (REG_T_CH + 12) cycles, times 2^REG_AVG_MODE when averaging (assumed: a 12-bit
// SAR needs 12 cycles, REG_T_CH is the sampling time). The ADC clock is 2 MHz (Codethink
// ADC.c ADC_CLK_FREQUENCY). A one-shot scan clears ADC_FSM_EN when it ends (assumed).
// Inputs are host-set voltages; a sample is round(min(V, Vref) / Vref * 4095).
#pragma once

#include <array>
#include <deque>
#include <vector>

#include "models/base/irq.h"
#include "models/base/peripheral.h"

namespace svp {

class Adc : public Peripheral {
public:
    static constexpr std::uint32_t ADC_CTL0 = 0x000, REG_PERIOD = 0x004, ADC_CTL2 = 0x008, ADC_CTL3 = 0x00C,
                                   ADC_CTL4 = 0x010, ADC_FIFO_RBR = 0x100, ADC_FIFO_IER = 0x104, ADC_IIR = 0x108,
                                   ADC_FIFO_LSR = 0x114, ADC_FIFO_DMA_EN = 0x14C, ADC_FIFO_TRI_LVL = 0x160,
                                   ADC_FIFO_DEBUG16 = 0x1D4;
    static constexpr std::uint32_t kDatasheetOffset = 0x100;  // this window starts at ADC base + 0x100
    // ADC_CTL0
    static constexpr std::uint32_t ADC_FSM_EN = 1u << 0, PMODE_EN = 1u << 8;
    static constexpr unsigned AVG_SHIFT = 1, T_CH_SHIFT = 4, T_INIT_SHIFT = 9, CH_MAP_SHIFT = 16;
    static constexpr std::uint32_t VCM_AZURE_EN = 1u << 31;
    static constexpr std::uint32_t RXFEN = 1u << 0, RXTEN = 1u << 2;
    static constexpr std::uint32_t IIR_NONE = 1, IIR_RX_DATA = 4;
    static constexpr std::uint32_t LSR_DR = 1u << 0, LSR_OE = 1u << 1;
    static constexpr unsigned kChannels = 8, kFifoDepth = 16;
    static constexpr std::uint64_t kAdcClockHz = 2'000'000;

    Adc(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, IrqLine* irq);

    void reset() override;
    // ---- host side: the voltage on an input pin, in millivolts
    void set_input_mv(unsigned channel, double millivolts);
    double input_mv(unsigned channel) const { return inputs_mv_.at(channel); }
    // The reference the conversion uses now (2500 or 1800 mV).
    double reference_mv();
    // What a sample of `channel` reads now (the 12-bit code).
    std::uint16_t code_of(unsigned channel);
    // One ADC clock cycle.
    static sc_core::sc_time cycle() { return sc_core::sc_time(500, sc_core::SC_NS); }

private:
    void start_scan(bool first);
    void scan_step();  // the conversion of the channel whose time has come
    void update_irq();
    unsigned trigger_level();

    IrqLine* irq_;
    std::array<double, kChannels> inputs_mv_{};
    std::deque<std::uint32_t> fifo_;
    unsigned rptr_ = 0, wptr_ = 0;
    bool overrun_ = false, overrun_reported_ = false;
    std::vector<unsigned> scan_;  // the channels left in this scan, in order
    sc_core::sc_time scan_start_;
    sc_core::sc_event step_;
};

}  // namespace svp

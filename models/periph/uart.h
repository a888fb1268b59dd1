// A 16550-style UART as the MT3620's ISU UARTs and RT-core UARTs present it: 8-bit registers
// on a 4-byte stride. The model carries the transmit side to a host-visible console (each
// completed line is an event and a log line) and accepts host input into the receive FIFO.
// Timing: each character takes 10 bit times at the programmed baud rate (8N1).
#pragma once

#include <deque>
#include <functional>
#include <string>

#include "models/base/clock.h"
#include "models/base/irq.h"
#include "models/base/peripheral.h"

namespace svp {

class Uart : public Peripheral {
public:
    // 16550 register offsets, 4-byte stride (MT3620 ISU UART block at ISU base + 0x500).
    static constexpr std::uint32_t RBR_THR = 0x00, IER = 0x04, IIR_FCR = 0x08, LCR = 0x0C,
                                   MCR = 0x10, LSR = 0x14, MSR = 0x18, SCR = 0x1C;
    // LSR bits
    static constexpr std::uint32_t LSR_DR = 1u << 0, LSR_THRE = 1u << 5, LSR_TEMT = 1u << 6;
    // IER bits
    static constexpr std::uint32_t IER_ERBFI = 1u << 0, IER_ETBEI = 1u << 1;

    Uart(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time access_latency,
         std::uint64_t clock_hz, IrqLine* irq);

    // Host side: bytes typed into the device (a legacy device on the wire, a test).
    void receive(std::string_view bytes);
    // Host side: every transmitted byte, as it leaves the shift register.
    void on_transmit(std::function<void(char)> listener) { tx_listeners_.push_back(std::move(listener)); }
    const std::string& transcript() const { return transcript_; }

private:
    void update_irq();
    void transmit(std::uint8_t byte);
    sc_core::sc_time char_time() const;

    std::uint64_t clock_hz_;
    IrqLine* irq_;
    std::deque<std::uint8_t> rx_;
    std::string line_, transcript_;
    std::vector<std::function<void(char)>> tx_listeners_;
    std::uint32_t dll_ = 14, dlm_ = 0;  // divisor latch: 26 MHz / (16 * 14) ~ 115200 baud
};

}  // namespace svp

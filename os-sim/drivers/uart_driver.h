// A UART of an ISU for apps (Capabilities.Uart), on the platform's 16550-style model
// (models/periph/uart.h: 8-bit registers on a 4-byte stride). Transmit is polled on LSR.THRE;
// receive takes what the FIFO holds and otherwise waits for the receive interrupt (IER.ERBFI),
// so a reader sleeps without spinning. Every access goes over the bus as the app core.
#pragma once

#include <span>
#include <string>

#include "common/util/bytes.h"
#include "models/base/irq.h"
#include "os-sim/kernel/hw.h"

namespace svp::os {

class UartDriver {
public:
    UartDriver(Hw& hw, std::string isu, std::uint64_t base, IrqLine* irq) : hw_(hw), isu_(std::move(isu)), base_(base), irq_(irq) {}

    const std::string& isu() const { return isu_; }  // "ISU1"
    std::uint64_t base() const { return base_; }
    // Sends every byte; their count, or -EIO on a bus error.
    long write(ByteView data);
    // The bytes waiting in the receive FIFO (at most out.size()); -EAGAIN when there are none
    // (the receive interrupt is then enabled), -EIO on a bus error.
    long read(std::span<std::uint8_t> out);
    // Fires when the UART's interrupt line changes (data arrived); nullptr without a line.
    const sc_core::sc_event* rx_event() const { return irq_ ? &irq_->changed() : nullptr; }

private:
    Hw& hw_;
    std::string isu_;
    std::uint64_t base_;
    IrqLine* irq_;
};

}  // namespace svp::os

#include "os-sim/drivers/uart_driver.h"

#include <cerrno>

#include "models/periph/uart.h"

namespace svp::os {

long UartDriver::write(ByteView data) {
    try {
        for (auto byte : data) {
            while (!(hw_.read32(base_ + Uart::LSR) & Uart::LSR_THRE)) hw_.cpu().consume(10);
            hw_.write32(base_ + Uart::RBR_THR, byte);
        }
    } catch (const BusError&) {
        return -EIO;
    }
    return static_cast<long>(data.size());
}

long UartDriver::read(std::span<std::uint8_t> out) {
    try {
        std::size_t n = 0;
        while (n < out.size() && (hw_.read32(base_ + Uart::LSR) & Uart::LSR_DR))
            out[n++] = static_cast<std::uint8_t>(hw_.read32(base_ + Uart::RBR_THR));
        // Nothing (more) waiting: interrupt when the next byte comes, else stay quiet, so the
        // line reflects only data a reader still has to take.
        hw_.write32(base_ + Uart::IER, n == 0 ? Uart::IER_ERBFI : 0);
        return n ? static_cast<long>(n) : -EAGAIN;
    } catch (const BusError&) {
        return -EIO;
    }
}

}  // namespace svp::os

#include "os-sim/drivers/console.h"

#include "models/periph/uart.h"

namespace svp::os {

void Console::write(std::string_view text) {
    for (char c : text) {
        while (!(hw_.read32(base_ + Uart::LSR) & Uart::LSR_THRE)) hw_.cpu().consume(10);
        hw_.write32(base_ + Uart::RBR_THR, static_cast<std::uint8_t>(c));
    }
}

}  // namespace svp::os

// The console: kernel and app output on the debug UART (16550 registers, polled transmit).
#pragma once

#include <string_view>

#include "os-sim/kernel/hw.h"

namespace svp::os {

class Console {
public:
    Console(Hw& hw, std::uint64_t uart_base) : hw_(hw), base_(uart_base) {}
    void write(std::string_view text);

private:
    Hw& hw_;
    std::uint64_t base_;
};

}  // namespace svp::os

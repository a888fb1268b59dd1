// A small machine compatible with QEMU's `-M mps2-an386` (Arm MPS2 FPGA image AN386: one
// Cortex-M4 at 25 MHz): enough for bare-metal test programs and the differential tests.
//   0x00000000  4 MiB  SSRAM1 (code; writable, as on the board)
//   0x20000000  4 MiB  SSRAM2/3 (data)
//   0x40004000         CMSDK APB UART0 (RX irq 0, TX irq 1)
//   0x60000000 16 MiB  PSRAM
// plus, inside the core, SysTick, NVIC and the rest of the PPB, bit-banding, and semihosting.
// QEMU's other AN386 devices (timers, SCC, FPGA I/O) are absent: touching them is a BusFault.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "models/base/device_context.h"
#include "models/bus/memory.h"
#include "models/bus/router.h"
#include "models/cpu/armv7m/cortex_m4_module.h"
#include "models/cpu/armv7m/elf_loader.h"
#include "models/cpu/armv7m/mps2/cmsdk_uart.h"

namespace svp {

class Mps2An386 {
public:
    struct Options {
        sc_core::sc_time quantum = sc_core::SC_ZERO_TIME;  // the global quantum, default 1 us
        std::function<void(int fd, std::string_view)> output;  // program output (UART = fd 1)
    };
    Mps2An386(DeviceContext& device, Options options);

    // Loads the ELF's segments at their physical addresses and resets the core (SP and PC
    // from the vector table at 0, as the board and QEMU do). Throws InputError.
    const armv7m::ElfImage& load(const std::filesystem::path& elf);

    CortexM4Module& cpu() { return *cpu_; }
    const armv7m::ElfImage& image() const { return image_; }

private:
    DeviceContext& device_;
    Options options_;
    std::unique_ptr<Router> bus_;
    std::unique_ptr<Memory> ssram1_, ssram23_, psram_;
    std::unique_ptr<CmsdkUart> uart0_;
    std::unique_ptr<CortexM4Module> cpu_;
    armv7m::ElfImage image_;
};

}  // namespace svp

// What the platform tells the OS about the hardware, as a device tree does: where each device
// is on the bus, which interrupt line it raises, where DMA-able RAM is, what operations cost.
// The OS binds its drivers from this and never reaches into platform internals.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/util/bytes.h"

#include "models/base/irq.h"

namespace svp::os {

struct DeviceTree {
    std::string device_name;               // "dev0"
    std::uint64_t console_uart = 0;        // UART register base
    std::uint64_t sec_mailbox = 0;         // the app core's side of the security mailbox
    IrqLine* sec_mailbox_irq = nullptr;
    std::uint64_t nic = 0;
    IrqLine* nic_irq = nullptr;
    std::uint64_t ram_base = 0, ram_size = 0;      // SRAM the kernel may use (DMA-able)
    std::uint64_t apps_partition = 0, apps_size = 0;  // flash window holding app images
    std::uint64_t config_partition = 0, config_size = 0;
    std::int64_t rtc_epoch_unix_s = 0;     // the RTC's time at power-on (scenario epoch)
    std::map<std::string, std::uint64_t> costs;    // os.costs from the variant, in cycles
    // The real-time cores (their names) and IO_CORE_CONTROL: load a verified firmware ELF into
    // `core` and release it from reset. Returns "" when the core runs, else why it does not
    // (no such core, a segment outside the core's memory, not an ELF ...).
    std::vector<std::string> rt_cores;
    std::function<std::string(const std::string& core, ByteView elf, const std::string& app)> io_core_control;
};

}  // namespace svp::os

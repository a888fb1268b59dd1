// What the platform tells the OS about the hardware, as a device tree does: where each device
// is on the bus, which interrupt line it raises, where DMA-able RAM is, what operations cost.
// The OS binds its drivers from this and never reaches into platform internals.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/defences/defences.h"
#include "common/util/bytes.h"

#include "models/base/irq.h"

namespace svp::os {

// One peripheral window the app core can see (a device-tree node): drivers bind by `kind`
// ("uart", "gpio", "gpt", "wdt", "mailbox", ...). A mailbox names the core on its other side.
struct DeviceNode {
    std::string name, kind;
    std::uint64_t base = 0, size = 0;
    IrqLine* irq = nullptr;
    std::string peer;       // mailboxes: the core at the other side ("rt0", "sec")
    std::vector<int> pins;  // GPIO blocks: the package pin each register bit drives (the variant's list)
    std::uint64_t clock_hz = 0;  // I2C/SPI masters: the clock their speed divides (26 MHz source, SPI HCLK)
};

// RAM the app core shares with other cores (the firewall lets both in): where the kernel puts
// the buffers of an inter-core channel, which the core at the other end must be able to read.
struct SharedMemoryNode {
    std::string name;
    std::uint64_t base = 0, size = 0;
    std::vector<std::string> shared_with;  // the other cores that may access it
};

struct DeviceTree {
    std::string device_name;               // "dev0"
    std::string app_core;                  // the core this OS runs on, as the firewall names it ("a7")
    std::uint64_t console_uart = 0;        // UART register base
    std::uint64_t sec_mailbox = 0;         // the app core's side of the security mailbox
    IrqLine* sec_mailbox_irq = nullptr;
    std::uint64_t nic = 0;
    IrqLine* nic_irq = nullptr;
    std::uint64_t ram_base = 0, ram_size = 0;      // SRAM the kernel may use (DMA-able)
    std::uint64_t apps_partition = 0, apps_size = 0;  // flash window holding app images
    std::uint64_t config_partition = 0, config_size = 0;  // the OS's mutable storage
    std::uint32_t flash_sector_size = 4096;
    std::int64_t rtc_epoch_unix_s = 0;     // the RTC's time at power-on (scenario epoch)
    std::map<std::string, std::uint64_t> costs;    // os.costs from the variant, in cycles
    DefenceSet defences;  // the OS's defences (layer "os" in defences.def) a test variant switched off
    std::vector<DeviceNode> peripherals;   // every other window the app core can see
    std::vector<SharedMemoryNode> shared_memories;  // every RAM the app core shares with another core
    // The real-time cores (their names) and IO_CORE_CONTROL: load a verified firmware ELF into
    // `core` and release it from reset. Returns "" when the core runs, else why it does not
    // (no such core, a segment outside the core's memory, not an ELF ...).
    std::vector<std::string> rt_cores;
    std::function<std::string(const std::string& core, ByteView elf, const std::string& app)> io_core_control;
};

}  // namespace svp::os

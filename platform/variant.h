// A device variant as data (rule 4 of the design): cores and clocks, memories, the address
// map, peripherals and their interrupts, the flash layout, the boot chain, crypto-engine and
// OS costs. Loaded from platform/variants/NAME.yaml and validated as a whole; every mistake
// is reported as `file:line: what is wrong`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/defences/defences.h"
#include "models/security/security_subsystem.h"

namespace svp {

// One input of a real-time core's NVIC: irq line -> external interrupt number.
struct NvicWiringSpec {
    std::string irq;
    unsigned input = 0;
    int line = 0;
};

struct CoreSpec {
    std::string name, kind;  // kind: app-core, cortex-m4f, security-core
    double clock_mhz = 0;    // cortex-m4f: its fastest clock (MT3620: the 197.6 MHz PLL)
    bool secure = false;
    int line = 0;
    // ---- cortex-m4f only
    double reset_clock_mhz = 0;          // the clock after reset (MT3620: the 26 MHz crystal)
    unsigned nvic_irqs = 32;             // external interrupts of its NVIC
    unsigned nvic_priority_bits = 8;     // implemented priority bits (MT3620 M4: 3)
    std::vector<NvicWiringSpec> nvic_wiring;
    std::string firmware;                // the ELF it runs unless a scenario says otherwise ("": none)
    int firmware_line = 0;
};

// A region's firewall rule at reset (models/bus/firewall.h); its slot is its order in the file.
struct FirewallRuleSpec {
    std::vector<std::string> owners;  // initiator names
    bool secure_only = false, privileged_only = false, raz_wi = false;
    int line = 0;
};

// Another window onto the same memory (the RT cores' XIP view of flash at 0x10000000).
struct AliasSpec {
    std::uint64_t base = 0, size = 0, offset = 0;  // offset into the memory
    std::vector<std::string> visible_to;
    int line = 0;
};

struct MemorySpec {
    std::string name, kind;  // ram, rom, nor-flash
    std::uint64_t base = 0, size = 0;
    double read_ns = 0, write_ns = 0;
    unsigned read_wait_states = 0, write_wait_states = 0;  // cycles of the initiator's clock
    bool dmi = true;  // false: every access goes through the bus (and its contention model)
    std::vector<AliasSpec> aliases;
    std::uint64_t sector_size = 0;
    double program_page_us = 0, erase_sector_ms = 0;
    std::vector<std::string> visible_to;
    std::optional<FirewallRuleSpec> firewall;
    int line = 0;
};

struct WindowSpec {  // one bus window of a peripheral (a mailbox has one per side)
    std::uint64_t base = 0, size = 0;
    std::vector<std::string> visible_to;
    std::string irq;
    std::optional<FirewallRuleSpec> firewall;
    int line = 0;
    std::string irq_wr, irq_rd;  // mailbox sides: the per-direction lines (optional)
};

struct OtpRowSpec {
    std::string name;
    std::uint32_t words = 0;
    bool secret = false;
    int line = 0;
};

// One line of an interrupt controller's wiring: irq line -> SPI number.
struct IrqWiringSpec {
    std::string irq;
    unsigned spi = 0;
    bool edge = false;
    int line = 0;
};

// A device on an I2C or SPI master's wire (i2c-master / spi-master `devices:`).
struct BusDeviceSpec {
    std::string kind;          // sht3x (I2C), spi-nor (SPI)
    unsigned address = 0;      // I2C: the 7-bit address; SPI: the chip select
    std::uint64_t size = 0;    // spi-nor: bytes
    int line = 0;
};

struct PeripheralSpec {
    std::string name, kind;  // see kPeripheralKinds in variant.cpp
    std::vector<WindowSpec> windows;  // gic: [distributor, cpu interface]
    std::optional<unsigned> wait_states;  // register access cycles at the initiator's clock
    double clock_mhz = 0;                       // uart, gpt (bus clock for GPT4), trng, i2c/spi-master (source clock)
    double latency_ms = 0, bandwidth_mbps = 0;  // nic
    std::vector<OtpRowSpec> otp_rows;           // otp
    double program_us_per_word = 0;             // otp
    std::string flash;                          // flash-controller: the nor-flash memory it drives
    std::vector<unsigned> pins;                 // gpio: the package pin of each bit
    double xtal_mhz = 0;                        // gpt, pwm
    std::string resets, core;                   // wdt: "core" (with core) or "device"; gic: its core
    double clock_hz = 0;                        // rtc
    unsigned lines = 0;                         // gic
    std::vector<IrqWiringSpec> wiring;          // gic
    std::vector<BusDeviceSpec> devices;         // i2c-master, spi-master: what is on the wire
    std::vector<double> inputs_mv;              // adc: the voltage on each input at power-on
    int line = 0;
};

struct BusSpec {
    double hop_ns = 0;          // fixed cost of one trip through the interconnect
    double clock_mhz = 0;       // the interconnect's clock (0: no contention model)
    unsigned width_bytes = 4;   // bytes per bus beat
    bool contention = false;   // a transaction that finds the bus busy waits for it
    unsigned arbitration_cycles = 1;
    unsigned window_cycles = 32;  // bandwidth is shared per window of this many bus cycles
    unsigned peripheral_wait_states = 0;  // a peripheral's register access cycles unless it says
};

struct PartitionSpec {
    std::string name;
    std::uint64_t offset = 0, size = 0;
    int line = 0;
};

struct BootStageSpec {
    std::string stage, image_type, counter;
    std::vector<std::string> slots;
    int line = 0;
};

// One value of a variant file replaced before validation (`--set cores.a7.clock_mhz=800`):
// a dotted path through the file's mappings; in a list (memories, peripherals, flash_layout,
// boot_chain) an element is named by its `name` (or `stage`).
struct VariantOverride {
    std::string key, value;
    std::string text() const { return key + "=" + value; }
};

// Power figures for the energy estimate (milliwatts, assumed unless a file cites a source):
// each component's draw while active and while asleep. Components are cores (busy / not),
// "crypto" (the security subsystem's engines while they work) and NIC peripherals (the radio,
// active while a host connection is open); `static_mw` is drawn all the time.
struct PowerStateSpec {
    double active_mw = 0, sleep_mw = 0;
    int line = 0;
};
struct PowerSpec {
    double static_mw = 0;
    std::map<std::string, PowerStateSpec> components;
    int line = 0;
};

struct Variant {
    std::string file, name, summary;
    std::vector<CoreSpec> cores;
    std::vector<std::string> dma_initiators;
    double hop_ns = 0;  // = bus.hop_ns (kept for existing users)
    BusSpec bus;
    std::vector<MemorySpec> memories;
    std::vector<PeripheralSpec> peripherals;
    std::vector<PartitionSpec> flash_layout;
    std::vector<BootStageSpec> boot_chain;
    CryptoCosts crypto;
    std::map<std::string, std::uint64_t> os_costs;
    std::optional<PowerSpec> power;  // absent: no energy estimate
    std::vector<VariantOverride> overrides;  // applied to the file before it was read
    // Regression power (SCENARIOS.md): only a test variant may switch defences off.
    bool test_variant = false;
    DefenceSet defences;

    const CoreSpec& core(const std::string& name) const;
    const MemorySpec& memory(const std::string& name) const;
    const MemorySpec& flash() const;  // the nor-flash memory
    const PartitionSpec& partition(const std::string& name) const;
    std::uint64_t os_cost(const std::string& name) const;  // throws for an unknown cost name
    // Initiator names in id order: cores, then DMA initiators.
    std::vector<std::string> initiators() const;
    // The clock of each initiator in id order (a DMA engine runs at the bus clock, or the
    // app core's when the bus has none).
    std::vector<double> initiator_clocks_mhz() const;
    const PeripheralSpec& peripheral(const std::string& name) const;
};

// Parses KEY=VALUE; throws InputError for anything else.
VariantOverride parse_variant_override(const std::string& text);

// Loads and validates a variant file; throws InputError (file:line) on any mistake. An
// override whose path names no value of the file is an error that lists what is there.
Variant load_variant(const std::filesystem::path& path);
Variant load_variant(const std::filesystem::path& path, const std::vector<VariantOverride>& overrides);
// Gives `peripheral` to `core` in the firewall's boot configuration: its rule's owners become
// that core alone (what the OS does from an RT app's manifest, SET_PERIPHERAL_MAPPING, before
// it locks the firewall). Throws InputError (no file) for a peripheral that is unknown, has no
// firewall rule or several windows, or a core that is not a real-time core.
void assign_peripheral(Variant& variant, const std::string& peripheral, const std::string& core);
// Where built firmware lives: $SPHEREVP_FIRMWARE_DIR, else the build tree's firmware/ folder.
std::filesystem::path firmware_dir();
// A firmware path as written in a variant or a scenario: "${firmware}/examples/x.elf" is under
// firmware_dir(); any other relative path is relative to `relative_to` (the file naming it).
std::filesystem::path resolve_firmware_path(const std::string& text, const std::filesystem::path& relative_to);
// Finds platform/variants/NAME.yaml (or takes NAME as a path when it names a file).
std::filesystem::path find_variant(const std::string& name_or_path);
std::vector<std::string> shipped_variants();

}  // namespace svp

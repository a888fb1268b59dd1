// The platform builder: assembles one simulated device from a Variant (rule 4: C++ binds what
// the file says). It creates the interconnect, memories, flash, peripherals, interrupt lines,
// the security subsystem and the app core, maps every window from the variant's address map,
// and gives each bus master its identity (rule 5).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/bus/bus_trace.h"
#include "models/bus/firewall.h"
#include "models/bus/flash_controller.h"
#include "models/bus/otp.h"
#include "models/bus/memory.h"
#include "models/bus/nor_flash.h"
#include "models/bus/router.h"
#include "models/cpu/app_core.h"
#include "models/cpu/armv7m/clock_control.h"
#include "models/cpu/armv7m/cortex_m4_module.h"
#include "models/cpu/armv7m/elf_loader.h"
#include "models/net/host_bridge.h"
#include "models/periph/gic.h"
#include "models/periph/gpio.h"
#include "models/periph/adc.h"
#include "models/periph/gpt.h"
#include "models/periph/i2c_master.h"
#include "models/periph/pwm.h"
#include "models/periph/sht3x.h"
#include "models/periph/spi_master.h"
#include "models/periph/spi_nor.h"
#include "models/periph/mailbox.h"
#include "models/periph/nic.h"
#include "models/periph/rtc.h"
#include "models/periph/trng.h"
#include "models/periph/uart.h"
#include "models/periph/watchdog.h"
#include "models/security/security_subsystem.h"
#include "os-sim/kernel/device_tree.h"
#include "platform/variant.h"
#include "common/util/input_error.h"

namespace svp {

// What the factory put into one device: fuses and the initial flash contents.
struct Provisioning {
    crypto::Digest device_secret{};               // UDS
    std::vector<crypto::Digest> root_keys;        // trusted root key ids, by slot
    std::vector<std::size_t> revoked_root_keys;
    std::map<std::string, unsigned> counters;     // anti-rollback fuse counters
    image::Guid product{};
    bool debug_locked = true, secure_boot = true;
    ManufacturingState manufacturing = ManufacturingState::device_complete;
    std::map<std::string, Bytes> partitions;      // partition name -> bytes written at its start
    std::optional<std::int64_t> rtc_epoch_unix_s; // what every RTC shows at power-on
};

class Device : public sc_core::sc_module {
public:
    Device(sc_core::sc_module_name name, Variant variant, DeviceContext& context, HostBridge& bridge);
    ~Device() override;

    // ---- observability (call before the simulation starts)
    // A VCD waveform (GTKWave) of every interrupt line, every core's reset state, every GPIO
    // pin the variant's blocks reach and the flash's power. `path` gets ".vcd" if it lacks it.
    void trace_vcd(const std::string& path);
    // Every bus transaction through the router that passes `filter`, as JSON lines or a
    // Chrome/Perfetto trace (by default: .json is Chrome, anything else JSON lines).
    void trace_bus(const std::string& path, BusTraceFilter filter = {}, std::optional<BusTrace::Format> format = {});
    const BusTrace* bus_trace() const { return bus_trace_.get(); }

    // Burns fuses and programs flash (before the simulation starts). Throws InputError when
    // an image does not fit its partition.
    void provision(const Provisioning& p);

    const Variant& variant() const { return variant_; }
    DeviceContext& context() { return context_; }
    Router& router() { return *router_; }
    // The peripheral firewall, or nullptr when the variant has none.
    Firewall* firewall() { return firewall_.get(); }
    // The bus-visible e-fuse block and flash controller, or nullptr when the variant has none.
    OtpFuses* otp() { return otp_.get(); }
    FlashController* flash_controller() { return flash_controller_.get(); }
    // Any register block by its variant name (a GIC's CPU interface is "NAME.cpu").
    Peripheral& block(const std::string& name);
    template <class T> T& block_as(const std::string& name) {
        if (auto* t = dynamic_cast<T*>(&block(name))) return *t;
        throw InputError("peripheral '" + name + "' is not of the requested kind");
    }
    Gic& gic(const std::string& name);
    // The devices on an I2C or SPI master's wire (the variant's `devices:`), host side: a
    // sensor's room, a flash's contents. Throw InputError when there is none.
    Sht3x& sht3x(const std::string& i2c_master, unsigned address);
    SpiNorFlash& spi_flash(const std::string& spi_master, unsigned chip_select);
    // The package pins the GPIO blocks drive (host side: drive inputs, watch outputs).
    GpioPins& gpio_pins() { return *gpio_pins_; }
    // True while a core is held in reset (traced by --vcd).
    using ResetSignal = sc_core::sc_signal<bool, sc_core::SC_MANY_WRITERS>;
    ResetSignal& core_in_reset(const std::string& core);

    // A watchdog (or other block) asks for a core or device reset. The platform marks a core
    // reset in core_in_reset; what a reset does to the running software is the listener's
    // business (the scenario engine). reset_platform_blocks() returns the firewall, fuse
    // latches, flash controller and watchdogs to their reset state.
    void on_reset_request(std::function<void(const ResetRequest&)> l) { reset_listeners_.push_back(std::move(l)); }
    void reset_platform_blocks();
    SecuritySubsystem& security() { return *security_; }
    AppCore& app_core() { return *app_core_; }

    // ---- real-time cores: every cortex-m4f core of the variant is a CortexM4Module on the bus
    // with its own identity, memory view (visible_to), NVIC wiring and clock control (cm4-rgu).
    // Each is held in reset until it has firmware and is started, as the OS does through the
    // security monitor's IO_CORE_CONTROL; it starts at reset_clock_mhz.
    std::vector<std::string> rt_cores() const;
    CortexM4Module& rt_core(const std::string& name);
    // Makes `image` the core's firmware after checking that every segment lies in memory the
    // core can see and write (TCM, SYSRAM, its XIP flash window). Throws InputError naming the
    // ELF file and the segment. `start_with_os`: the core starts when the security core releases
    // the app core, and again after each device reset; else only start_rt_core starts it.
    void load_rt_firmware(const std::string& core, armv7m::ElfImage image, bool start_with_os = true);
    // IO_CORE_CONTROL run / stop (a scenario action, a test). Starting loads the firmware again
    // and resets the core from its vector table at reset_clock_mhz. Throws InputError for a core
    // without firmware.
    void start_rt_core(const std::string& core, const std::string& reason = "io-core-control run");
    void stop_rt_core(const std::string& core, const std::string& reason = "io-core-control stop");
    NorFlash& flash() { return *flash_; }
    Memory& memory(const std::string& name);
    Uart& uart(const std::string& name);
    Nic& nic(const std::string& name);
    IrqLine& irq(const std::string& name);
    const std::map<std::string, std::unique_ptr<IrqLine>>& irqs() const { return irqs_; }
    BusInitiator initiator(const std::string& name) const;
    // The bus address of a flash partition (the flash is mapped for every initiator).
    std::uint64_t partition_address(const std::string& partition) const;

    // Resets the whole device as its reset pin would (watchdog, DEVICE_RESET, a scenario's
    // power cut): every core back to reset, peripherals to reset values, SRAM lost, then the
    // security subsystem's boot ROM runs again. Safe to call from anywhere: the reset happens
    // in the device's reset-controller process, one delta later.
    void request_reset(const std::string& reason);
    std::uint64_t resets() const { return resets_; }

    // What the OS on the app core is told about this hardware (its "device tree").
    os::DeviceTree os_device_tree(std::int64_t rtc_epoch_unix_s) const;

    // The resolved memory map and clocks, as a table (`spherevp platform show`).
    std::string describe() const;

private:
    struct RtCore {
        std::unique_ptr<CortexM4Module> module;
        Cm4ClockControl* clock = nullptr;
        bool start_with_os = false;
    };
    RtCore& rt_entry(const std::string& name);
    void rt_clock_changed(const std::string& core, std::uint64_t hz, const std::string& source);
    std::map<std::string, RtCore> rt_cores_;
    std::vector<ClockDomain> initiator_clocks_;  // what the router charges wait states at
    IrqLine* irq_or_null(const std::string& name);
    void reset_controller();
    static constexpr int kGuardFromWindow = -2;
    // Maps a peripheral window (its wait states are the peripheral being built's, `current_`).
    void map_window(const std::string& name, const WindowSpec& w, tlm::tlm_target_socket<>& socket, bool dmi,
                    int guard = kGuardFromWindow);
    void map_region(BusRegion r, const std::vector<std::string>& visible_to);
    template <class T, class... Args> T& add_block(const std::string& name, const WindowSpec& w, Args&&... args) {
        auto block = std::make_unique<T>(name.c_str(), std::forward<Args>(args)...);
        T& ref = *block;
        map_window(name, w, ref.socket, false);
        blocks_[name] = &ref;
        owned_blocks_[name] = std::move(block);
        return ref;
    }
    void reset_requested(const ResetRequest& r);
    static std::size_t gpio_pin_count(const Variant& v);
    const PeripheralSpec* current_ = nullptr;
    // Registers a region's firewall rule (if any) and returns its slot, or -1.
    int guard_for(const std::string& region, const std::optional<FirewallRuleSpec>& rule);
    std::vector<FirewallRule> firewall_rules_;

    Variant variant_;
    DeviceContext& context_;
    std::unique_ptr<Router> router_;
    std::map<std::string, std::unique_ptr<IrqLine>> irqs_;
    std::map<std::string, std::unique_ptr<Memory>> memories_;
    NorFlash* flash_ = nullptr;
    std::map<std::string, std::unique_ptr<Uart>> uarts_;
    std::map<std::string, std::unique_ptr<Mailbox>> mailboxes_;
    std::map<std::string, std::unique_ptr<Nic>> nics_;
    std::unique_ptr<Firewall> firewall_;
    std::unique_ptr<GpioPins> gpio_pins_;
    std::map<std::string, Peripheral*> blocks_;
    std::map<std::string, std::unique_ptr<Peripheral>> owned_blocks_;
    std::map<std::string, std::unique_ptr<Gic>> gics_;
    // The wires of the I2C/SPI masters and what hangs on them ("i2c_isu1", "i2c_isu1@68").
    std::map<std::string, std::unique_ptr<I2cBus>> i2c_buses_;
    std::map<std::string, std::unique_ptr<SpiBus>> spi_buses_;
    std::map<std::string, std::unique_ptr<Sht3x>> sht3x_;
    std::map<std::string, std::unique_ptr<SpiNorFlash>> spi_flashes_;
    std::map<std::string, std::unique_ptr<ResetSignal>> core_in_reset_;  // the boot ROM releases, the reset controller asserts
    std::vector<std::function<void(const ResetRequest&)>> reset_listeners_;
    sc_core::sc_trace_file* vcd_ = nullptr;
    std::string vcd_path_;
    std::map<std::string, std::unique_ptr<IrqLine>> probes_;  // levels traced only for the VCD
    std::unique_ptr<BusTrace> bus_trace_;
    std::unique_ptr<OtpFuses> otp_;
    std::unique_ptr<FlashController> flash_controller_;
    std::unique_ptr<SecuritySubsystem> security_;
    std::unique_ptr<AppCore> app_core_;
    sc_core::sc_event reset_requested_;
    std::string reset_reason_;
    std::uint64_t resets_ = 0;
};

}  // namespace svp

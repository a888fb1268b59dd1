// The SystemC face of a Cortex-M4 core: an sc_module with a TLM initiator socket and one
// thread that runs the core a quantum at a time (rule 1: one sync per quantum, never per
// instruction). Memory is reached by DMI when the target grants it, else by b_transport with
// the svp::BusInitiator extension; a TLM error response becomes a precise BusFault. Interrupt
// lines (svp::IrqLine) connect to NVIC inputs. While the core sleeps (WFI/WFE) the thread waits
// for the next timer event or an interrupt: simulated time skips ahead, nothing busy-loops.
//
// On the platform a real-time core is held in reset until its firmware is loaded and it is
// started (the OS's IO_CORE_CONTROL run), can be stopped and restarted (a core watchdog, a
// device reset), and its clock can change while it runs (the MT3620's IO_CM4_RGU raises it from
// 26 MHz to 197.6 MHz): cycle counts stay integers, converted to time from the last change.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "models/base/bus_extension.h"
#include "models/base/clock.h"
#include "models/base/device_context.h"
#include "models/base/irq.h"
#include "models/cpu/armv7m/cortex_m4.h"
#include "models/cpu/armv7m/elf_loader.h"

namespace svp {

class CortexM4Module : public sc_core::sc_module, private armv7m::MemoryPort {
public:
    tlm_utils::simple_initiator_socket<CortexM4Module> bus;

    // `quantum` zero: the platform-wide tlm::tlm_global_quantum, or 1 us when that is unset.
    // (The core keeps its own integer cycle count instead of a tlm_quantumkeeper's local time:
    // it converts to sc_time once per quantum, never per access.)
    CortexM4Module(sc_core::sc_module_name name, armv7m::CoreConfig config, BusInitiator identity,
                   sc_core::sc_time quantum = sc_core::SC_ZERO_TIME);

    // Loads an ELF image through the bus's debug transport when the core starts (so any
    // memory map works: TCM, SYSRAM, flash), points VTOR at `vector_table` (default: the
    // lowest loaded address) and resets the core from there. Every start loads it again.
    void boot_image(armv7m::ElfImage image, std::optional<std::uint32_t> vector_table = std::nullopt);
    const std::optional<armv7m::ElfImage>& image() const { return boot_image_; }

    // ---- reset control (the platform's IO_CORE_CONTROL). By default the core starts with the
    // simulation; hold_in_reset() before it starts keeps it in reset until release().
    void hold_in_reset() { held_ = true; }
    // Leaves reset: loads the boot image, resets the core from its vector table, runs.
    // `reason` goes into the cpu.core started event. No effect if the core is running.
    void release(const std::string& reason = "released");
    // Back into reset (the core stops at its next quantum boundary). No effect if held.
    void hold(const std::string& reason);
    // A reset of this core alone while it runs: hold, then release again (the image reloads).
    void restart(const std::string& reason);
    bool in_reset() const { return held_; }
    // Told whenever the core enters (true) or leaves (false) reset, on the core's thread or the
    // caller's: a platform traces it (--vcd) and resets what it clocks (its clock control).
    void on_reset_state(std::function<void(bool in_reset)> f) { reset_listeners_.push_back(std::move(f)); }

    // ---- the clock: changes take effect at the core's current cycle (inside the access that
    // writes the clock register, or at the kernel's time otherwise). `source` names it in the
    // cpu.core clock.changed event.
    void set_clock_hz(std::uint64_t hz, const std::string& source = "");

    // The core is reset when the simulation starts (its vector table is read through the bus).
    armv7m::CortexM4& core() { return *core_; }
    const ClockDomain& clock() const { return clock_; }
    const BusInitiator& identity() const { return identity_; }
    // Wires an interrupt line to NVIC input `irq` (level-sensitive).
    void connect_irq(unsigned irq, IrqLine& line);
    // Sends the core's events (faults taken, injections, lockup) to the device's event log,
    // stamped with the core's own local time (ahead of the kernel's inside a quantum).
    void attach_events(DeviceContext& device);
    // Stops the whole simulation when the core halts (semihosting exit, lockup). Default on.
    void stop_simulation_on_halt(bool on) { stop_on_halt_ = on; }
    // Called on the core's thread whenever the core stops for a debugger (breakpoint, step,
    // watchpoint, interrupt request). It decides what happens next by what it leaves behind:
    // return true to continue running, false to halt the simulation.
    using DebugHandler = std::function<bool(armv7m::CortexM4&, armv7m::StopReason)>;
    void set_debug_handler(DebugHandler h) { debug_handler_ = std::move(h); }
    // Called between quanta at most once per `interval` of simulated time (to poll a debugger
    // socket for an interrupt request).
    void set_poll(sc_core::sc_time interval, std::function<void()> poll) { poll_interval_ = interval; poll_ = std::move(poll); }
    // Run-ahead: when no other process has anything scheduled before a later time, the core
    // keeps running until then (at most `max_ahead`) instead of yielding every quantum. Nobody
    // could observe the difference: the next sync happens before anyone else runs. The first
    // access that leaves the core (b_transport) brings the quantum back to its normal end.
    void set_run_ahead(bool on, sc_core::sc_time max_ahead = sc_core::sc_time(1, sc_core::SC_MS)) {
        run_ahead_ = on;
        max_ahead_ = max_ahead;
    }
    // Simulated time of the core's current cycle (ahead of sc_time_stamp() inside a quantum).
    sc_core::sc_time local_time() const { return time_of(core_->cycles()); }
    // The simulated time of core cycle `cycle` (cycles count from the last clock change at its
    // frequency), exact to the picosecond for any run length (the product n * 10^12 needs more
    // than 64 bits after a few seconds of simulated time).
    sc_core::sc_time time_of(std::uint64_t cycle) const;

    // Interrupt latency of every external interrupt the core has served (line rising edge to
    // the handler's first instruction): also a `cpu.irq entered` event each when events are
    // attached, so a metrics layer computes min/median/p99/max from the log.
    struct IrqLatency {
        unsigned irq;
        std::uint64_t cycles;
        std::uint64_t ns;
    };
    const std::vector<IrqLatency>& irq_latencies() const { return irq_latencies_; }

    // Statistics for --stats.
    std::uint64_t quanta() const { return quanta_; }

private:
    void run_thread();
    armv7m::BusResponse access(armv7m::BusRequest& r, std::uint64_t now_cycle, std::uint64_t& wait_cycles) override;
    unsigned debug_access(std::uint32_t address, std::uint8_t* data, unsigned length, bool write) override;
    bool direct_region(std::uint32_t address, bool write, armv7m::DmiRegion& region) override;
    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
    std::uint64_t cycles_at(const sc_core::sc_time& t) const;   // first cycle at or after time t
    std::uint64_t cycles_in(const sc_core::sc_time& d) const;   // a duration, rounded up to cycles
    sc_core::sc_time duration_of(std::uint64_t cycles) const;
    void set_rate(std::uint64_t hz);
    void boot();
    void set_reset_state(bool in_reset);
    void record(const EventType& type, Fields fields);

    BusInitiator identity_;
    ClockDomain clock_;
    sc_core::sc_time quantum_;
    std::uint64_t quantum_cycles_;
    std::uint64_t units_per_second_ = 0;  // kernel time units (picoseconds by default)
    std::uint64_t units_per_cycle_ = 0;   // when the period is a whole number of units, else 0
    std::unique_ptr<armv7m::CortexM4> core_;
    sc_core::sc_event wake_;
    bool stop_on_halt_ = true;
    DebugHandler debug_handler_;
    sc_core::sc_time poll_interval_ = sc_core::SC_ZERO_TIME, last_poll_ = sc_core::SC_ZERO_TIME;
    std::function<void()> poll_;
    bool run_ahead_ = true;
    sc_core::sc_time max_ahead_ = sc_core::sc_time(1, sc_core::SC_MS);
    std::uint64_t quantum_end_cycle_ = 0;
    std::uint64_t quanta_ = 0;
    std::optional<armv7m::ElfImage> boot_image_;
    std::optional<std::uint32_t> boot_vtor_;
    // Reset control: `held_` is the wanted state; `generation_` counts releases, so the thread
    // notices a restart even when it never saw the core held.
    bool held_ = false;
    std::uint64_t generation_ = 0;
    std::string release_reason_ = "simulation start";
    sc_core::sc_event state_changed_;
    std::vector<std::function<void(bool)>> reset_listeners_;
    // Time base of the cycle count: cycle `epoch_cycle_` happened at `epoch_time_`.
    std::uint64_t epoch_cycle_ = 0;
    sc_core::sc_time epoch_time_ = sc_core::SC_ZERO_TIME;
    bool in_access_ = false;
    std::uint64_t access_cycle_ = 0;
    DeviceContext* events_ = nullptr;
    std::vector<IrqLatency> irq_latencies_;
    bool irqs_connected_ = false;  // any interrupt line wired: writes wait for lines to settle
    bool settle_irqs_ = false;
};

}  // namespace svp

#include "models/cpu/armv7m/cortex_m4_module.h"

#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "models/base/event_log.h"

namespace svp {

using namespace armv7m;

CortexM4Module::CortexM4Module(sc_core::sc_module_name name, CoreConfig config, BusInitiator identity,
                               sc_core::sc_time quantum)
    : sc_module(name), bus("bus"), identity_(identity), quantum_(quantum) {
    if (quantum_ == sc_core::SC_ZERO_TIME) quantum_ = tlm::tlm_global_quantum::instance().get();
    if (quantum_ == sc_core::SC_ZERO_TIME) quantum_ = sc_core::sc_time(1, sc_core::SC_US);
    units_per_second_ = sc_core::sc_time(1, sc_core::SC_SEC).value();
    set_rate(config.clock_hz);
    core_ = std::make_unique<CortexM4>(std::move(config), static_cast<MemoryPort&>(*this));
    SC_HAS_PROCESS(CortexM4Module);
    bus.register_invalidate_direct_mem_ptr(this, &CortexM4Module::invalidate_direct_mem_ptr);
    core_->set_irq_entry_sink([this](unsigned irq, std::uint64_t raised, std::uint64_t entry) {
        const sc_core::sc_time d = time_of(entry) - time_of(raised);
        const auto ns = static_cast<std::uint64_t>(d.value() / sc_core::sc_time(1, sc_core::SC_NS).value());
        irq_latencies_.push_back({irq, entry - raised, ns});
        record(ev::cpu_irq_entered, {{"core", core_->config().name}, {"irq", irq}, {"latency_cycles", entry - raised},
                                     {"latency_ns", ns}});
    });
    SC_THREAD(run_thread);
}

void CortexM4Module::set_rate(std::uint64_t hz) {
    clock_.set_hz(hz);
    quantum_cycles_ = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(quantum_.to_seconds() * static_cast<double>(hz) + 0.5));
    units_per_cycle_ = units_per_second_ % hz == 0 ? units_per_second_ / hz : 0;
}

std::uint64_t CortexM4Module::cycles_in(const sc_core::sc_time& d) const {
    // ceil(d / period), in the kernel's time resolution units; one 64-bit division when the
    // period is a whole number of units (25 MHz, 200 MHz ...), exact 128-bit arithmetic otherwise.
    const std::uint64_t v = d.value();
    if (units_per_cycle_) return (v + units_per_cycle_ - 1) / units_per_cycle_;
    const auto num = static_cast<unsigned __int128>(v) * clock_.hz();
    return static_cast<std::uint64_t>((num + units_per_second_ - 1) / units_per_second_);
}

sc_core::sc_time CortexM4Module::duration_of(std::uint64_t cycles) const {
    if (units_per_cycle_) return sc_core::sc_time::from_value(cycles * units_per_cycle_);
    const auto units = static_cast<unsigned __int128>(cycles) * units_per_second_ / clock_.hz();
    return sc_core::sc_time::from_value(static_cast<std::uint64_t>(units));
}

std::uint64_t CortexM4Module::cycles_at(const sc_core::sc_time& t) const {
    if (t <= epoch_time_) return epoch_cycle_;
    return epoch_cycle_ + cycles_in(t - epoch_time_);
}

sc_core::sc_time CortexM4Module::time_of(std::uint64_t cycle) const {
    if (cycle <= epoch_cycle_) return epoch_time_;
    return epoch_time_ + duration_of(cycle - epoch_cycle_);
}

void CortexM4Module::boot_image(ElfImage image, std::optional<std::uint32_t> vector_table) {
    boot_image_ = std::move(image);
    boot_vtor_ = vector_table;
}

void CortexM4Module::record(const EventType& type, Fields fields) {
    if (!events_) return;
    Event e;
    e.t_ns = static_cast<std::uint64_t>(local_time().value() / sc_core::sc_time(1, sc_core::SC_NS).value());
    e.dev = events_->id;
    e.src = type.src;
    e.ev = type.name;
    e.fields = std::move(fields);
    events_->events.record(std::move(e));
}

void CortexM4Module::attach_events(DeviceContext& device) {
    events_ = &device;
    core_->set_event_sink([this](const EventType& type, Fields fields) { record(type, std::move(fields)); });
}

void CortexM4Module::connect_irq(unsigned irq, IrqLine& line) {
    irqs_connected_ = true;
    sc_core::sc_spawn_options opts;
    opts.spawn_method();
    opts.set_sensitivity(&line.changed());
    opts.dont_initialize();
    sc_core::sc_spawn([this, irq, &line] {
        // The line changed at the kernel's time; a sleeping core's clock may lie behind it.
        core_->set_irq_level(irq, line.level(), std::max(core_->cycles(), cycles_at(sc_core::sc_time_stamp())));
        wake_.notify(sc_core::SC_ZERO_TIME);
    }, (std::string(basename()) + "_irq" + std::to_string(irq)).c_str(), &opts);
}

void CortexM4Module::set_reset_state(bool in_reset) {
    auto listeners = reset_listeners_;
    for (auto& l : listeners) l(in_reset);
}

void CortexM4Module::release(const std::string& reason) {
    if (!held_) return;
    held_ = false;
    ++generation_;
    release_reason_ = reason;
    state_changed_.notify(sc_core::SC_ZERO_TIME);
    wake_.notify(sc_core::SC_ZERO_TIME);
}

void CortexM4Module::hold(const std::string& reason) {
    if (held_) return;
    held_ = true;
    if (in_access_) core_->limit_run(access_cycle_);  // asked from inside the core's own access
    state_changed_.notify(sc_core::SC_ZERO_TIME);
    wake_.notify(sc_core::SC_ZERO_TIME);
    record(ev::cpu_core_stopped, {{"core", core_->config().name}, {"reason", reason}});
    set_reset_state(true);
}

void CortexM4Module::restart(const std::string& reason) {
    if (held_) return;
    hold(reason);
    release(reason);
}

void CortexM4Module::set_clock_hz(std::uint64_t hz, const std::string& source) {
    if (hz == 0 || hz == clock_.hz()) return;
    // The change happens at the core's current cycle: inside its own access (the clock register
    // write), else where the core's clock stands relative to the kernel's.
    const std::uint64_t at = in_access_ ? access_cycle_ : std::max(core_->cycles(), cycles_at(sc_core::sc_time_stamp()));
    epoch_time_ = time_of(at);
    epoch_cycle_ = at;
    set_rate(hz);
    core_->set_clock_hz(hz, at);
    // Limits of the run in progress were counted at the old frequency, and so were the wait
    // states of every DMI region: end the run at the next block boundary, ask again.
    core_->limit_run(at);
    quantum_end_cycle_ = at;
    core_->invalidate_direct_memory(0, 0xFFFFFFFFu);
    wake_.notify(sc_core::SC_ZERO_TIME);  // a sleeping core recomputes its wake-up time
    record(ev::cpu_clock_changed, {{"core", core_->config().name}, {"hz", hz}, {"source", source}});
}

void CortexM4Module::boot() {
    CortexM4& cpu = *core_;
    set_reset_state(false);  // the platform resets what it clocks (the clock control) first
    if (boot_image_) {
        std::uint32_t lowest = 0xFFFFFFFFu;
        for (const auto& seg : boot_image_->segments) {
            Bytes bytes = seg.data;
            bytes.resize(seg.memsz, 0);
            const unsigned n = debug_access(seg.paddr, bytes.data(), static_cast<unsigned>(bytes.size()), true);
            if (n != bytes.size())
                SC_REPORT_ERROR(name(), ("boot image " + boot_image_->name + ": a segment does not fit the memory map").c_str());
            lowest = std::min(lowest, seg.paddr);
        }
        cpu.set_vector_table(boot_vtor_.value_or(lowest));
        cpu.invalidate_code(0, 0xFFFFFFFFu);
    }
    cpu.advance_to(cycles_at(sc_core::sc_time_stamp()));
    cpu.reset();  // now the vector table is reachable through the bus
    if (events_)
        record(ev::cpu_core_started, {{"core", cpu.config().name},
                                      {"firmware", boot_image_ ? std::filesystem::path(boot_image_->name).filename().string() : ""},
                                      {"entry", fmt::format("0x{:08x}", cpu.state().r[15])},
                                      {"clock_hz", clock_.hz()},
                                      {"reason", release_reason_}});
}

void CortexM4Module::run_thread() {
    CortexM4& cpu = *core_;
    for (;;) {
        while (held_) wait(state_changed_);
        const std::uint64_t generation = generation_;
        boot();
        bool parked = false;  // halted (lockup, exit) without stopping the simulation
        while (!held_ && generation_ == generation && !parked) {
            // The core's clock never runs behind the kernel's (it may sleep through time).
            cpu.advance_to(cycles_at(sc_core::sc_time_stamp()));
            quantum_end_cycle_ = cpu.cycles() + quantum_cycles_;
            std::uint64_t limit = quantum_end_cycle_;
            if (run_ahead_) {
                sc_core::sc_time gap = sc_core::sc_time_to_pending_activity();
                if (gap > max_ahead_) gap = max_ahead_;
                const std::uint64_t ahead = cycles_at(sc_core::sc_time_stamp() + gap);
                if (ahead > limit) limit = ahead;
            }
            const StopReason why = cpu.run(limit);
            ++quanta_;
            // One synchronisation per quantum: catch the kernel up with the core's local time.
            const sc_core::sc_time local = time_of(cpu.cycles());
            if (local > sc_core::sc_time_stamp()) wait(local - sc_core::sc_time_stamp());
            else if (settle_irqs_) {
                wait(sc_core::SC_ZERO_TIME);  // the line's driver writes its signal
                wait(sc_core::SC_ZERO_TIME);  // the NVIC input follows it
            }
            settle_irqs_ = false;
            if (poll_ && sc_core::sc_time_stamp() - last_poll_ >= poll_interval_) {
                last_poll_ = sc_core::sc_time_stamp();
                poll_();
            }
            switch (why) {
            case StopReason::cycle_limit:
                break;
            case StopReason::halted:
                if (debug_handler_) debug_handler_(cpu, why);  // a debugger hears the exit code
                if (stop_on_halt_) {
                    sc_core::sc_stop();
                    return;
                }
                parked = true;
                break;
            case StopReason::sleeping: {
                if (held_ || generation_ != generation) break;
                // WFI/WFE: skip straight to the next event (a timer, an interrupt line, a debugger).
                const std::uint64_t next = cpu.next_timer_cycle();
                if (next == UINT64_MAX) {
                    wait(wake_);
                } else {
                    const sc_core::sc_time at = time_of(next);
                    if (at > sc_core::sc_time_stamp()) wait(at - sc_core::sc_time_stamp(), wake_);
                }
                break;
            }
            case StopReason::debug:
                if (!debug_handler_ || !debug_handler_(cpu, why)) {
                    sc_core::sc_stop();
                    return;
                }
                break;
            }
        }
        // A halted core stays halted until it is stopped or restarted.
        while (parked && !held_ && generation_ == generation) wait(state_changed_);
    }
}

BusResponse CortexM4Module::access(BusRequest& r, std::uint64_t now_cycle, std::uint64_t& wait_cycles) {
    // Something outside the core may react: no running ahead past this quantum.
    core_->limit_run(quantum_end_cycle_);
    tlm::tlm_generic_payload tx;
    BusInitiator who = identity_;
    who.privilege = r.privileged ? Privilege::privileged : Privilege::user;
    tx.set_extension(&who);
    tx.set_command(r.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    tx.set_address(r.address);
    tx.set_data_ptr(r.data);
    tx.set_data_length(r.size);
    tx.set_streaming_width(r.size);
    tx.set_byte_enable_ptr(nullptr);
    tx.set_dmi_allowed(false);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    // Annotate the core's local time so targets see when in the quantum the access happens.
    const sc_core::sc_time now = time_of(now_cycle);
    sc_core::sc_time delay = now > sc_core::sc_time_stamp() ? now - sc_core::sc_time_stamp() : sc_core::SC_ZERO_TIME;
    const sc_core::sc_time before = delay;
    in_access_ = true;
    access_cycle_ = now_cycle;
    bus->b_transport(tx, delay);
    in_access_ = false;
    if (r.write && irqs_connected_) {
        // A write may lower (or raise) an interrupt line (a W1C status register): the line's
        // new level reaches the NVIC two delta cycles later. End the run here and let them
        // pass, else a handler would return before its acknowledgement is seen and run again.
        core_->limit_run(now_cycle);
        settle_irqs_ = true;
    }
    tx.clear_extension(&who);
    const sc_core::sc_time latency = delay - before;
    wait_cycles = latency == sc_core::SC_ZERO_TIME ? 0 : cycles_in(latency);
    return tx.is_response_ok() ? BusResponse::ok : BusResponse::error;
}

unsigned CortexM4Module::debug_access(std::uint32_t address, std::uint8_t* data, unsigned length, bool write) {
    tlm::tlm_generic_payload tx;
    BusInitiator who = identity_;
    tx.set_extension(&who);
    tx.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    tx.set_address(address);
    tx.set_data_ptr(data);
    tx.set_data_length(length);
    tx.set_streaming_width(length);
    const unsigned n = bus->transport_dbg(tx);
    tx.clear_extension(&who);
    return n;
}

bool CortexM4Module::direct_region(std::uint32_t address, bool write, DmiRegion& region) {
    tlm::tlm_generic_payload tx;
    BusInitiator who = identity_;
    tx.set_extension(&who);
    tx.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    tx.set_address(address);
    tlm::tlm_dmi dmi;
    const bool ok = bus->get_direct_mem_ptr(tx, dmi);
    tx.clear_extension(&who);
    if (!ok || !dmi.get_dmi_ptr()) return false;
    if (!dmi.is_read_allowed()) return false;
    if (write && !dmi.is_write_allowed()) return false;
    const std::uint64_t start = dmi.get_start_address(), end = std::min<std::uint64_t>(dmi.get_end_address(), 0xFFFFFFFFull);
    region.base = static_cast<std::uint32_t>(start);
    region.size = end - start + 1;
    region.host = dmi.get_dmi_ptr();
    region.writable = dmi.is_write_allowed();
    region.read_wait = dmi.get_read_latency() == sc_core::SC_ZERO_TIME ? 0 : static_cast<std::uint32_t>(cycles_in(dmi.get_read_latency()));
    region.write_wait = dmi.get_write_latency() == sc_core::SC_ZERO_TIME ? 0 : static_cast<std::uint32_t>(cycles_in(dmi.get_write_latency()));
    return true;
}

void CortexM4Module::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
    core_->invalidate_direct_memory(static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(std::min<sc_dt::uint64>(end, 0xFFFFFFFFull)));
}

}  // namespace svp

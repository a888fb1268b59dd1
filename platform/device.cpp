#include "platform/device.h"

#include <fstream>
#include <set>

#include <fmt/format.h>

#include "common/util/input_error.h"

namespace svp {
namespace {

sc_core::sc_time ns(double v) { return sc_core::sc_time(v, sc_core::SC_NS); }

}  // namespace

Device::Device(sc_core::sc_module_name name, Variant variant, DeviceContext& context, HostBridge& bridge)
    : sc_module(name), variant_(std::move(variant)), context_(context) {
    router_ = std::make_unique<Router>("bus", context_, ns(variant_.bus.hop_ns));
    // Real-time cores leave reset at their reset clock; their clock control changes it later.
    for (double mhz : variant_.initiator_clocks_mhz()) initiator_clocks_.emplace_back(static_cast<std::uint64_t>(mhz * 1e6));
    for (std::size_t i = 0; i < variant_.cores.size(); ++i)
        if (variant_.cores[i].kind == "cortex-m4f")
            initiator_clocks_[i].set_hz(static_cast<std::uint64_t>(variant_.cores[i].reset_clock_mhz * 1e6));
    router_->set_initiator_clocks(initiator_clocks_);
    if (variant_.bus.contention)
        router_->set_contention({static_cast<std::uint64_t>(variant_.bus.clock_mhz * 1e6), variant_.bus.width_bytes,
                                 variant_.bus.arbitration_cycles, variant_.bus.window_cycles});

    // Interrupt lines are named in the variant (the variant refuses a shared one); create each.
    for (const auto& p : variant_.peripherals)
        for (const auto& w : p.windows)
            for (const auto* irq : {&w.irq, &w.irq_wr, &w.irq_rd})
                if (!irq->empty() && !irqs_.count(*irq)) irqs_[*irq] = std::make_unique<IrqLine>("irq_" + *irq);
    gpio_pins_ = std::make_unique<GpioPins>(context_, gpio_pin_count(variant_));

    // Core states for the waveform: every core but the security core starts held in reset
    // (the security core releases the app core; the RT cores wait for firmware and a start).
    for (const auto& c : variant_.cores) {
        auto sig = std::make_unique<ResetSignal>((c.name + "_in_reset").c_str(), c.kind != "security-core");
        core_in_reset_[c.name] = std::move(sig);
    }

    // ---- memories
    for (const auto& m : variant_.memories) {
        std::unique_ptr<Memory> mem;
        if (m.kind == "nor-flash") {
            NorFlashTiming t{ns(m.read_ns), sc_core::sc_time(m.program_page_us, sc_core::SC_US),
                             sc_core::sc_time(m.erase_sector_ms, sc_core::SC_MS)};
            auto f = std::make_unique<NorFlash>(m.name.c_str(), context_, m.size, static_cast<std::uint32_t>(m.sector_size), t);
            flash_ = f.get();
            mem = std::move(f);
        } else {
            mem = std::make_unique<Memory>(m.name.c_str(), context_, m.size, ns(m.read_ns), ns(m.write_ns), m.kind == "rom");
        }
        const unsigned port = router_->attach(mem->socket);
        const int guard = guard_for(m.name, m.firewall);
        map_region({m.name, m.base, m.size, port, 0, {}, m.dmi, guard, m.read_wait_states, m.write_wait_states}, m.visible_to);
        for (const auto& a : m.aliases)
            map_region({m.name + "@" + fmt::format("{:x}", a.base), a.base, a.size, port, a.offset, {}, m.dmi, guard,
                        m.read_wait_states, m.write_wait_states},
                       a.visible_to);
        memories_[m.name] = std::move(mem);
    }

    // ---- peripherals
    const auto reg_latency = ns(variant_.hop_ns > 0 ? variant_.hop_ns * 4 : 20);
    for (const auto& p : variant_.peripherals) {
        current_ = &p;
        if (p.kind == "uart") {
            const auto& w = p.windows.front();
            auto u = std::make_unique<Uart>(p.name.c_str(), context_, reg_latency,
                                            static_cast<std::uint64_t>(p.clock_mhz * 1e6), irq_or_null(w.irq));
            map_window(p.name, w, u->socket, false);
            blocks_[p.name] = u.get();
            uarts_[p.name] = std::move(u);
        } else if (p.kind == "mailbox") {
            auto mb = std::make_unique<Mailbox>(p.name.c_str(), context_, reg_latency);
            for (int side = 0; side < 2; ++side) {
                const auto& w = p.windows[static_cast<std::size_t>(side)];
                mb->side(side).set_irq(irq_or_null(w.irq));
                mb->side(side).set_direction_irqs(irq_or_null(w.irq_wr), irq_or_null(w.irq_rd));
                map_window(p.name + (side ? ".b" : ".a"), w, mb->side(side).socket, false);
            }
            blocks_[p.name + ".a"] = &mb->side(0);
            blocks_[p.name + ".b"] = &mb->side(1);
            mailboxes_[p.name] = std::move(mb);
        } else if (p.kind == "nic") {
            const auto& w = p.windows.front();
            LinkTiming link{static_cast<std::uint64_t>(p.latency_ms * 1e6), static_cast<std::uint64_t>(p.bandwidth_mbps * 1e6)};
            auto nic = std::make_unique<Nic>(p.name.c_str(), context_, reg_latency, initiator(p.name), bridge, link,
                                             irq_or_null(w.irq));
            map_window(p.name, w, nic->socket, false);
            nic->dma().socket.bind(router_->from_initiators);
            blocks_[p.name] = nic.get();
            nics_[p.name] = std::move(nic);
        } else if (p.kind == "otp") {
            const auto& w = p.windows.front();
            std::vector<OtpRow> rows;
            for (const auto& r : p.otp_rows) rows.push_back({r.name, r.words, r.secret});
            otp_ = std::make_unique<OtpFuses>(p.name.c_str(), context_, reg_latency, rows,
                                              sc_core::sc_time(p.program_us_per_word, sc_core::SC_US), irq_or_null(w.irq));
            map_window(p.name, w, otp_->socket, false);
            blocks_[p.name] = otp_.get();
        } else if (p.kind == "flash-controller") {
            const auto& w = p.windows.front();
            auto* flash = dynamic_cast<NorFlash*>(memories_.at(p.flash).get());
            flash_controller_ = std::make_unique<FlashController>(p.name.c_str(), context_, reg_latency, *flash, irq_or_null(w.irq));
            map_window(p.name, w, flash_controller_->socket, false);
            blocks_[p.name] = flash_controller_.get();
        } else if (p.kind == "gpio") {
            const auto& w = p.windows.front();
            add_block<Gpio>(p.name, w, context_, reg_latency, *gpio_pins_, p.pins, irq_or_null(w.irq));
        } else if (p.kind == "gpt") {
            const auto& w = p.windows.front();
            add_block<Gpt>(p.name, w, context_, reg_latency, static_cast<std::uint64_t>(p.xtal_mhz * 1e6),
                           static_cast<std::uint64_t>(p.clock_mhz * 1e6), irq_or_null(w.irq));
        } else if (p.kind == "wdt") {
            const auto& w = p.windows.front();
            ResetRequest target{p.resets == "core" ? ResetRequest::Scope::core : ResetRequest::Scope::device, p.core, "", ""};
            auto& wdt = add_block<Watchdog>(p.name, w, context_, reg_latency, target, irq_or_null(w.irq));
            wdt.on_reset_request([this](const ResetRequest& r) { reset_requested(r); });
        } else if (p.kind == "rtc") {
            const auto& w = p.windows.front();
            add_block<Rtc>(p.name, w, context_, reg_latency, static_cast<std::uint64_t>(p.clock_hz), irq_or_null(w.irq));
        } else if (p.kind == "trng") {
            const auto& w = p.windows.front();
            std::uint64_t sec_hz = 0;
            for (const auto& c : variant_.cores)
                if (c.kind == "security-core") sec_hz = static_cast<std::uint64_t>(c.clock_mhz * 1e6);
            // A word costs the crypto table's trng_cycles_per_word at the security core's clock.
            add_block<Trng>(p.name, w, context_, reg_latency, ClockDomain(sec_hz).cycles(variant_.crypto.trng_cycles_per_word),
                            irq_or_null(w.irq));
        } else if (p.kind == "crypto") {  // ---- crypto engines (models/security/crypto_engine.h)
            const auto& w = p.windows.front();
            std::uint64_t sec_hz = 0;
            for (const auto& c : variant_.cores)
                if (c.kind == "security-core") sec_hz = static_cast<std::uint64_t>(c.clock_mhz * 1e6);
            // The engines run on the security core's clock; their costs are the crypto table's.
            add_block<CryptoEngine>(p.name, w, context_, reg_latency, sec_hz, variant_.crypto, irq_or_null(w.irq));
        } else if (p.kind == "cm4-rgu") {
            const auto& w = p.windows.front();
            const auto& core = variant_.core(p.core);
            Cm4ClockControl::Clocks clocks;
            clocks.crystal_hz = static_cast<std::uint64_t>(core.reset_clock_mhz * 1e6);
            clocks.pll_hz = static_cast<std::uint64_t>(core.clock_mhz * 1e6);
            auto& cc = add_block<Cm4ClockControl>(p.name, w, context_, reg_latency, clocks,
                                                  [this, name = p.core](std::uint64_t hz, const std::string& source) {
                                                      rt_clock_changed(name, hz, source);
                                                  });
            rt_cores_[p.core].clock = &cc;
        } else if (p.kind == "i2c-master") {
            const auto& w = p.windows.front();
            auto& wire = *(i2c_buses_[p.name] = std::make_unique<I2cBus>());
            for (const auto& d : p.devices) {  // kind sht3x (the only I2C device kind, variant.cpp)
                auto& sensor = *(sht3x_[p.name + "@" + std::to_string(d.address)] = std::make_unique<Sht3x>(context_));
                wire.attach(static_cast<std::uint8_t>(d.address), sensor);
            }
            add_block<I2cMaster>(p.name, w, context_, reg_latency, static_cast<std::uint64_t>(p.clock_mhz * 1e6), wire,
                                 irq_or_null(w.irq));
        } else if (p.kind == "spi-master") {
            const auto& w = p.windows.front();
            auto& wire = *(spi_buses_[p.name] = std::make_unique<SpiBus>());
            for (const auto& d : p.devices) {  // kind spi-nor
                auto& flash = *(spi_flashes_[p.name + "@" + std::to_string(d.address)] = std::make_unique<SpiNorFlash>(d.size));
                wire.attach(d.address, flash);
            }
            add_block<SpiMaster>(p.name, w, context_, reg_latency, static_cast<std::uint64_t>(p.clock_mhz * 1e6), wire,
                                 irq_or_null(w.irq));
        } else if (p.kind == "adc") {
            const auto& w = p.windows.front();
            auto& adc = add_block<Adc>(p.name, w, context_, reg_latency, irq_or_null(w.irq));
            for (std::size_t ch = 0; ch < p.inputs_mv.size(); ++ch) adc.set_input_mv(static_cast<unsigned>(ch), p.inputs_mv[ch]);
        } else if (p.kind == "pwm") {
            const auto& w = p.windows.front();
            add_block<Pwm>(p.name, w, context_, reg_latency, static_cast<std::uint64_t>(p.xtal_mhz * 1e6));
        } else if (p.kind == "gic") {
            auto gic = std::make_unique<Gic>(p.name.c_str(), context_, reg_latency, p.lines, irq_or_null(p.windows[0].irq));
            map_window(p.name, p.windows[0], gic->distributor().socket, false);
            map_window(p.name + ".cpu", p.windows[1], gic->cpu_interface().socket, false);
            blocks_[p.name] = &gic->distributor();
            blocks_[p.name + ".cpu"] = &gic->cpu_interface();
            gics_[p.name] = std::move(gic);
        }
    }
    current_ = nullptr;
    // Interrupt wiring: each controller's inputs, by SPI number (id = 32 + SPI).
    for (const auto& p : variant_.peripherals)
        for (const auto& w : p.wiring) gics_.at(p.name)->connect(Gic::kFirstSpi + w.spi, *irqs_.at(w.irq), w.edge);
    // ---- real-time cores: on the bus with their own identity, wired into their NVIC, held in
    // reset until they have firmware and are started.
    for (const auto& c : variant_.cores) {
        if (c.kind != "cortex-m4f") continue;
        armv7m::CoreConfig cfg;
        cfg.name = c.name;
        cfg.num_irq = c.nvic_irqs;
        cfg.priority_bits = c.nvic_priority_bits;
        cfg.clock_hz = static_cast<std::uint64_t>(c.reset_clock_mhz * 1e6);
        cfg.semihosting = false;  // no debugger host on a device: BKPT is a debug event (HardFault)
        auto& rt = rt_cores_[c.name];
        rt.module = std::make_unique<CortexM4Module>(c.name.c_str(), cfg, initiator(c.name));
        rt.module->bus.bind(router_->from_initiators);
        rt.module->hold_in_reset();
        rt.module->stop_simulation_on_halt(false);  // a locked-up core stays locked up; the device runs on
        rt.module->attach_events(context_);
        for (const auto& w : c.nvic_wiring) rt.module->connect_irq(w.input, *irqs_.at(w.irq));
        rt.module->on_reset_state([this, name = c.name](bool in_reset) {
            core_in_reset_.at(name)->write(in_reset);
            // The core comes out of reset on its crystal (MT3620: 26 MHz).
            if (auto* clock = rt_cores_.at(name).clock; clock && !in_reset) clock->reset();
        });
    }

    // The firewall comes last: its rules are every guarded window mapped above (and its own).
    for (const auto& p : variant_.peripherals)
        if (p.kind == "firewall") {
            const auto& w = p.windows.front();
            const int own_slot = guard_for(p.name, w.firewall);
            firewall_ = std::make_unique<Firewall>(p.name.c_str(), context_, reg_latency, firewall_rules_,
                                                   variant_.initiators(), irq_or_null(w.irq));
            current_ = &p;
            map_window(p.name, w, firewall_->socket, false, own_slot);
            blocks_[p.name] = firewall_.get();
            current_ = nullptr;
            firewall_->install(*router_);
        }

    // ---- security subsystem
    SecurityConfig sc;
    for (const auto& c : variant_.cores)
        if (c.kind == "security-core") sc.clock_hz = static_cast<std::uint64_t>(c.clock_mhz * 1e6);
    sc.costs = variant_.crypto;
    sc.defences = variant_.defences;
    const auto& flash_spec = variant_.flash();
    for (const auto& s : variant_.boot_chain) {
        BootStage stage{s.stage, *image::image_type_from_string(s.image_type), s.counter, {}};
        for (const auto& slot : s.slots) {
            const auto& part = variant_.partition(slot);
            const auto address = flash_spec.base + part.offset;
            stage.slots.push_back({slot, address, part.size, address});
        }
        sc.chain.push_back(stage);
    }
    std::string sec_core_name;
    for (const auto& c : variant_.cores)
        if (c.kind == "security-core") sec_core_name = c.name;
    // What the security core needs to hand peripherals to cores: the firewall's registers,
    // the rule guarding each pin's GPIO block, and the cores it may name.
    if (firewall_)
        for (const auto& p : variant_.peripherals)
            if (p.kind == "firewall") {
                FirewallControl fc;
                fc.address = p.windows.front().base;
                for (const auto& g : variant_.peripherals) {
                    if (g.kind != "gpio") continue;
                    for (std::size_t slot = 0; slot < firewall_rules_.size(); ++slot)
                        if (firewall_rules_[slot].region == g.name)
                            for (auto pin : g.pins) fc.pin_slots[pin] = slot;
                }
                // MT3620: a 64 KiB APB block holds a GPIO block and the function windows its pins
                // serve (an ISU's I2C/SPI/UART, the ADC, a PWM group); a named peripheral goes to a
                // core with all of them.
                for (const auto& g : variant_.peripherals) {
                    if (g.kind != "gpio") continue;
                    const auto block = g.windows.front().base & ~std::uint64_t{0xFFFF};
                    for (const auto& q : variant_.peripherals) {
                        if (q.kind == "gpio" || q.kind == "mailbox") continue;
                        if ((q.windows.front().base & ~std::uint64_t{0xFFFF}) != block) continue;
                        for (std::size_t slot = 0; slot < firewall_rules_.size(); ++slot)
                            if (firewall_rules_[slot].region == q.name)
                                for (auto pin : g.pins) fc.pin_windows[pin].push_back(slot);
                    }
                }
                for (const auto& c : variant_.cores)
                    if (c.kind != "security-core") fc.core_ids[c.name] = initiator(c.name).id;
                sc.firewall = std::move(fc);
            }
    // The security core talks to the app core through the mailbox whose other side the
    // app core sees; find the side visible to the security core.
    IrqLine* sec_irq = nullptr;
    for (const auto& p : variant_.peripherals)
        if (p.kind == "mailbox")
            for (const auto& w : p.windows)
                if (!sec_irq && std::find(w.visible_to.begin(), w.visible_to.end(), sec_core_name) != w.visible_to.end()) {
                    sc.mailbox_address = w.base;  // the first such mailbox is the one the app core talks to
                    sec_irq = irq_or_null(w.irq);
                }
    if (!sec_irq) throw InputError(variant_.file, 0, "no mailbox side is visible to the security core '" + sec_core_name + "'");
    for (const auto& part : variant_.flash_layout)
        if (part.name == "bootstate") {
            const auto address = flash_spec.base + part.offset;
            sc.boot_state = FlashSlot{part.name, address, part.size, address};
        } else if (part.name == "config") {
            const auto address = flash_spec.base + part.offset;
            sc.os_storage = FlashSlot{part.name, address, part.size, address};
        }
    security_ = std::make_unique<SecuritySubsystem>("security", context_, sc, initiator(sec_core_name), sec_irq);
    security_->bus().socket.bind(router_->from_initiators);
    security_->attach_flash(*flash_, flash_spec.base);
    security_->on_reset_request([this](const std::string& reason) { request_reset(reason); });
    // ---- the security core's fuses live in the OTP block; its crypto engine and firewall (crypto branch)
    if (otp_) {
        try {
            security_->fuses().back_with(*otp_);
        } catch (const std::invalid_argument& e) {
            for (const auto& p : variant_.peripherals)
                if (p.kind == "otp") throw InputError(variant_.file, p.line, fmt::format("peripheral '{}': {}", p.name, e.what()));
        }
    }
    for (const auto& p : variant_.peripherals) {
        if (p.kind == "crypto") security_->attach_crypto_engine(p.windows.front().base, irq_or_null(p.windows.front().irq));
        if (p.kind == "firewall" && firewall_) {
            std::vector<std::string> regions;
            for (std::size_t i = 0; i < firewall_->slots(); ++i) regions.push_back(firewall_->rule(i).region);
            security_->attach_firewall(p.windows.front().base, regions, variant_.initiators(), irq_or_null(p.windows.front().irq));
        }
    }

    // ---- app core
    for (const auto& c : variant_.cores)
        if (c.kind == "app-core") {
            app_core_ = std::make_unique<AppCore>(c.name.c_str(), context_, static_cast<std::uint64_t>(c.clock_mhz * 1e6),
                                                  initiator(c.name));
            app_core_->bus().socket.bind(router_->from_initiators);
        }
    security_->on_release_app_core([this](const BootHandoff& h) {
        if (auto it = core_in_reset_.find(app_core_->basename()); it != core_in_reset_.end()) it->second->write(false);
        app_core_->release(h);
        // The OS starts the real-time apps it was given (IO_CORE_CONTROL run); modelled as
        // happening when the app core is released.
        for (auto& [name, rt] : rt_cores_)
            if (rt.start_with_os && rt.module && rt.module->image()) rt.module->release("io-core-control run (os boot)");
    });
    // A variant's default firmware: the core runs it with the OS unless a scenario says otherwise.
    for (const auto& c : variant_.cores) {
        if (c.kind != "cortex-m4f" || c.firmware.empty()) continue;
        armv7m::ElfImage image;
        try {
            image = armv7m::read_elf(c.firmware);
        } catch (const InputError& e) {
            throw InputError(variant_.file, c.firmware_line, fmt::format("core '{}' firmware: {}", c.name, e.what()));
        }
        try {
            load_rt_firmware(c.name, std::move(image), true);
        } catch (const InputError& e) {
            throw InputError(variant_.file, c.firmware_line, fmt::format("core '{}' firmware: {}", c.name, e.what()));
        }
    }
    sc_core::sc_spawn([this] { reset_controller(); }, "reset_controller");
    // A power cut injected in the flash (U4, U5) takes the whole device down with it.
    if (flash_) flash_->on_power_cut([this] { request_reset("power cut"); });
}

std::size_t Device::gpio_pin_count(const Variant& v) {
    unsigned highest = 0;
    bool any = false;
    for (const auto& p : v.peripherals)
        for (auto pin : p.pins) {
            highest = std::max(highest, pin);
            any = true;
        }
    return any ? highest + 1 : 0;
}

Device::~Device() {
    if (!vcd_) return;
    sc_core::sc_close_vcd_trace_file(vcd_);
    // SystemC stamps the header with the host's date; a run's outputs depend on its inputs
    // only (rule 2), so the date becomes the simulated epoch's placeholder.
    std::ifstream in(vcd_path_);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    if (auto at = text.find("$date"), end = text.find("$end", at); at != std::string::npos && end != std::string::npos) {
        text.replace(at, end - at, "$date\n     (simulated time; see the event log's sim.started)\n");
        std::ofstream(vcd_path_, std::ios::trunc) << text;
    }
}

void Device::trace_vcd(const std::string& path) {
    if (vcd_) throw std::logic_error("trace_vcd called twice");
    std::string base = path;
    if (base.size() > 4 && base.compare(base.size() - 4, 4, ".vcd") == 0) base.resize(base.size() - 4);
    vcd_ = sc_core::sc_create_vcd_trace_file(base.c_str());
    vcd_path_ = base + ".vcd";
    if (!vcd_) throw std::runtime_error(path + ": cannot create the VCD file");
    for (auto& [name, line] : irqs_) sc_core::sc_trace(vcd_, line->signal(), "irq." + name);
    for (auto& [core, sig] : core_in_reset_) sc_core::sc_trace(vcd_, *sig, "core." + core + ".in_reset");
    // GPIO pins and flash power are not signals in the models: mirror them into traced levels.
    std::set<unsigned> pins;
    for (const auto& p : variant_.peripherals) pins.insert(p.pins.begin(), p.pins.end());
    for (auto pin : pins) {
        auto probe = std::make_unique<IrqLine>(fmt::format("pin{}", pin));
        probe->set(gpio_pins_->level(pin));
        sc_core::sc_trace(vcd_, probe->signal(), fmt::format("gpio.pin{:02}", pin));
        probes_[fmt::format("pin{}", pin)] = std::move(probe);
    }
    if (!pins.empty())
        gpio_pins_->on_change([this](unsigned pin, bool level) {
            if (auto it = probes_.find(fmt::format("pin{}", pin)); it != probes_.end()) it->second->set(level);
        });
    if (flash_) {
        auto probe = std::make_unique<IrqLine>("flash_powered");
        probe->set(flash_->powered());
        sc_core::sc_trace(vcd_, probe->signal(), "flash.powered");
        auto* raw = probe.get();
        flash_->on_power_cut([raw] { raw->set(false); });
        probes_["flash_powered"] = std::move(probe);
    }
}

void Device::trace_bus(const std::string& path, BusTraceFilter filter, std::optional<BusTrace::Format> format) {
    const auto names = variant_.initiators();
    for (const auto& name : filter.initiators)
        if (std::find(names.begin(), names.end(), name) == names.end())
            throw InputError(fmt::format("--trace-filter: variant '{}' has no initiator '{}' (initiators: {})", variant_.name, name,
                                         fmt::join(names, ", ")));
    bus_trace_ = std::make_unique<BusTrace>(path, format.value_or(BusTrace::format_for(path)), std::move(filter),
                                            variant_.initiators());
    bus_trace_->attach(*router_);
}

Peripheral& Device::block(const std::string& name) {
    auto it = blocks_.find(name);
    if (it == blocks_.end()) throw InputError("no peripheral block named '" + name + "'");
    return *it->second;
}

Gic& Device::gic(const std::string& name) {
    auto it = gics_.find(name);
    if (it == gics_.end()) throw InputError("no interrupt controller named '" + name + "'");
    return *it->second;
}

Sht3x& Device::sht3x(const std::string& i2c_master, unsigned address) {
    auto it = sht3x_.find(i2c_master + "@" + std::to_string(address));
    if (it == sht3x_.end()) throw InputError(fmt::format("no sht3x at address 0x{:x} on '{}'", address, i2c_master));
    return *it->second;
}

SpiNorFlash& Device::spi_flash(const std::string& spi_master, unsigned chip_select) {
    auto it = spi_flashes_.find(spi_master + "@" + std::to_string(chip_select));
    if (it == spi_flashes_.end()) throw InputError(fmt::format("no spi-nor flash on chip select {} of '{}'", chip_select, spi_master));
    return *it->second;
}

Device::ResetSignal& Device::core_in_reset(const std::string& core) {
    auto it = core_in_reset_.find(core);
    if (it == core_in_reset_.end()) throw InputError("no core named '" + core + "'");
    return *it->second;
}

void Device::reset_requested(const ResetRequest& r) {
    if (r.scope == ResetRequest::Scope::core) {
        if (auto it = core_in_reset_.find(r.core); it != core_in_reset_.end()) it->second->write(true);
        // A real-time core resets alone and runs its firmware again (if it was running).
        if (auto rt = rt_cores_.find(r.core); rt != rt_cores_.end() && rt->second.module)
            rt->second.module->restart(r.source + ": " + r.reason);
    }
    // The whole device resets for a device-scope request and for the app core's watchdog
    // (on the MT3620 the A7's watchdog resets the chip); a real-time core resets alone.
    if (r.scope == ResetRequest::Scope::device || r.core == app_core_->basename())
        request_reset(r.source + ": " + r.reason);
    auto listeners = reset_listeners_;
    for (auto& l : listeners) l(r);
}

void Device::reset_platform_blocks() {
    if (firewall_) firewall_->reset();
    if (otp_) otp_->reset();
    if (flash_controller_) flash_controller_->reset();
    for (auto& [name, b] : owned_blocks_)
        if (auto* w = dynamic_cast<Watchdog*>(b.get())) w->reset();
        else if (auto* e = dynamic_cast<CryptoEngine*>(b.get())) e->reset();
        else if (dynamic_cast<I2cMaster*>(b.get()) || dynamic_cast<SpiMaster*>(b.get()) || dynamic_cast<Adc*>(b.get()) ||
                 dynamic_cast<Pwm*>(b.get()))
            b->reset();
}

void Device::request_reset(const std::string& reason) {
    reset_reason_ = reason;
    reset_requested_.notify(sc_core::SC_ZERO_TIME);
}

void Device::reset_controller() {
    for (;;) {
        sc_core::wait(reset_requested_);
        ++resets_;
        context_.emit(ev::sec_device_reset, {{"reason", reset_reason_}, {"count", resets_}});
        if (auto it = core_in_reset_.find(app_core_->basename()); it != core_in_reset_.end()) it->second->write(true);
        app_core_->reset();
        for (auto& [name, rt] : rt_cores_)
            if (rt.module) rt.module->hold("device reset");
        reset_platform_blocks();
        if (flash_) flash_->power_on();
        for (auto& [name, u] : uarts_) u->reset();
        for (auto& [name, m] : mailboxes_) m->side(0).reset();
        for (auto& [name, n] : nics_) n->reset();
        for (auto& [name, line] : irqs_) line->lower();
        // SRAM does not survive a reset; flash and fuses do.
        for (const auto& m : variant_.memories)
            if (m.kind == "ram") {
                auto& mem = *memories_.at(m.name);
                std::fill(mem.data(), mem.data() + mem.size(), std::uint8_t{0});
            }
        security_->reset();
    }
}

std::vector<std::string> Device::rt_cores() const {
    std::vector<std::string> out;
    for (const auto& c : variant_.cores)
        if (c.kind == "cortex-m4f") out.push_back(c.name);
    return out;
}

Device::RtCore& Device::rt_entry(const std::string& name) {
    auto it = rt_cores_.find(name);
    if (it == rt_cores_.end() || !it->second.module) {
        std::string known;
        for (const auto& n : rt_cores()) known += (known.empty() ? "" : ", ") + n;
        throw InputError(fmt::format("variant '{}' has no real-time core '{}' (real-time cores: {})", variant_.name, name,
                                     known.empty() ? "none" : known));
    }
    return it->second;
}

CortexM4Module& Device::rt_core(const std::string& name) { return *rt_entry(name).module; }

void Device::load_rt_firmware(const std::string& core, armv7m::ElfImage image, bool start_with_os) {
    auto& rt = rt_entry(core);
    const auto who = initiator(core);
    // Every byte must land in memory this core decodes and may write: its TCM, its SYSRAM,
    // its window onto flash (not a peripheral, not another core's memory).
    auto is_memory = [&](const BusRegion& r) {
        for (const auto& m : variant_.memories)
            if (r.name == m.name || r.name.starts_with(m.name + "@")) return true;
        return false;
    };
    std::string seen;
    for (const auto& r : router_->regions())
        if (is_memory(r) && (r.visible_to.empty() || std::find(r.visible_to.begin(), r.visible_to.end(), who.id) != r.visible_to.end()))
            seen += fmt::format("{}{} 0x{:08x}-0x{:08x}", seen.empty() ? "" : ", ", r.name, r.base, r.end() - 1);
    for (std::size_t i = 0; i < image.segments.size(); ++i) {
        const auto& seg = image.segments[i];
        const std::uint64_t first = seg.paddr, last = std::uint64_t{seg.paddr} + seg.memsz - 1;
        const auto* region = router_->decode(first, who.id);
        const bool fits = region && is_memory(*region) && last < region->end();
        const bool allowed = fits && (region->guard < 0 || !firewall_ ||
                                      firewall_->decide(static_cast<std::size_t>(region->guard), &who) == FirewallRefusal::none);
        if (!fits || !allowed)
            throw InputError(image.name, 0,
                             fmt::format("segment {} [0x{:08x}, 0x{:08x}] is not in memory core '{}' can load into ({}: {})", i, first,
                                         last, core, !fits ? "it sees" : "the firewall refuses it; it sees", seen));
    }
    rt.module->boot_image(std::move(image));
    rt.start_with_os = start_with_os;
}

void Device::start_rt_core(const std::string& core, const std::string& reason) {
    auto& rt = rt_entry(core);
    if (!rt.module->image()) throw InputError(fmt::format("core '{}' has no firmware to run", core));
    rt.module->release(reason);
}

void Device::stop_rt_core(const std::string& core, const std::string& reason) { rt_entry(core).module->hold(reason); }

void Device::rt_clock_changed(const std::string& core, std::uint64_t hz, const std::string& source) {
    auto& rt = rt_entry(core);
    rt.module->set_clock_hz(hz, source);
    // Wait states are cycles of the initiator's clock: the router charges them at the new one.
    initiator_clocks_.at(initiator(core).id).set_hz(hz);
    router_->set_initiator_clocks(initiator_clocks_);
}

BusInitiator Device::initiator(const std::string& name) const {
    const auto names = variant_.initiators();
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) {
            // The name must outlive transactions: point into the variant's own strings.
            std::string_view stable;
            for (const auto& c : variant_.cores)
                if (c.name == name) stable = c.name;
            for (const auto& d : variant_.dma_initiators)
                if (d == name) stable = d;
            bool secure = false;
            for (const auto& c : variant_.cores)
                if (c.name == name) secure = c.secure;
            return BusInitiator(static_cast<std::uint16_t>(i), stable, secure ? World::secure : World::normal,
                                Privilege::privileged);
        }
    throw InputError(variant_.file, 0, "no initiator named '" + name + "'");
}

void Device::map_window(const std::string& name, const WindowSpec& w, tlm::tlm_target_socket<>& socket, bool dmi,
                        int guard) {
    if (guard == kGuardFromWindow) guard = guard_for(name, w.firewall);
    const unsigned ws = current_ && current_->wait_states ? *current_->wait_states : variant_.bus.peripheral_wait_states;
    map_region({name, w.base, w.size, router_->attach(socket), 0, {}, dmi, guard, ws, ws}, w.visible_to);
}

void Device::map_region(BusRegion r, const std::vector<std::string>& visible_to) {
    for (const auto& v : visible_to) r.visible_to.push_back(initiator(v).id);
    router_->map(std::move(r));
}

int Device::guard_for(const std::string& region, const std::optional<FirewallRuleSpec>& rule) {
    if (!rule) return -1;
    FirewallRule r;
    r.region = region;
    for (const auto& o : rule->owners) r.owners |= 1u << initiator(o).id;
    r.secure_only = rule->secure_only;
    r.privileged_only = rule->privileged_only;
    r.raz_wi = rule->raz_wi;
    if (!variant_.defences.on("firewall.rules")) {
        // Regression power: a test variant without firewall rules leaves every region open.
        r.owners = ~0u;
        r.secure_only = r.privileged_only = false;
    }
    firewall_rules_.push_back(r);
    return static_cast<int>(firewall_rules_.size() - 1);
}

IrqLine* Device::irq_or_null(const std::string& name) {
    if (name.empty()) return nullptr;
    return irqs_.at(name).get();
}

IrqLine& Device::irq(const std::string& name) {
    auto it = irqs_.find(name);
    if (it == irqs_.end()) throw InputError("no interrupt line named '" + name + "'");
    return *it->second;
}

Memory& Device::memory(const std::string& name) {
    auto it = memories_.find(name);
    if (it == memories_.end()) throw InputError("no memory named '" + name + "'");
    return *it->second;
}

Uart& Device::uart(const std::string& name) {
    auto it = uarts_.find(name);
    if (it == uarts_.end()) {
        std::string known;
        for (const auto& [n, u] : uarts_) known += (known.empty() ? "" : ", ") + n;
        throw InputError("no UART named '" + name + "' (it has: " + known + ")");
    }
    return *it->second;
}

Nic& Device::nic(const std::string& name) {
    auto it = nics_.find(name);
    if (it == nics_.end()) throw InputError("no NIC named '" + name + "'");
    return *it->second;
}

std::uint64_t Device::partition_address(const std::string& partition) const {
    return variant_.flash().base + variant_.partition(partition).offset;
}

void Device::provision(const Provisioning& p) {
    auto& f = security_->fuses();
    f.program_device_secret(p.device_secret);
    for (std::size_t i = 0; i < p.root_keys.size(); ++i) f.program_root_key(i, p.root_keys[i]);
    for (auto slot : p.revoked_root_keys) f.revoke_root_key(slot);
    for (const auto& [name, value] : p.counters) f.advance_counter(name, value);
    if (p.debug_locked) f.lock_debug();
    security_->set_product(p.product);
    if (p.secure_boot) f.enable_secure_boot();
    f.advance_manufacturing_state(p.manufacturing);
    if (p.rtc_epoch_unix_s)
        for (auto& [name, b] : owned_blocks_)
            if (auto* rtc = dynamic_cast<Rtc*>(b.get())) rtc->set_time(*p.rtc_epoch_unix_s);
    for (const auto& [name, bytes] : p.partitions) {
        const auto& part = variant_.partition(name);
        if (bytes.size() > part.size)
            throw InputError(fmt::format("image of {} bytes does not fit partition '{}' ({} bytes)", bytes.size(), name, part.size));
        flash_->load(part.offset, bytes);
    }
}

os::DeviceTree Device::os_device_tree(std::int64_t rtc_epoch_unix_s) const {
    std::string app_core_name, sec_name;
    for (const auto& c : variant_.cores) {
        if (c.kind == "app-core") app_core_name = c.name;
        if (c.kind == "security-core") sec_name = c.name;
    }
    auto visible = [&](const std::vector<std::string>& v, const std::string& who) {
        return v.empty() || std::find(v.begin(), v.end(), who) != v.end();
    };
    os::DeviceTree t;
    t.device_name = context_.id;
    t.app_core = app_core_name;
    t.rtc_epoch_unix_s = rtc_epoch_unix_s;
    t.costs = variant_.os_costs;
    t.defences = variant_.defences;
    // IO_CORE_CONTROL (the security monitor's service on the real part): the OS hands over a
    // verified firmware ELF; the device checks and loads it, then releases the core.
    t.rt_cores = rt_cores();
    t.io_core_control = [self = const_cast<Device*>(this)](const std::string& core, ByteView elf, const std::string& app) {
        try {
            self->load_rt_firmware(core, armv7m::parse_elf(elf, app), false);
            self->start_rt_core(core, "io-core-control run: " + app);
            return std::string();
        } catch (const InputError& e) {
            return std::string(e.what());
        }
    };
    for (const auto& p : variant_.peripherals) {
        const auto& w = p.windows.front();
        if (p.kind == "uart" && !t.console_uart && visible(w.visible_to, app_core_name)) t.console_uart = w.base;
        if (p.kind == "nic" && !t.nic && visible(w.visible_to, app_core_name)) {
            t.nic = w.base;
            t.nic_irq = irqs_.count(w.irq) ? irqs_.at(w.irq).get() : nullptr;
        }
        // Every other window the app core sees, for the OS's drivers to bind by kind.
        for (std::size_t i = 0; i < p.windows.size(); ++i) {
            const auto& win = p.windows[i];
            if (!visible(win.visible_to, app_core_name) || (p.kind == "mailbox" && win.visible_to.empty())) continue;
            os::DeviceNode node{p.name, p.kind, win.base, win.size, irqs_.count(win.irq) ? irqs_.at(win.irq).get() : nullptr, "", {}};
            if (p.kind == "gpio") node.pins.assign(p.pins.begin(), p.pins.end());
            if (p.kind == "i2c-master" || p.kind == "spi-master") node.clock_hz = static_cast<std::uint64_t>(p.clock_mhz * 1e6);
            if (p.kind == "mailbox" && p.windows.size() == 2 && !p.windows[1 - i].visible_to.empty())
                node.peer = p.windows[1 - i].visible_to.front();
            t.peripherals.push_back(node);
        }
        if (p.kind == "mailbox") {
            const auto &a = p.windows[0], &b = p.windows[1];
            for (auto [mine, theirs] : {std::pair{&a, &b}, std::pair{&b, &a}})
                if (!t.sec_mailbox && visible(mine->visible_to, app_core_name) && !mine->visible_to.empty() &&
                    std::find(theirs->visible_to.begin(), theirs->visible_to.end(), sec_name) != theirs->visible_to.end()) {
                    t.sec_mailbox = mine->base;
                    t.sec_mailbox_irq = irqs_.count(mine->irq) ? irqs_.at(mine->irq).get() : nullptr;
                }
        }
    }
    for (const auto& m : variant_.memories)
        if (m.kind == "ram" && visible(m.visible_to, app_core_name) && m.size > t.ram_size) {
            t.ram_base = m.base;
            t.ram_size = m.size;
        }
    // RAM another core may use too: what both see and the firewall (at reset) lets both into.
    auto may_use = [&](const MemorySpec& m, const std::string& who) {
        return visible(m.visible_to, who) &&
               (!m.firewall || std::find(m.firewall->owners.begin(), m.firewall->owners.end(), who) != m.firewall->owners.end());
    };
    for (const auto& m : variant_.memories) {
        if (m.kind != "ram" || !may_use(m, app_core_name)) continue;
        os::SharedMemoryNode node{m.name, m.base, m.size, {}};
        for (const auto& c : variant_.cores)
            if (c.name != app_core_name && may_use(m, c.name)) node.shared_with.push_back(c.name);
        if (!node.shared_with.empty()) t.shared_memories.push_back(node);
    }
    t.flash_sector_size = static_cast<std::uint32_t>(variant_.flash().sector_size);
    for (const auto& part : variant_.flash_layout) {
        if (part.name == "apps") {
            t.apps_partition = partition_address(part.name);
            t.apps_size = part.size;
        }
        if (part.name == "config") {
            t.config_partition = partition_address(part.name);
            t.config_size = part.size;
        }
    }
    if (!t.console_uart || !t.sec_mailbox || !t.sec_mailbox_irq || !t.nic || !t.nic_irq || !t.ram_size)
        throw InputError(variant_.file, 0,
                         "the app core needs a UART, a mailbox to the security core, a NIC (each with an irq) and RAM it can see");
    return t;
}

std::string Device::describe() const {
    auto size_text = [](std::uint64_t n) {
        return n >= (1u << 20) && n % (1u << 20) == 0 ? fmt::format("{} MiB", n >> 20)
               : n >= 1024 && n % 1024 == 0         ? fmt::format("{} KiB", n >> 10)
                                                     : fmt::format("{} B", n);
    };
    const auto names = variant_.initiators();
    auto who = [&](std::uint32_t mask) {
        std::string out;
        for (std::size_t i = 0; i < names.size(); ++i)
            if ((mask >> i) & 1) out += (out.empty() ? "" : ",") + names[i];
        return out.empty() ? std::string("nobody") : out;
    };
    std::string out = fmt::format("variant {}: {}\n\n", variant_.name, variant_.summary);
    out += fmt::format("{:<8} {:<15} {:>10}\n", "core", "kind", "clock");
    for (const auto& c : variant_.cores)
        out += fmt::format("{:<8} {:<15} {:>6.1f} MHz{}{}\n", c.name, c.kind, c.clock_mhz, c.secure ? "  (secure world)" : "",
                           c.kind == "cortex-m4f" && c.reset_clock_mhz != c.clock_mhz
                               ? fmt::format("  ({:.1f} MHz after reset)", c.reset_clock_mhz) : std::string());
    const auto& b = variant_.bus;
    out += fmt::format("\nbus: {} ns per hop", b.hop_ns);
    if (b.contention)
        out += fmt::format(", {} MHz x {} bytes, contention modelled ({} arbitration cycle{})", b.clock_mhz, b.width_bytes,
                           b.arbitration_cycles, b.arbitration_cycles == 1 ? "" : "s");
    out += "\n";

    // Which peripheral kind and irq each region belongs to.
    std::map<std::string, std::pair<std::string, std::string>> info;
    for (const auto& m : variant_.memories) info[m.name] = {m.kind, ""};
    for (const auto& p : variant_.peripherals) {
        info[p.name] = {p.kind, p.windows.front().irq};
        if (p.kind == "mailbox") {
            info[p.name + ".a"] = {"mailbox", p.windows[0].irq};
            info[p.name + ".b"] = {"mailbox", p.windows[1].irq};
        }
        if (p.kind == "gic") info[p.name + ".cpu"] = {"gic", ""};
    }
    out += fmt::format("\n{:<18} {:<17} {:<21} {:>8}  {:<9} {:<6} {:<16} {}\n", "region", "kind", "address range", "size",
                       "visible", "wait", "irq", "firewall owners");
    for (const auto& r : router_->regions()) {
        std::string vis;
        for (auto id : r.visible_to) vis += (vis.empty() ? "" : ",") + names[id];
        auto it = info.find(r.name);
        std::string kind = it != info.end() ? it->second.first : "alias", irq = it != info.end() ? it->second.second : "";
        std::string owners = "-";
        if (firewall_ && r.guard >= 0) {
            const auto rule = firewall_->rule(static_cast<std::size_t>(r.guard));
            owners = who(rule.owners) + (rule.secure_only ? " (secure)" : "") + (rule.privileged_only ? " (privileged)" : "") +
                     (rule.raz_wi ? " (raz-wi)" : "");
        }
        const auto wait = r.read_wait_states == r.write_wait_states ? fmt::format("{}", r.read_wait_states)
                                                                     : fmt::format("{}/{}", r.read_wait_states, r.write_wait_states);
        out += fmt::format("{:<18} {:<17} 0x{:08x}-0x{:08x} {:>8}  {:<9} {:<6} {:<16} {}\n", r.name, kind, r.base, r.end() - 1,
                           size_text(r.size), vis.empty() ? "all" : vis, wait, irq.empty() ? "-" : irq, owners);
    }
    for (const auto& p : variant_.peripherals) {
        if (p.wiring.empty()) continue;
        out += fmt::format("\ninterrupts into {} ({} -> {}): ", p.name, p.core, p.windows.front().irq);
        std::string list;
        for (const auto& w : p.wiring) list += fmt::format("{}{}=SPI {}{}", list.empty() ? "" : ", ", w.irq, w.spi, w.edge ? " (edge)" : "");
        out += list + "\n";
    }
    // What hangs on the serial masters' wires, and the ADC inputs the board sets.
    bool first_master = true;
    for (const auto& p : variant_.peripherals) {
        if ((p.kind == "i2c-master" || p.kind == "spi-master") && std::exchange(first_master, false))
            out += "\nserial masters (clock: what is on the wire)\n";
        if (p.kind == "i2c-master" || p.kind == "spi-master")
            out += fmt::format("{:<18} {:>6.2f} MHz: {}\n", p.name, p.clock_mhz, [&] {
                std::string list;
                for (const auto& d : p.devices)
                    list += (list.empty() ? "" : ", ") + (p.kind == "i2c-master" ? fmt::format("{} at 0x{:02x}", d.kind, d.address)
                                                                                 : fmt::format("{} {} on cs {}", d.kind, size_text(d.size), d.address));
                return list.empty() ? std::string("nothing attached") : list;
            }());
        if (p.kind == "adc" && !p.inputs_mv.empty())
            out += fmt::format("{} inputs (mV): {}\n", p.name, fmt::join(p.inputs_mv, ", "));
    }
    for (const auto& c : variant_.cores) {
        if (c.nvic_wiring.empty()) continue;
        std::string list;
        for (const auto& w : c.nvic_wiring) list += fmt::format("{}{}={}", list.empty() ? "" : ", ", w.irq, w.input);
        out += fmt::format("\ninterrupts into {}'s NVIC ({} inputs, {} priority bits): {}\n", c.name, c.nvic_irqs,
                           c.nvic_priority_bits, list);
    }
    out += fmt::format("\n{:<10} {:>10} {:>10}\n", "partition", "offset", "size");
    for (const auto& p : variant_.flash_layout)
        out += fmt::format("{:<10} 0x{:08x} {:>7} KiB\n", p.name, p.offset, p.size >> 10);
    out += "\nboot chain: ";
    for (const auto& s : variant_.boot_chain) out += s.stage + " [" + fmt::format("{}", fmt::join(s.slots, "/")) + "] -> ";
    out += "OS\n";
    const auto& c = variant_.crypto;
    out += fmt::format("crypto (security-core cycles): sha256/block {}, hmac/block {}, aes-gcm/block {}, ecdsa verify {}, "
                       "ecdsa sign {}, setup/op {}, trng/word {}\n",
                       c.sha256_cycles_per_block, c.hmac_sha256_cycles_per_block, c.aes_gcm_cycles_per_block,
                       c.ecdsa_verify_cycles, c.ecdsa_sign_cycles, c.engine_setup_cycles, c.trng_cycles_per_word);
    if (variant_.power) {
        out += fmt::format("power (mW, active/asleep): static {}", variant_.power->static_mw);
        for (const auto& [name, st] : variant_.power->components) out += fmt::format(", {} {}/{}", name, st.active_mw, st.sleep_mw);
        out += "\n";
    }
    return out;
}

}  // namespace svp

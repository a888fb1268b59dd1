#include "platform/device.h"

#include <fmt/format.h>

#include "common/util/input_error.h"

namespace svp {
namespace {

sc_core::sc_time ns(double v) { return sc_core::sc_time(v, sc_core::SC_NS); }

}  // namespace

Device::Device(sc_core::sc_module_name name, Variant variant, DeviceContext& context, HostBridge& bridge)
    : sc_module(name), variant_(std::move(variant)), context_(context) {
    router_ = std::make_unique<Router>("bus", context_, ns(variant_.hop_ns));

    // Interrupt lines are named in the variant; create each once.
    for (const auto& p : variant_.peripherals)
        for (const auto& w : p.windows)
            if (!w.irq.empty() && !irqs_.count(w.irq)) irqs_[w.irq] = std::make_unique<IrqLine>("irq_" + w.irq);

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
        map_window(m.name, WindowSpec{m.base, m.size, m.visible_to, "", m.line}, mem->socket, true);
        memories_[m.name] = std::move(mem);
    }

    // ---- peripherals
    const auto reg_latency = ns(variant_.hop_ns > 0 ? variant_.hop_ns * 4 : 20);
    for (const auto& p : variant_.peripherals) {
        if (p.kind == "uart") {
            const auto& w = p.windows.front();
            auto u = std::make_unique<Uart>(p.name.c_str(), context_, reg_latency,
                                            static_cast<std::uint64_t>(p.clock_mhz * 1e6), irq_or_null(w.irq));
            map_window(p.name, w, u->socket, false);
            uarts_[p.name] = std::move(u);
        } else if (p.kind == "mailbox") {
            auto mb = std::make_unique<Mailbox>(p.name.c_str(), context_, reg_latency);
            for (int side = 0; side < 2; ++side) {
                const auto& w = p.windows[static_cast<std::size_t>(side)];
                mb->side(side).set_irq(irq_or_null(w.irq));
                map_window(p.name + (side ? ".b" : ".a"), w, mb->side(side).socket, false);
            }
            mailboxes_[p.name] = std::move(mb);
        } else if (p.kind == "nic") {
            const auto& w = p.windows.front();
            LinkTiming link{static_cast<std::uint64_t>(p.latency_ms * 1e6), static_cast<std::uint64_t>(p.bandwidth_mbps * 1e6)};
            auto nic = std::make_unique<Nic>(p.name.c_str(), context_, reg_latency, initiator(p.name), bridge, link,
                                             irq_or_null(w.irq));
            map_window(p.name, w, nic->socket, false);
            nic->dma().socket.bind(router_->from_initiators);
            nics_[p.name] = std::move(nic);
        }
    }

    // ---- security subsystem
    SecurityConfig sc;
    for (const auto& c : variant_.cores)
        if (c.kind == "security-core") sc.clock_hz = static_cast<std::uint64_t>(c.clock_mhz * 1e6);
    sc.costs = variant_.crypto;
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
    // The security core talks to the app core through the mailbox whose other side the
    // app core sees; find the side visible to the security core.
    IrqLine* sec_irq = nullptr;
    for (const auto& p : variant_.peripherals)
        if (p.kind == "mailbox")
            for (const auto& w : p.windows)
                if (std::find(w.visible_to.begin(), w.visible_to.end(), sec_core_name) != w.visible_to.end()) {
                    sc.mailbox_address = w.base;
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

    // ---- app core
    for (const auto& c : variant_.cores)
        if (c.kind == "app-core") {
            app_core_ = std::make_unique<AppCore>(c.name.c_str(), context_, static_cast<std::uint64_t>(c.clock_mhz * 1e6),
                                                  initiator(c.name));
            app_core_->bus().socket.bind(router_->from_initiators);
        }
    security_->on_release_app_core([this](const BootHandoff& h) { app_core_->release(h); });
    sc_core::sc_spawn([this] { reset_controller(); }, "reset_controller");
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
        app_core_->reset();
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

void Device::map_window(const std::string& name, const WindowSpec& w, tlm::tlm_target_socket<>& socket, bool dmi) {
    BusRegion r;
    r.name = name;
    r.base = w.base;
    r.size = w.size;
    r.target = router_->attach(socket);
    r.dmi_allowed = dmi;
    for (const auto& v : w.visible_to) r.visible_to.push_back(initiator(v).id);
    router_->map(std::move(r));
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
    if (it == uarts_.end()) throw InputError("no UART named '" + name + "'");
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
    if (p.secure_boot) f.enable_secure_boot();
    f.advance_manufacturing_state(p.manufacturing);
    auto config = security_->config();
    (void)config;
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
    t.rtc_epoch_unix_s = rtc_epoch_unix_s;
    t.costs = variant_.os_costs;
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
            os::DeviceNode node{p.name, p.kind, win.base, win.size, irqs_.count(win.irq) ? irqs_.at(win.irq).get() : nullptr, ""};
            if (p.kind == "mailbox" && p.windows.size() == 2 && !p.windows[1 - i].visible_to.empty())
                node.peer = p.windows[1 - i].visible_to.front();
            t.peripherals.push_back(node);
        }
        if (p.kind == "mailbox") {
            const auto &a = p.windows[0], &b = p.windows[1];
            for (auto [mine, theirs] : {std::pair{&a, &b}, std::pair{&b, &a}})
                if (visible(mine->visible_to, app_core_name) && !mine->visible_to.empty() &&
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
    std::string out = fmt::format("variant {}: {}\n\n", variant_.name, variant_.summary);
    out += fmt::format("{:<8} {:<15} {:>10}\n", "core", "kind", "clock");
    for (const auto& c : variant_.cores)
        out += fmt::format("{:<8} {:<15} {:>6.1f} MHz{}\n", c.name, c.kind, c.clock_mhz, c.secure ? "  (secure world)" : "");
    out += fmt::format("\n{:<14} {:<23} {:>10}  {}\n", "region", "address range", "size", "visible to");
    for (const auto& r : router_->regions()) {
        std::string who;
        for (auto id : r.visible_to) who += (who.empty() ? "" : ", ") + variant_.initiators()[id];
        out += fmt::format("{:<14} 0x{:08x}-0x{:08x} {:>10}  {}\n", r.name, r.base, r.end() - 1,
                           r.size >= (1u << 20) ? fmt::format("{} MiB", r.size >> 20)
                           : r.size >= 1024     ? fmt::format("{} KiB", r.size >> 10)
                                                : fmt::format("{} B", r.size),
                           who.empty() ? "all" : who);
    }
    out += fmt::format("\n{:<10} {:>10} {:>10}\n", "partition", "offset", "size");
    for (const auto& p : variant_.flash_layout)
        out += fmt::format("{:<10} 0x{:08x} {:>7} KiB\n", p.name, p.offset, p.size >> 10);
    out += "\nboot chain: ";
    for (const auto& s : variant_.boot_chain) out += s.stage + " [" + fmt::format("{}", fmt::join(s.slots, "/")) + "] -> ";
    out += "OS\n";
    return out;
}

}  // namespace svp

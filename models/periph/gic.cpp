#include "models/periph/gic.h"

#include <stdexcept>

#include <fmt/format.h>

namespace svp {

Gic::Gic(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, unsigned lines, IrqLine* output)
    : sc_module(name), lines_(lines), output_(output), irqs_(lines) {
    if (lines == 0 || lines % 32 || lines > 1020 + 4)
        throw std::invalid_argument(fmt::format("{}: {} interrupt lines; a GICv2 has a multiple of 32, up to 1020", this->name(), lines));
    dist_ = std::make_unique<Peripheral>("distributor", device, latency);
    cpu_ = std::make_unique<Peripheral>("cpu_interface", device, latency);
    auto& d = dist_->registers();
    d.add("GICD_CTLR", GICD_CTLR, 0, Access::rw, 1).on_write([this](std::uint32_t, std::uint32_t) { update(); });
    d.add("GICD_TYPER", GICD_TYPER, lines / 32 - 1, Access::ro);
    d.add("GICD_IIDR", GICD_IIDR, 0x0200043B, Access::ro);  // ARM implementer code, GICv2
    add_bit_bank("GICD_ISENABLER", GICD_ISENABLER, [this](unsigned i) { return irqs_[i].enabled; },
                 [this](unsigned i, std::uint32_t b) { if (b) irqs_[i].enabled = true; });
    add_bit_bank("GICD_ICENABLER", GICD_ICENABLER, [this](unsigned i) { return irqs_[i].enabled; },
                 [this](unsigned i, std::uint32_t b) { if (b) irqs_[i].enabled = false; });
    add_bit_bank("GICD_ISPENDR", GICD_ISPENDR, [this](unsigned i) { return pending(i); },
                 [this](unsigned i, std::uint32_t b) { if (b) irqs_[i].latched = true; });
    add_bit_bank("GICD_ICPENDR", GICD_ICPENDR, [this](unsigned i) { return pending(i); },
                 [this](unsigned i, std::uint32_t b) { if (b) irqs_[i].latched = false; });
    add_bit_bank("GICD_ISACTIVER", GICD_ISACTIVER, [this](unsigned i) { return irqs_[i].active; },
                 [](unsigned, std::uint32_t) {});
    add_bit_bank("GICD_ICACTIVER", GICD_ICACTIVER, [this](unsigned i) { return irqs_[i].active; },
                 [](unsigned, std::uint32_t) {});
    for (unsigned r = 0; r < lines / 4; ++r) {
        d.add(fmt::format("GICD_IPRIORITYR{}", r), GICD_IPRIORITYR + 4 * r)
            .on_read([this, r](bool) {
                std::uint32_t v = 0;
                for (unsigned b = 0; b < 4; ++b) v |= static_cast<std::uint32_t>(irqs_[4 * r + b].priority) << (8 * b);
                return v;
            })
            .on_write([this, r](std::uint32_t, std::uint32_t v) {
                for (unsigned b = 0; b < 4; ++b) irqs_[4 * r + b].priority = static_cast<std::uint8_t>(v >> (8 * b));
                update();
            });
        d.add(fmt::format("GICD_ITARGETSR{}", r), GICD_ITARGETSR + 4 * r, 0x01010101u, Access::ro);
    }
    for (unsigned r = 0; r < lines / 16; ++r)
        d.add(fmt::format("GICD_ICFGR{}", r), GICD_ICFGR + 4 * r)
            .on_read([this, r](bool) {
                std::uint32_t v = 0;
                for (unsigned k = 0; k < 16; ++k) v |= (irqs_[16 * r + k].edge ? 2u : 0u) << (2 * k);
                return v;
            })
            .on_write([this, r](std::uint32_t, std::uint32_t v) {
                for (unsigned k = 0; k < 16; ++k)
                    if (16 * r + k >= kFirstSpi) irqs_[16 * r + k].edge = (v >> (2 * k + 1)) & 1;
                update();
            });

    auto& c = cpu_->registers();
    c.add("GICC_CTLR", GICC_CTLR, 0, Access::rw, 1).on_write([this](std::uint32_t, std::uint32_t) { update(); });
    c.add("GICC_PMR", GICC_PMR, 0, Access::rw, 0xFF).on_write([this](std::uint32_t, std::uint32_t) { update(); });
    c.add("GICC_BPR", GICC_BPR, 2, Access::rw, 0x7);
    c.add("GICC_IAR", GICC_IAR, kSpurious, Access::ro).on_read([this](bool debug) { return acknowledge(debug); });
    c.add("GICC_EOIR", GICC_EOIR, 0, Access::wo, 0x3FF).on_write([this](std::uint32_t, std::uint32_t v) {
        cpu_->registers()["GICC_EOIR"].set(0);
        end_of_interrupt(v);
    });
    c.add("GICC_RPR", GICC_RPR, 0xFF, Access::ro).on_read([this](bool) { return static_cast<std::uint32_t>(running_priority()); });
    c.add("GICC_HPPIR", GICC_HPPIR, kSpurious, Access::ro).on_read([this](bool) { return highest_pending(); });
}

void Gic::add_bit_bank(const char* name, std::uint32_t offset, std::function<std::uint32_t(unsigned)> read,
                       std::function<void(unsigned, std::uint32_t)> write, Access access) {
    for (unsigned r = 0; r < lines_ / 32; ++r)
        dist_->registers()
            .add(fmt::format("{}{}", name, r), offset + 4 * r, 0, access)
            .on_read([read, r](bool) {
                std::uint32_t v = 0;
                for (unsigned b = 0; b < 32; ++b) v |= read(32 * r + b) << b;
                return v;
            })
            .on_write([this, write, r](std::uint32_t, std::uint32_t v) {
                for (unsigned b = 0; b < 32; ++b) write(32 * r + b, (v >> b) & 1);
                update();
            });
}

void Gic::connect(unsigned id, IrqLine& line, bool edge) {
    if (id < kFirstSpi || id >= lines_)
        throw std::invalid_argument(fmt::format("{}: interrupt id {} is not a shared peripheral interrupt (32..{})", name(), id, lines_ - 1));
    if (inputs_.count(id)) throw std::invalid_argument(fmt::format("{}: interrupt id {} is wired twice", name(), id));
    inputs_[id] = &line;
    irqs_[id].edge = edge;
    sc_core::sc_spawn_options o;
    o.spawn_method();
    o.dont_initialize();
    o.set_sensitivity(&line.changed());
    sc_core::sc_spawn([this, id, &line] { line_changed(id, line.level()); }, sc_core::sc_gen_unique_name("input"), &o);
}

void Gic::line_changed(unsigned id, bool level) {
    auto& i = irqs_[id];
    if (i.edge && level && !i.level) i.latched = true;  // a rising edge is remembered
    i.level = level;
    update();
}

bool Gic::pending(unsigned id) const {
    const auto& i = irqs_.at(id);
    return i.latched || (!i.edge && i.level);
}

std::uint8_t Gic::running_priority() const {
    return active_stack_.empty() ? 0xFF : irqs_[active_stack_.back()].priority;
}

unsigned Gic::highest_pending() const {
    if (!(dist_->registers()["GICD_CTLR"].value() & 1)) return kSpurious;
    const auto pmr = cpu_->registers()["GICC_PMR"].value();
    const auto rpr = running_priority();
    unsigned best = kSpurious;
    for (unsigned id = 0; id < lines_; ++id) {
        const auto& i = irqs_[id];
        if (!i.enabled || i.active || !pending(id) || i.priority >= pmr || i.priority >= rpr) continue;
        if (best == kSpurious || i.priority < irqs_[best].priority) best = id;  // ties: lowest id
    }
    return best;
}

std::uint32_t Gic::acknowledge(bool debug) {
    const auto id = highest_pending();
    if (debug || id == kSpurious || !(cpu_->registers()["GICC_CTLR"].value() & 1)) return id;
    auto& i = irqs_[id];
    i.active = true;
    i.latched = false;  // a level interrupt stays pending while its line is high
    active_stack_.push_back(id);
    update();
    return id;
}

void Gic::end_of_interrupt(std::uint32_t id) {
    if (id >= lines_ || !irqs_[id].active) {
        cpu_->registers().report_guest_error(fmt::format("GICC_EOIR {} is not an active interrupt", id));
        return;
    }
    irqs_[id].active = false;
    std::erase(active_stack_, id);
    update();
}

void Gic::update() {
    const bool signal = (cpu_->registers()["GICC_CTLR"].value() & 1) && highest_pending() != kSpurious;
    if (output_) output_->set(signal);
}

}  // namespace svp

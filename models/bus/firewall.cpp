#include "models/bus/firewall.h"

#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace svp {

std::string_view to_string(FirewallRefusal r) {
    switch (r) {
    case FirewallRefusal::none: return "none";
    case FirewallRefusal::not_owner: return "not-owner";
    case FirewallRefusal::secure_only: return "secure-only";
    case FirewallRefusal::privileged_only: return "privileged-only";
    case FirewallRefusal::anonymous: return "no-initiator-identity";
    }
    return "unknown";
}

namespace {
std::uint32_t flags_of(const FirewallRule& r) {
    return (r.secure_only ? Firewall::FLAG_SECURE_ONLY : 0) | (r.privileged_only ? Firewall::FLAG_PRIVILEGED_ONLY : 0) |
           (r.raz_wi ? Firewall::FLAG_RAZ_WI : 0);
}
}  // namespace

Firewall::Firewall(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency,
                   std::vector<FirewallRule> defaults, std::vector<std::string> initiators, IrqLine* irq)
    : Peripheral(name, device, latency), defaults_(std::move(defaults)), initiators_(std::move(initiators)), irq_(irq) {
    if (initiators_.size() > kMaxInitiators)
        throw std::invalid_argument(fmt::format("{}: {} initiators; an owner mask names at most {}", this->name(),
                                                initiators_.size(), kMaxInitiators));
    if (defaults_.size() > 255)
        throw std::invalid_argument(fmt::format("{}: {} rules; FW_ID counts at most 255", this->name(), defaults_.size()));
    auto unlocked = [this] { return !locked(); };
    const auto id = static_cast<std::uint32_t>(defaults_.size()) | static_cast<std::uint32_t>(initiators_.size()) << 8;
    regs_.add("FW_ID", FW_ID, id, Access::ro).secure_only();
    ctrl_ = &regs_.add("FW_CTRL", FW_CTRL, 0, Access::rw, CTRL_LOCK)
                 .secure_only()
                 .writable_if(unlocked, "the firewall is locked until reset")
                 .on_write([this](std::uint32_t old, std::uint32_t v) {
                     if ((v & CTRL_LOCK) && !(old & CTRL_LOCK)) {
                         device_.emit(ev::firewall_locked, {{"firewall", std::string(this->name())}});
                     }
                 });
    int_sts_ = &regs_.add("FW_INT_STS", FW_INT_STS, 0, Access::w1c, INT_VIOLATION).secure_only().on_write(
        [this](std::uint32_t, std::uint32_t) { update_irq(); });
    int_en_ = &regs_.add("FW_INT_EN", FW_INT_EN, INT_VIOLATION, Access::rw, INT_VIOLATION).secure_only().on_write(
        [this](std::uint32_t, std::uint32_t) { update_irq(); });
    regs_.add("FW_VIOL_ADDR", FW_VIOL_ADDR, 0, Access::ro).secure_only();
    regs_.add("FW_VIOL_INFO", FW_VIOL_INFO, 0, Access::ro).secure_only();
    regs_.add("FW_VIOL_COUNT", FW_VIOL_COUNT, 0, Access::ro).secure_only();
    const std::uint32_t all_initiators =
        initiators_.size() >= 32 ? 0xFFFFFFFFu : ((1u << initiators_.size()) - 1);
    for (std::size_t n = 0; n < defaults_.size(); ++n) {
        auto changed = [this, n](std::uint32_t old, std::uint32_t v) {
            if (old == v) return;
            const auto r = rule(n);
            device_.emit(ev::firewall_rule_changed, {{"slot", n}, {"region", r.region}, {"owners", owner_names(r.owners)},
                                                     {"flags", flags_of(r)}});
            rules_changed();
        };
        owners_.push_back(&regs_.add(fmt::format("SLOT{}_OWNERS", n), slot_owners(n), defaults_[n].owners, Access::rw,
                                     all_initiators)
                               .secure_only()
                               .writable_if(unlocked, "the firewall is locked until reset")
                               .on_write(changed));
        flags_.push_back(&regs_.add(fmt::format("SLOT{}_FLAGS", n), slot_flags(n), flags_of(defaults_[n]), Access::rw,
                                    FLAG_SECURE_ONLY | FLAG_PRIVILEGED_ONLY | FLAG_RAZ_WI)
                              .secure_only()
                              .writable_if(unlocked, "the firewall is locked until reset")
                              .on_write(changed));
    }
}

void Firewall::install(Router& router) {
    router_ = &router;
    router.set_access_check([this](const BusRegion& region, tlm::tlm_generic_payload& tx, Router::Path path) {
        return check(region, tx, path);
    });
}

FirewallRule Firewall::rule(std::size_t slot) const {
    FirewallRule r;
    r.region = defaults_.at(slot).region;
    r.owners = owners_[slot]->value();
    const auto f = flags_[slot]->value();
    r.secure_only = f & FLAG_SECURE_ONLY;
    r.privileged_only = f & FLAG_PRIVILEGED_ONLY;
    r.raz_wi = f & FLAG_RAZ_WI;
    return r;
}

FirewallRefusal Firewall::decide(std::size_t slot, const BusInitiator* who) const {
    if (!who) return FirewallRefusal::anonymous;  // fail closed: an access must say who it is
    if (who->id >= kMaxInitiators || !((owners_[slot]->value() >> who->id) & 1)) return FirewallRefusal::not_owner;
    const auto f = flags_[slot]->value();
    if ((f & FLAG_SECURE_ONLY) && who->world != World::secure) return FirewallRefusal::secure_only;
    if ((f & FLAG_PRIVILEGED_ONLY) && who->privilege != Privilege::privileged) return FirewallRefusal::privileged_only;
    return FirewallRefusal::none;
}

bool Firewall::check(const BusRegion& region, tlm::tlm_generic_payload& tx, Router::Path path) {
    if (region.guard < 0 || static_cast<std::size_t>(region.guard) >= slots()) return true;
    const auto slot = static_cast<std::size_t>(region.guard);
    const auto why = decide(slot, initiator_of(tx));
    if (why == FirewallRefusal::none) return true;
    if (path != Router::Path::transport) return false;  // no pointer, no debug bytes; no event
    const bool raz_wi = flags_[slot]->value() & FLAG_RAZ_WI;
    if (raz_wi) {
        if (tx.is_read()) std::memset(tx.get_data_ptr(), 0, tx.get_data_length());
        tx.set_response_status(tlm::TLM_OK_RESPONSE);
    } else {
        tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    }
    tx.set_dmi_allowed(false);
    violation(slot, tx, why, raz_wi);
    return false;
}

void Firewall::violation(std::size_t slot, const tlm::tlm_generic_payload& tx, FirewallRefusal why, bool raz_wi) {
    ++violations_;
    const auto* who = initiator_of(tx);
    auto& count = regs_["FW_VIOL_COUNT"];
    if (count.value() != 0xFFFFFFFFu) count.set(count.value() + 1);
    if (!(int_sts_->value() & INT_VIOLATION)) {  // keep the first one until software clears it
        regs_["FW_VIOL_ADDR"].set(static_cast<std::uint32_t>(tx.get_address()));
        regs_["FW_VIOL_INFO"].set((who ? who->id : 0xFFFFu) | static_cast<std::uint32_t>(slot) << 16 |
                                  (tx.is_write() ? 1u << 24 : 0) | static_cast<std::uint32_t>(why) << 25);
    }
    int_sts_->set_bits(INT_VIOLATION);
    update_irq();
    device_.emit(ev::firewall_violation, {{"initiator", std::string(initiator_name(tx))},
                                          {"address", fmt::format("0x{:08x}", tx.get_address())},
                                          {"region", defaults_[slot].region},
                                          {"owners", owner_names(owners_[slot]->value())},
                                          {"access", tx.is_write() ? "write" : "read"},
                                          {"reason", to_string(why)},
                                          {"mode", raz_wi ? "raz-wi" : "error"}});
}

std::string Firewall::owner_names(std::uint32_t mask) const {
    std::string out;
    for (std::size_t i = 0; i < initiators_.size(); ++i)
        if ((mask >> i) & 1) out += (out.empty() ? "" : ",") + initiators_[i];
    return out.empty() ? "none" : out;
}

void Firewall::update_irq() {
    if (irq_) irq_->set((int_sts_->value() & int_en_->value()) != 0);
}

void Firewall::rules_changed() {
    // A cached DMI pointer must not outlive the permission it was granted under.
    if (router_) router_->invalidate_dmi(0, ~0ull);
}

void Firewall::reset() {
    regs_.reset();
    violations_ = 0;
    update_irq();
    rules_changed();
}

}  // namespace svp

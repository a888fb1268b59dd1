// The peripheral firewall ("the Microsoft firewall between buses", reference §1.5): every
// guarded region of the address map has one rule, naming the initiators that own it. The
// security core programs the rules at boot through registers at 0x30000000 and locks them;
// from then until reset nobody can reassign a peripheral, "even if the code is compromised".
//
// A refused access never reaches its target. In the default mode it gets a TLM error
// response; in read-as-zero/write-ignored mode reads return 0 and writes vanish (QEMU's
// tz-ppc offers both). Either way the firewall emits a `bus.firewall violation` event naming
// initiator, address, region and owners, latches the first violation in its registers and
// raises its interrupt (wired to the security core, and to the A7's GIC as SPI 27, DTSI).
// DMI pointers and debug accesses obey the same rules, silently.
//
// MT3620: the block exists (DTSI `firewall@30000000`, size 0x10000, GIC SPI 27) but its
// register layout is not public. The layout below is assumed; what is guarded, by whom, and
// in which mode is data in the variant file (each region's `firewall:` entry, slot = order).
//
//   0x000 FW_ID          RO   [7:0] rule slots, [15:8] initiators the owner masks can name
//   0x004 FW_CTRL        RW   bit 0 LOCK: write 1 to lock every rule and FW_CTRL until reset
//   0x008 FW_INT_STS     W1C  bit 0 VIOLATION
//   0x00C FW_INT_EN      RW   bit 0 VIOLATION (reset 1: a violation interrupts by default)
//   0x010 FW_VIOL_ADDR   RO   bus address of the first violation since VIOLATION was cleared
//   0x014 FW_VIOL_INFO   RO   [15:0] initiator id, [23:16] slot, bit 24 write, [27:25] reason
//   0x018 FW_VIOL_COUNT  RO   violations since reset (saturates)
//   0x100 + 8n SLOTn_OWNERS  RW  bit i: initiator id i may access region n
//   0x104 + 8n SLOTn_FLAGS   RW  bit 0 SECURE_ONLY, bit 1 PRIVILEGED_ONLY, bit 2 RAZ_WI
// Every register is secure-only: only the secure world (the security core) configures it.
#pragma once

#include <string>
#include <vector>

#include "models/base/irq.h"
#include "models/base/peripheral.h"
#include "models/bus/router.h"

namespace svp {

struct FirewallRule {
    std::string region;         // the region (or mailbox side) it guards, for events and errors
    std::uint32_t owners = 0;   // bit i: initiator id i
    bool secure_only = false;
    bool privileged_only = false;
    bool raz_wi = false;        // read-as-zero/write-ignored instead of an error response
};

// Why an access was refused (FW_VIOL_INFO[27:25]).
enum class FirewallRefusal : std::uint8_t { none = 0, not_owner = 1, secure_only = 2, privileged_only = 3, anonymous = 4 };
std::string_view to_string(FirewallRefusal r);

class Firewall : public Peripheral {
public:
    static constexpr std::uint32_t FW_ID = 0x000, FW_CTRL = 0x004, FW_INT_STS = 0x008, FW_INT_EN = 0x00C,
                                   FW_VIOL_ADDR = 0x010, FW_VIOL_INFO = 0x014, FW_VIOL_COUNT = 0x018,
                                   SLOT_BASE = 0x100, SLOT_STRIDE = 8;
    static constexpr std::uint32_t CTRL_LOCK = 1u << 0, INT_VIOLATION = 1u << 0;
    static constexpr std::uint32_t FLAG_SECURE_ONLY = 1u << 0, FLAG_PRIVILEGED_ONLY = 1u << 1, FLAG_RAZ_WI = 1u << 2;
    static constexpr std::size_t kMaxInitiators = 32;  // the owner mask is one 32-bit register
    static constexpr std::uint32_t slot_owners(std::size_t n) { return SLOT_BASE + static_cast<std::uint32_t>(n) * SLOT_STRIDE; }
    static constexpr std::uint32_t slot_flags(std::size_t n) { return slot_owners(n) + 4; }

    // `defaults` are the rules at reset (slot n = defaults[n]); `initiators` names ids for
    // events. Throws std::invalid_argument beyond 32 initiators or 255 slots.
    Firewall(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency,
             std::vector<FirewallRule> defaults, std::vector<std::string> initiators, IrqLine* irq);

    // Makes `router` consult this firewall for every region whose `guard` is a slot here.
    void install(Router& router);

    // The decision itself (what the router calls).
    bool check(const BusRegion& region, tlm::tlm_generic_payload& tx, Router::Path path);
    // Whether `who` may access slot `n` now, and if not, why.
    FirewallRefusal decide(std::size_t slot, const BusInitiator* who) const;

    std::size_t slots() const { return defaults_.size(); }
    FirewallRule rule(std::size_t slot) const;
    bool locked() const { return (ctrl_->value() & CTRL_LOCK) != 0; }
    std::uint64_t violations() const { return violations_; }
    // Back to the reset rules, unlocked (a device reset).
    void reset();

private:
    void rules_changed();
    void violation(std::size_t slot, const tlm::tlm_generic_payload& tx, FirewallRefusal why, bool raz_wi);
    std::string owner_names(std::uint32_t mask) const;
    void update_irq();

    std::vector<FirewallRule> defaults_;
    std::vector<std::string> initiators_;
    IrqLine* irq_;
    Router* router_ = nullptr;
    std::uint64_t violations_ = 0;
    // Registers are looked up per access on the hot path: keep direct pointers.
    std::vector<Register*> owners_, flags_;
    Register *ctrl_ = nullptr, *int_sts_ = nullptr, *int_en_ = nullptr;
};

}  // namespace svp

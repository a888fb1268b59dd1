// Rule 5 of the design: the bus knows who is asking. Every TLM transaction carries this
// extension: which initiator (a7, rt0, rt1, sec, nic, ...), in which world, at which privilege.
// Firewalls and the key vault decide from it.
#pragma once

#include <cstdint>
#include <string_view>

#include <tlm>

namespace svp {

enum class World : std::uint8_t { normal, secure };
enum class Privilege : std::uint8_t { user, privileged };

// Initiator ids are small integers the platform builder assigns in variant-file order;
// `name` points at the platform's copy of the name and outlives every transaction.
struct BusInitiator : tlm::tlm_extension<BusInitiator> {
    std::uint16_t id = 0;
    std::string_view name = "unknown";
    World world = World::normal;
    Privilege privilege = Privilege::privileged;

    BusInitiator() = default;
    BusInitiator(std::uint16_t id, std::string_view name, World world, Privilege privilege)
        : id(id), name(name), world(world), privilege(privilege) {}

    tlm::tlm_extension_base* clone() const override { return new BusInitiator(*this); }
    void copy_from(const tlm::tlm_extension_base& other) override {
        *this = static_cast<const BusInitiator&>(other);
    }
};

inline const BusInitiator* initiator_of(const tlm::tlm_generic_payload& tx) {
    BusInitiator* ext = nullptr;
    tx.get_extension(ext);
    return ext;
}

inline std::string_view initiator_name(const tlm::tlm_generic_payload& tx) {
    auto* ext = initiator_of(tx);
    return ext ? ext->name : std::string_view("unknown");
}

}  // namespace svp

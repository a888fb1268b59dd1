// The interconnect: decodes each transaction's address against a map that comes from the
// variant file (rule 4), forwards it to the target with the address made region-relative,
// charges the hop latency, and passes DMI and debug transport through with the same
// translation. Overlapping regions are refused when the map is built. An access check (the
// firewall, models/bus/firewall.h) decides every access before it reaches its target.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "models/base/bus_extension.h"
#include "models/base/clock.h"
#include "models/base/device_context.h"

namespace svp {

struct BusRegion {
    std::string name;
    std::uint64_t base = 0;
    std::uint64_t size = 0;
    unsigned target = 0;                   // index into the router's initiator socket
    std::uint64_t target_offset = 0;       // added after subtracting base (aliases of one memory)
    std::vector<std::uint16_t> visible_to;  // initiator ids; empty = every initiator
    bool dmi_allowed = true;
    int guard = -1;                        // the access rule guarding it (a firewall slot); -1: none
    unsigned read_wait_states = 0;         // cycles of the initiator's clock added per access
    unsigned write_wait_states = 0;
    std::uint64_t end() const { return base + size; }  // one past the last byte
};

// Approximate contention on a shared bus (a non-split, AHB-like interconnect): each transaction
// holds the bus for its whole duration, its transfer included ((arbitration + beats) bus
// cycles, charged to the initiator). Time is cut into windows of `window_cycles` bus cycles,
// each with the capacity of its length; a transaction that arrives (at its initiator's local
// time) in a window that is already full waits for the first window with room. Windows rather
// than one "busy until" mark because loosely-timed initiators run a quantum ahead of each
// other: a mark would serialise whole quanta, a window shares bandwidth the way the bus would.
// window_cycles = 1 is the strict model. Accesses through DMI pointers bypass the bus.
struct BusContention {
    std::uint64_t clock_hz = 0;     // the bus clock; 0 disables the model
    unsigned width_bytes = 4;       // bytes moved per bus cycle
    unsigned arbitration_cycles = 1;
    unsigned window_cycles = 32;
};

struct BusStats {
    std::uint64_t transactions = 0;  // through b_transport (not DMI)
    std::uint64_t stalled = 0;       // those that found the bus busy
    sc_core::sc_time stall_time;     // total time spent waiting for it
};

class Router : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket<Router> from_initiators;
    tlm_utils::multi_passthrough_initiator_socket<Router> to_targets;

    Router(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time hop_latency);

    // Binds `target` to a new port; returns the port index to use in map().
    unsigned attach(tlm::tlm_target_socket<>& target);
    // Adds a region. Throws std::invalid_argument naming both regions on an overlap among
    // regions visible to a common initiator.
    void map(BusRegion region);

    // Decides whether an initiator may perform this access in this region (the firewall
    // installs this). For `transport`, returning false means the check completed the access
    // itself and set its response status (an error, or read-as-zero/write-ignored); the
    // target never sees it. For `dmi` and `debug`, false refuses quietly: no pointer, 0 bytes.
    enum class Path : std::uint8_t { transport, dmi, debug };
    using AccessCheck = std::function<bool(const BusRegion&, tlm::tlm_generic_payload&, Path)>;
    void set_access_check(AccessCheck check) { access_check_ = std::move(check); }
    // Withdraws every DMI pointer any initiator holds into [start, end] (bus addresses); the
    // firewall calls it when a rule changes, so no cached pointer outlives its permission.
    void invalidate_dmi(std::uint64_t start, std::uint64_t end);

    // Timing from the variant: the clock of each initiator (by id), at which a region's wait
    // states are charged, and the contention model.
    void set_initiator_clocks(std::vector<ClockDomain> clocks) { initiator_clocks_ = std::move(clocks); }
    void set_contention(BusContention c);
    const BusStats& stats() const { return stats_; }

    // Sees every transaction after it completed (the bus trace): the region (nullptr: nothing
    // decoded), the payload (its response status set), when it started at the initiator's
    // local time, and how long it took.
    using Observer = std::function<void(const BusRegion*, const tlm::tlm_generic_payload&, sc_core::sc_time start,
                                        sc_core::sc_time duration)>;
    void add_observer(Observer o) { observers_.push_back(std::move(o)); }

    const std::vector<BusRegion>& regions() const { return regions_; }
    // The region an initiator sees at `address`, or nullptr.
    const BusRegion* decode(std::uint64_t address, std::uint16_t initiator) const;

private:
    void b_transport(int port, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    bool get_direct_mem_ptr(int port, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
    unsigned transport_dbg(int port, tlm::tlm_generic_payload& tx);
    void invalidate_direct_mem_ptr(int target, sc_dt::uint64 start, sc_dt::uint64 end);
    const BusRegion* route(tlm::tlm_generic_payload& tx) const;
    void forward(const BusRegion& region, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    sc_core::sc_time wait_states(const BusRegion& region, const BusInitiator* who, bool write) const;
    void notify_observers(const BusRegion* region, const tlm::tlm_generic_payload& tx, sc_core::sc_time start,
                          sc_core::sc_time delay_in, sc_core::sc_time delay_out);

    DeviceContext& device_;
    sc_core::sc_time hop_latency_;
    std::vector<BusRegion> regions_;  // sorted by base
    unsigned next_port_ = 0;
    AccessCheck access_check_;
    std::vector<ClockDomain> initiator_clocks_;
    BusContention contention_;
    ClockDomain bus_clock_;
    std::uint64_t window_ps_ = 0;
    std::map<std::uint64_t, std::uint64_t> window_busy_ps_;  // window index -> bus time taken in it
    BusStats stats_;
    std::vector<Observer> observers_;
};

}  // namespace svp

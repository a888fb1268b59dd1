#include "models/bus/router.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "common/util/log.h"
#include "models/base/bus_extension.h"

namespace svp {

Router::Router(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time hop_latency)
    : sc_module(name), from_initiators("from_initiators"), to_targets("to_targets"),
      device_(device), hop_latency_(hop_latency) {
    from_initiators.register_b_transport(this, &Router::b_transport);
    from_initiators.register_get_direct_mem_ptr(this, &Router::get_direct_mem_ptr);
    from_initiators.register_transport_dbg(this, &Router::transport_dbg);
    to_targets.register_invalidate_direct_mem_ptr(this, &Router::invalidate_direct_mem_ptr);
}

unsigned Router::attach(tlm::tlm_target_socket<>& target) {
    to_targets.bind(target);
    return next_port_++;
}

static bool share_an_initiator(const BusRegion& a, const BusRegion& b) {
    if (a.visible_to.empty() || b.visible_to.empty()) return true;
    for (auto x : a.visible_to)
        if (std::find(b.visible_to.begin(), b.visible_to.end(), x) != b.visible_to.end()) return true;
    return false;
}

void Router::map(BusRegion region) {
    if (region.size == 0) throw std::invalid_argument(fmt::format("region {} has size 0", region.name));
    for (const auto& r : regions_) {
        if (region.base < r.end() && r.base < region.end() && share_an_initiator(region, r))
            throw std::invalid_argument(fmt::format(
                "region {} [0x{:08x}, 0x{:08x}) overlaps region {} [0x{:08x}, 0x{:08x})", region.name,
                region.base, region.end(), r.name, r.base, r.end()));
    }
    auto at = std::upper_bound(regions_.begin(), regions_.end(), region.base,
                               [](std::uint64_t base, const BusRegion& r) { return base < r.base; });
    regions_.insert(at, std::move(region));
}

const BusRegion* Router::decode(std::uint64_t address, std::uint16_t initiator) const {
    auto it = std::upper_bound(regions_.begin(), regions_.end(), address,
                               [](std::uint64_t a, const BusRegion& r) { return a < r.base; });
    // Regions visible to different initiators may share addresses: scan back over candidates.
    while (it != regions_.begin()) {
        --it;
        if (address >= it->end()) {
            if (it->visible_to.empty()) break;  // a global region ends before address: keep looking
            continue;
        }
        if (it->visible_to.empty() ||
            std::find(it->visible_to.begin(), it->visible_to.end(), initiator) != it->visible_to.end())
            return &*it;
    }
    return nullptr;
}

const BusRegion* Router::route(tlm::tlm_generic_payload& tx) const {
    const auto* who = initiator_of(tx);
    const BusRegion* region = decode(tx.get_address(), who ? who->id : 0xFFFF);
    if (!region || tx.get_address() + tx.get_data_length() > region->end()) return nullptr;
    return region;
}

void Router::set_contention(BusContention c) {
    contention_ = c;
    if (!c.clock_hz) return;
    bus_clock_.set_hz(c.clock_hz);
    window_ps_ = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(
                                                bus_clock_.cycles(std::max(1u, c.window_cycles)).value() /
                                                sc_core::sc_time(1, sc_core::SC_PS).value()));
}

sc_core::sc_time Router::wait_states(const BusRegion& region, const BusInitiator* who, bool write) const {
    const unsigned ws = write ? region.write_wait_states : region.read_wait_states;
    if (!ws) return sc_core::SC_ZERO_TIME;
    if (!who || who->id >= initiator_clocks_.size() || !initiator_clocks_[who->id].hz()) return sc_core::SC_ZERO_TIME;
    return initiator_clocks_[who->id].cycles(ws);
}

void Router::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    const auto delay_in = delay;
    const auto start = sc_core::sc_time_stamp() + delay;
    delay += hop_latency_;
    const auto address = tx.get_address();
    const BusRegion* region = route(tx);
    if (!region) {
        log::get("guest")->warn("guest error: {} {} at unmapped address 0x{:08x} by {}", name(),
                                tx.is_read() ? "read" : "write", address, initiator_name(tx));
        device_.emit(ev::bus_decode_error,
                     {{"initiator", std::string(initiator_name(tx))}, {"address", fmt::format("0x{:08x}", address)}});
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        notify_observers(nullptr, tx, start, delay_in, delay);
        return;
    }
    if (access_check_ && !access_check_(*region, tx, Path::transport)) {
        notify_observers(region, tx, start, delay_in, delay);
        return;
    }
    forward(*region, tx, delay);
    notify_observers(region, tx, start, delay_in, delay);
}

void Router::forward(const BusRegion& region, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    ++stats_.transactions;
    static const auto one_ps = sc_core::sc_time(1, sc_core::SC_PS).value();
    std::uint64_t window = 0;
    if (window_ps_) {
        // Find the first window, from our arrival on, that still has room.
        const std::uint64_t arrival_ps = (sc_core::sc_time_stamp() + delay).value() / one_ps;
        window = arrival_ps / window_ps_;
        // Windows wholly in the past of every initiator can go (no initiator's local time is
        // before the kernel's).
        const std::uint64_t now_window = sc_core::sc_time_stamp().value() / one_ps / window_ps_;
        window_busy_ps_.erase(window_busy_ps_.begin(), window_busy_ps_.lower_bound(now_window));
        while (window_busy_ps_[window] >= window_ps_) ++window;
        const std::uint64_t start_ps = std::max(arrival_ps, window * window_ps_ + window_busy_ps_[window]);
        if (window != arrival_ps / window_ps_) {
            const auto stall = sc_core::sc_time(static_cast<double>(start_ps - arrival_ps), sc_core::SC_PS);
            ++stats_.stalled;
            stats_.stall_time += stall;
            delay += stall;
        }
    }
    const auto granted = delay;
    delay += wait_states(region, initiator_of(tx), tx.is_write());
    const auto address = tx.get_address();
    tx.set_address(address - region.base + region.target_offset);
    to_targets[region.target]->b_transport(tx, delay);
    tx.set_address(address);
    if (window_ps_) {
        const std::uint64_t beats = (tx.get_data_length() + contention_.width_bytes - 1) / contention_.width_bytes;
        delay += bus_clock_.cycles(contention_.arbitration_cycles + beats);  // the transfer itself
        // The bus was ours from the grant until now: book that time, spilling into later windows.
        std::uint64_t held = (delay - granted).value() / one_ps;
        while (held > 0) {
            auto& busy = window_busy_ps_[window];
            const std::uint64_t room = busy < window_ps_ ? window_ps_ - busy : 0;
            const std::uint64_t take = std::min(room, held);
            busy += take;
            held -= take;
            ++window;
        }
    }
}

void Router::notify_observers(const BusRegion* region, const tlm::tlm_generic_payload& tx, sc_core::sc_time start,
                              sc_core::sc_time delay_in, sc_core::sc_time delay_out) {
    for (auto& o : observers_) o(region, tx, start, delay_out - delay_in);
}

bool Router::get_direct_mem_ptr(int, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
    const auto address = tx.get_address();
    const BusRegion* region = route(tx);
    if (!region || !region->dmi_allowed) return false;
    if (access_check_ && !access_check_(*region, tx, Path::dmi)) return false;
    tx.set_address(address - region->base + region->target_offset);
    bool ok = to_targets[region->target]->get_direct_mem_ptr(tx, dmi);
    tx.set_address(address);
    if (!ok) return false;
    // Back to the initiator's view, clamped to this region (an alias may be smaller).
    const std::uint64_t shift = region->base - region->target_offset;
    const std::uint64_t start = std::max<std::uint64_t>(dmi.get_start_address() + shift, region->base);
    const std::uint64_t end = std::min<std::uint64_t>(dmi.get_end_address() + shift, region->end() - 1);
    dmi.set_dmi_ptr(dmi.get_dmi_ptr() + (start - (dmi.get_start_address() + shift)));
    dmi.set_start_address(start);
    dmi.set_end_address(end);
    // The requester's own wait states: a DMI pointer serves one initiator (its BusMaster's cache).
    const auto read_ws = wait_states(*region, initiator_of(tx), false);
    const auto write_ws = wait_states(*region, initiator_of(tx), true);
    dmi.set_read_latency(dmi.get_read_latency() + hop_latency_ + read_ws);
    dmi.set_write_latency(dmi.get_write_latency() + hop_latency_ + write_ws);
    return true;
}

unsigned Router::transport_dbg(int, tlm::tlm_generic_payload& tx) {
    const auto address = tx.get_address();
    const BusRegion* region = route(tx);
    if (!region) return 0;
    if (access_check_ && !access_check_(*region, tx, Path::debug)) return 0;
    tx.set_address(address - region->base + region->target_offset);
    unsigned n = to_targets[region->target]->transport_dbg(tx);
    tx.set_address(address);
    return n;
}

void Router::invalidate_dmi(std::uint64_t start, std::uint64_t end) {
    for (unsigned i = 0; i < from_initiators.size(); ++i) from_initiators[i]->invalidate_direct_mem_ptr(start, end);
}

void Router::invalidate_direct_mem_ptr(int target, sc_dt::uint64 start, sc_dt::uint64 end) {
    for (const auto& r : regions_) {
        if (r.target != static_cast<unsigned>(target)) continue;
        const std::uint64_t lo = std::max<std::uint64_t>(start, r.target_offset);
        const std::uint64_t hi = std::min<std::uint64_t>(end, r.target_offset + r.size - 1);
        if (lo > hi) continue;
        for (unsigned i = 0; i < from_initiators.size(); ++i)
            from_initiators[i]->invalidate_direct_mem_ptr(lo - r.target_offset + r.base,
                                                          hi - r.target_offset + r.base);
    }
}

}  // namespace svp

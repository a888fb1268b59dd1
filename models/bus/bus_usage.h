// Per-initiator bus counters for metrics: transactions, bytes and the time they took (arrival
// at the router to completion, waits for a busy bus included), counted by a router observer.
// Accesses through DMI pointers bypass the router and are not counted here; their time shows
// in the initiator's own busy time instead.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "models/bus/router.h"

namespace svp {

struct InitiatorBusUsage {
    std::uint64_t transactions = 0;
    std::uint64_t bytes = 0;
    sc_core::sc_time busy;
};

class BusUsage {
public:
    void attach(Router& router) {
        router.add_observer([this](const BusRegion*, const tlm::tlm_generic_payload& tx, sc_core::sc_time,
                                   sc_core::sc_time duration) {
            auto& u = by_initiator_[std::string(initiator_name(tx))];
            ++u.transactions;
            u.bytes += tx.get_data_length();
            u.busy += duration;
        });
    }
    const std::map<std::string, InitiatorBusUsage>& by_initiator() const { return by_initiator_; }

private:
    std::map<std::string, InitiatorBusUsage> by_initiator_;
};

}  // namespace svp

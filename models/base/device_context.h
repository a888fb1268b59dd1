// What every model of one simulated device shares: its name, the event log it writes to, its
// seeded random generator and its text logger prefix. Passed by reference to each model.
#pragma once

#include <string>

#include "common/crypto/deterministic_random.h"
#include "models/base/event_log.h"

namespace svp {

struct DeviceContext {
    DeviceContext(std::string id, EventLog& events, std::uint64_t seed)
        : id(std::move(id)), events(events), rng(seed, this->id + "/model") {}

    void emit(const EventType& type, Fields fields = Fields::object()) {
        events.emit(id, type, std::move(fields));
    }

    std::string id;
    EventLog& events;
    crypto::DeterministicRandom rng;  // the device's one seeded generator (rule 2)
};

}  // namespace svp

// The cloud stub's side of the one observation channel (rule 3): typed events as JSON lines
// with dev "cloud", stamped with the service clock's event time (simulated ns under a clock
// file). Each line is flushed as written, so a runner reading the file sees it at once, and
// the file is opened for append, so a restarted stub continues the same log.
// Events carry identities, outcomes and sizes, never bytes OpenSSL randomises.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "cloud-stub/service_clock.h"
#include "common/events/event.h"

namespace svp::cloud {

class CloudEventLog {
public:
    CloudEventLog(const ServiceClock& clock, const std::optional<std::filesystem::path>& file);
    void emit(const EventType& type, Fields fields);

private:
    const ServiceClock& clock_;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
};

}  // namespace svp::cloud

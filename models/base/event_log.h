// The simulation's event log: events stamped with SystemC time, kept in memory for
// expectations and summaries, written as JSON lines to a file, and echoed to the text log.
#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <vector>

#include "common/events/event.h"

namespace svp {

class EventLog {
public:
    EventLog() = default;
    // Also writes each event as a JSON line to `path` (flushed as events arrive).
    explicit EventLog(const std::filesystem::path& path);

    // Records an event at the current simulated time.
    void emit(std::string_view dev, const EventType& type, Fields fields = Fields::object());
    // Records an event at an explicit time (merging another process's events).
    void record(Event event);

    const std::vector<Event>& events() const { return events_; }
    std::size_t count(const EventType& type) const;
    const Event* first(const EventType& type) const;

    using Listener = std::function<void(const Event&)>;
    void on_event(Listener listener) { listeners_.push_back(std::move(listener)); }

private:
    std::vector<Event> events_;
    std::vector<Listener> listeners_;
    std::optional<std::ofstream> file_;
};

// Simulated time in nanoseconds.
std::uint64_t sim_now_ns();
// Makes every text-log line carry the simulated time (call once per simulation process).
void use_simulated_time_in_logs();

}  // namespace svp

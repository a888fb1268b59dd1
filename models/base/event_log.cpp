#include "models/base/event_log.h"

#include <systemc>

#include "common/util/log.h"

namespace svp {

EventLog::EventLog(const std::filesystem::path& path) : file_(std::in_place, path, std::ios::trunc) {
    if (!*file_) throw std::runtime_error(path.string() + ": cannot open event log for writing");
}

void EventLog::emit(std::string_view dev, const EventType& type, Fields fields) {
    Event e;
    e.t_ns = sim_now_ns();
    e.dev = dev;
    e.src = type.src;
    e.ev = type.name;
    e.fields = std::move(fields);
    record(std::move(e));
}

void EventLog::record(Event event) {
    static auto logger = log::get("events");
    if (file_) *file_ << event.to_json_line() << '\n' << std::flush;
    if (logger->should_log(spdlog::level::info))
        logger->info("{} {} {} {}", event.dev, event.src, event.ev, event.fields.dump());
    events_.push_back(event);
    // Listeners may emit further events (which grows events_), so they get their own copy.
    auto listeners = listeners_;
    for (auto& l : listeners) l(event);
}

std::size_t EventLog::count(const EventType& type) const {
    std::size_t n = 0;
    for (auto& e : events_) n += e.is(type);
    return n;
}

const Event* EventLog::first(const EventType& type) const {
    for (auto& e : events_)
        if (e.is(type)) return &e;
    return nullptr;
}

std::uint64_t sim_now_ns() {
    return static_cast<std::uint64_t>(sc_core::sc_time_stamp().value() /
                                      (sc_core::sc_time(1, sc_core::SC_NS).value()));
}

void use_simulated_time_in_logs() { log::set_time_source(&sim_now_ns); }

}  // namespace svp

#include "common/events/event.h"

#include "common/util/input_error.h"

namespace svp {

namespace {
#define SVP_EVENT(id, src, name, doc) ev::id,
constexpr EventType kAll[] = {
#include "common/events/event_types.def"
};
#undef SVP_EVENT
}  // namespace

std::span<const EventType> all_event_types() { return kAll; }

std::string Event::field(std::string_view key) const {
    auto it = fields.find(key);
    if (it == fields.end()) return {};
    return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string Event::to_json_line() const {
    Fields line = Fields::object();
    line["t_ns"] = t_ns;
    line["dev"] = dev;
    line["src"] = src;
    line["ev"] = ev;
    for (auto& [k, v] : fields.items()) line[k] = v;
    return line.dump();
}

Event Event::from_json_line(std::string_view text, std::string_view where) {
    Fields j;
    try {
        j = Fields::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw InputError(std::string(where) + ": not JSON: " + e.what());
    }
    Event e;
    try {
        e.t_ns = j.at("t_ns").get<std::uint64_t>();
        e.dev = j.at("dev").get<std::string>();
        e.src = j.at("src").get<std::string>();
        e.ev = j.at("ev").get<std::string>();
    } catch (const nlohmann::json::exception& ex) {
        throw InputError(std::string(where) + ": not an event (need t_ns, dev, src, ev): " + ex.what());
    }
    for (auto& [k, v] : j.items())
        if (k != "t_ns" && k != "dev" && k != "src" && k != "ev") e.fields[k] = v;
    return e;
}

}  // namespace svp

// The one observation channel (rule 3 of the design): typed events, timestamped in simulated
// time, written as JSON lines:
//   {"t_ns":1200,"dev":"dev0","src":"sec.boot","ev":"image.rejected","reason":"signature",...}
// Every event type is declared once, with a one-line description, in event_types.def, so a
// typo cannot invent a new kind and `spherevp events` can list them all.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace svp {

struct EventType {
    std::string_view src;   // the emitting layer and block: "sec.boot", "os.init", "cloud.attest"
    std::string_view name;  // what happened: "image.rejected"
    std::string_view doc;   // one line for `spherevp events` and docs/events.md
};

namespace ev {
#define SVP_EVENT(id, src, name, doc) inline constexpr EventType id{src, name, doc};
#include "common/events/event_types.def"
#undef SVP_EVENT
}  // namespace ev

std::span<const EventType> all_event_types();

using Fields = nlohmann::ordered_json;

struct Event {
    std::uint64_t t_ns = 0;
    std::string dev;
    std::string src;
    std::string ev;
    Fields fields = Fields::object();

    bool is(const EventType& type) const { return src == type.src && ev == type.name; }
    // A field as a string ("" when absent), for summaries and expectations.
    std::string field(std::string_view key) const;

    // One JSON object, keys in the order t_ns, dev, src, ev, then the fields as emitted.
    std::string to_json_line() const;
    // Parses a line written by to_json_line; throws InputError naming `where` otherwise.
    static Event from_json_line(std::string_view line, std::string_view where);
};

}  // namespace svp

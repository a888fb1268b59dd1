#include "cloud-stub/telemetry_api.h"

#include <fmt/format.h>

#include "cloud-stub/json_body.h"

namespace svp::cloud {

ApiResponse TelemetryApi::upload(const ApiRequest& request, RequestScope& scope) {
    const auto now = ctx_.clock.now_unix_ns();
    const auto device_id = gate_.authenticate_device(request, scope, now / 1'000'000'000);
    gate_.charge(device_id);
    gate_.check_not_revoked(ctx_.store.find_device(device_id));

    auto body = parse_json_object(request.body);
    auto it = body.find("records");
    if (it == body.end() || !it->is_array()) throw ApiError(400, reason::malformed, "'records' must be an array");
    if (it->size() > kMaxTelemetryRecords)
        throw ApiError(400, reason::malformed, fmt::format("at most {} records per upload", kMaxTelemetryRecords));
    std::vector<TelemetryRecord> records;
    records.reserve(it->size());
    for (const auto& r : *it) {
        if (!r.is_object()) throw ApiError(400, reason::malformed, "each record must be an object");
        TelemetryRecord rec{device_id, required_int(r, "seq", 0, INT64_MAX),
                            required_string(r, "kind", kMaxTelemetryKindLength), required_finite_number(r, "value"), now};
        for (unsigned char c : rec.kind)
            if (c < 0x20 || c > 0x7E) throw ApiError(400, reason::malformed, "'kind' must be printable ASCII");
        records.push_back(std::move(rec));
    }
    const auto added = ctx_.store.add_telemetry(records);
    ctx_.events.emit(ev::cloud_telemetry_received,
                     {{"device", device_id}, {"records", records.size()}, {"new", added}});
    return {200, {{"accepted", records.size()}, {"duplicates", records.size() - added}}};
}

}  // namespace svp::cloud

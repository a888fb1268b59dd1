#include "cloud-stub/report_api.h"

#include <fmt/format.h>

#include "cloud-stub/admin_params.h"
#include "cloud-stub/json_body.h"

namespace svp::cloud {
namespace {

std::string printable_field(const nlohmann::json& report, const char* key, std::size_t max) {
    auto text = required_string(report, key, max);
    for (unsigned char c : text)
        if (c < 0x20 || c > 0x7E) malformed(fmt::format("'{}' must be printable ASCII", key));
    return text;
}

}  // namespace

ApiResponse ReportApi::upload(const ApiRequest& request, RequestScope& scope) {
    const auto now = ctx_.clock.now_unix_ns();
    const auto device_id = gate_.authenticate_device(request, scope, now / 1'000'000'000);
    gate_.charge(device_id);
    gate_.check_not_revoked(ctx_.store.find_device(device_id));

    auto body = parse_json_object(request.body);
    auto it = body.find("reports");
    if (it == body.end() || !it->is_array()) malformed("'reports' must be an array");
    if (it->size() > kMaxReportsPerUpload) malformed(fmt::format("at most {} reports per upload", kMaxReportsPerUpload));
    std::vector<ReportRecord> reports;
    reports.reserve(it->size());
    for (const auto& r : *it) {
        if (!r.is_object()) malformed("each report must be an object");
        ReportRecord rec;
        rec.device_id = device_id;
        rec.seq = required_int(r, "seq", 0, INT64_MAX);
        rec.app = printable_field(r, "app", kMaxReportAppLength);
        rec.kind = printable_field(r, "kind", kMaxReportKindLength);
        rec.status = required_int(r, "status", INT32_MIN, INT32_MAX);
        rec.time_ms = required_int(r, "time_ms", INT64_MIN, INT64_MAX);
        if (auto d = r.find("detail"); d != r.end()) {
            if (!d->is_string()) malformed("'detail' must be a string");
            rec.detail = d->get<std::string>();
            if (rec.detail.size() > kMaxReportDetailLength)
                malformed(fmt::format("'detail' must be at most {} bytes", kMaxReportDetailLength));
        }
        rec.received_ns = now;
        reports.push_back(std::move(rec));
    }
    AuditRecord audit{0, now, device_id, scope.action, device_id, "ok", "", fmt::format("{} reports", reports.size())};
    const auto added = ctx_.store.add_reports(reports, audit);
    ctx_.events.emit(ev::cloud_reports_received, {{"device", device_id},
                                                  {"reports", reports.size()},
                                                  {"new", added.added},
                                                  {"duplicates", added.duplicates},
                                                  {"conflicts", added.conflicts}});
    return {200, {{"accepted", reports.size()},
                  {"new", added.added},
                  {"duplicates", added.duplicates},
                  {"conflicts", added.conflicts}}};
}

}  // namespace svp::cloud

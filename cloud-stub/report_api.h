// POST /v1/reports: failure reports from an attested device (reference §4, error reporting;
// common/protocol/updates.h FailureReport), over mutual TLS.
//
//   {"reports": [{"seq", "app", "kind", "status", "time_ms", "detail"?}...]}   at most 1,000
//   -> 200 {"accepted": n, "new": a, "duplicates": d, "conflicts": c}
//
// Each (device, seq) is stored once: a resend is acknowledged again and stored nothing
// ("duplicates"); a resend whose content differs keeps the first ("conflicts", also in the
// audit row: a device that reuses numbers, or two devices with one identity). The reports
// and the audit row are one transaction, committed before the answer. A quarantined device
// may still report (what it sees is evidence); a revoked one may not.
#pragma once

#include "cloud-stub/api_types.h"
#include "cloud-stub/device_gate.h"
#include "cloud-stub/service_context.h"

namespace svp::cloud {

inline constexpr std::size_t kMaxReportsPerUpload = 1000;  // reference §4: at most 1,000 events per report
inline constexpr std::size_t kMaxReportAppLength = 64;
inline constexpr std::size_t kMaxReportKindLength = 32;
inline constexpr std::size_t kMaxReportDetailLength = 4096;

class ReportApi {
public:
    explicit ReportApi(ServiceContext& context) : ctx_(context), gate_(context) {}

    ApiResponse upload(const ApiRequest& request, RequestScope& scope);

private:
    ServiceContext& ctx_;
    DeviceGate gate_;
};

}  // namespace svp::cloud

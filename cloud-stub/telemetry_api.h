// POST /v1/telemetry: records from an attested device (reference §4, error reporting and
// telemetry). The device proves who it is with the certificate attestation gave it, over
// mutual TLS: the certificate must chain to the tenant CA, be in date at the service clock
// (checked at the handshake and again for each request, as a connection may outlive the
// certificate), name the key it carries, and belong to a device that is not revoked.
#pragma once

#include "cloud-stub/api_types.h"
#include "cloud-stub/device_gate.h"
#include "cloud-stub/service_context.h"

namespace svp::cloud {

inline constexpr std::size_t kMaxTelemetryRecords = 1000;  // reference §4: at most 1,000 events per report
inline constexpr std::size_t kMaxTelemetryKindLength = 64;

class TelemetryApi {
public:
    explicit TelemetryApi(ServiceContext& context) : ctx_(context), gate_(context) {}

    // A quarantined device's telemetry is still taken; a revoked device's is not.
    ApiResponse upload(const ApiRequest& request, RequestScope& scope);

private:
    ServiceContext& ctx_;
    DeviceGate gate_;
};

}  // namespace svp::cloud

// What every device endpoint asks before it does any work, as named checks (rule 8):
//
//   authenticate_device      mutual TLS: a certificate from the tenant CA, in date at the
//                            service clock, whose CN is the device id of its key
//                            ("client-certificate-required", "certificate-expired",
//                            "certificate-invalid", "identity-mismatch")
//   charge                   the device's request budget ("rate-limited", 429 + Retry-After)
//   check_not_revoked        "revoked": refused everywhere
//   check_not_quarantined    "quarantined": no certificates, no updates; reports and telemetry
//                            are still taken, so a held device keeps telling what it sees
//
// The budget: a token bucket per device on the service clock (RateLimiter). Every request
// that makes the stub write or sign costs one token, and so does every refusal (each is an
// audit row); successful image downloads are free (they only read). Once a device is over
// its budget it gets 429 with Retry-After; only the first 429 of a run of them is audited and
// logged, so a device hammering the stub cannot make it fsync without bound. When it is
// served again, one event says how many requests were refused meanwhile.
#pragma once

#include <optional>
#include <string>

#include "cloud-stub/api_types.h"
#include "cloud-stub/service_context.h"

namespace svp::cloud {

class DeviceGate {
public:
    explicit DeviceGate(ServiceContext& context) : ctx_(context) {}

    // The device id of the request's client certificate, recorded in `scope` as its actor.
    std::string authenticate_device(const ApiRequest& request, RequestScope& scope, std::int64_t now_s);
    // The same check on a certificate alone (`check_expiry` false: cloud.certificate-expiry is off).
    static std::string verified_device_id(const PeerCertificate& peer, std::int64_t now_s, bool check_expiry = true);
    // "certificate-expired" (C6): past its not-after at the service clock; the device must attest again.
    static void check_certificate_in_date(const PeerCertificate& peer, std::int64_t now_s);

    // Charges one request to `key` (a device id; `unknown` picks the shared bucket of devices
    // the store has never seen). Throws ApiError 429 when over budget.
    void charge(const std::string& device_id, bool unknown = false);
    // Whether `device_id` has budget left, without charging (image downloads).
    bool has_budget(const std::string& device_id) const;

    void check_not_revoked(const std::optional<DeviceRecord>& device);
    void check_not_quarantined(const std::optional<DeviceRecord>& device);

    // Records a device as the request's actor and subject.
    static void identify(RequestScope& scope, const std::string& device_id);

private:
    ServiceContext& ctx_;
};

}  // namespace svp::cloud

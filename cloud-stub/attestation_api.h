// Daily attestation (reference §4, device authentication and attestation):
//
//   POST /v1/attestation/challenge  {"device_id"}  -> a fresh nonce, valid 5 minutes
//   POST /v1/attestation/quote      a signed Quote -> a 24-hour device certificate
//
// A quote passes four named checks, in this order, each refusing with its own reason:
//   check_nonce_fresh          "stale-nonce"          issued to this device, unexpired, first use
//   verify_quote_signature     "bad-signature"        ECDSA P-256 by the key the device id names
//   check_device_not_revoked   "revoked"
//   check_measurements_known   "unknown-measurement"  every boot stage is an uploaded image
// The nonce is spent by the first quote that names it, whatever that quote's outcome, so a
// refused quote cannot be retried with the same nonce.
// Message shapes: common/protocol/attestation.h (the contract with the device side).
#pragma once

#include "cloud-stub/api_types.h"
#include "cloud-stub/service_context.h"
#include "common/protocol/attestation.h"

namespace svp::cloud {

inline constexpr std::int64_t kNonceLifetimeNs = 5LL * 60 * 1'000'000'000;

class AttestationApi {
public:
    explicit AttestationApi(ServiceContext& context) : ctx_(context) {}

    ApiResponse challenge(const ApiRequest& request, RequestScope& scope);
    ApiResponse quote(const ApiRequest& request, RequestScope& scope);

    void check_nonce_fresh(const protocol::Quote& quote, const std::string& device_id, std::int64_t now_ns);
    void verify_quote_signature(const protocol::Quote& quote);
    void check_device_not_revoked(const std::string& device_id);
    void check_measurements_known(const protocol::Quote& quote);

private:
    ServiceContext& ctx_;
};

}  // namespace svp::cloud

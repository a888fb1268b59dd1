// Daily attestation (reference §4, device authentication and attestation):
//
//   POST /v1/attestation/challenge  {"device_id"}  -> a fresh nonce, valid 5 minutes
//   POST /v1/attestation/quote      a signed Quote -> a 24-hour device certificate
//
// A quote passes six named checks, in this order, each refusing with its own reason:
//   check_nonce_issued           "stale-nonce"          issued, to this device
//   check_nonce_fresh            "stale-nonce"          first use, unexpired (C2)
//   verify_quote_signature       "bad-signature"        ECDSA P-256 by the key the device id names
//   check_device_not_revoked     "revoked"
//   check_identity_not_cloned    "cloned-identity"      the rule below
//   check_device_not_quarantined "quarantined"
//   check_measurements_known     "unknown-measurement"  every boot stage is an uploaded image
// The nonce is spent by the first quote that names it, whatever that quote's outcome, so a
// refused quote cannot be retried with the same nonce. A quote that passes costs one fsynced
// commit (nonce spent, certificate recorded, audit row), a refused one too (nonce spent; the
// router's audit row is a second).
//
// The cloned-identity rule. One device attests one at a time: it asks for a nonce, then
// answers it. Every nonce issue and every validly signed quote takes the next value of one
// service-wide counter (its "order"), and each device remembers the order of its latest
// validly signed quote. A validly signed quote on a fresh nonce is a clone's when the
// device's previous validly signed quote came *after* this nonce was issued: then two
// challenge-to-quote exchanges of the same key overlapped, which only two holders of the key
// produce (two devices on two connections, or interleaved nonces on one). The device is
// quarantined in the same transaction, the quote refused, and `cloud.identity cloned`
// logged. A device that asks again after losing a nonce, or whose quote was refused, never
// overlaps: an unanswered nonce sets no order. The verdict depends only on the order in
// which the stub's one thread handled the requests, never on host time, so it is the same
// in every run of a seeded scenario.
// Message shapes: common/protocol/attestation.h (the contract with the device side).
#pragma once

#include "cloud-stub/api_types.h"
#include "cloud-stub/device_gate.h"
#include "cloud-stub/service_context.h"
#include "common/protocol/attestation.h"

namespace svp::cloud {

inline constexpr std::int64_t kNonceLifetimeNs = 5LL * 60 * 1'000'000'000;

class AttestationApi {
public:
    explicit AttestationApi(ServiceContext& context) : ctx_(context), gate_(context) {}

    ApiResponse challenge(const ApiRequest& request, RequestScope& scope);
    ApiResponse quote(const ApiRequest& request, RequestScope& scope);

    // The named checks, in order. A refusal after check_nonce_issued spends the nonce.
    NonceRecord check_nonce_issued(const protocol::Quote& quote, const std::string& device_id);
    void check_nonce_fresh(const NonceRecord& nonce, std::int64_t now_ns);
    bool quote_signature_valid(const protocol::Quote& quote) const;
    void verify_quote_signature(bool signature_valid);
    void check_device_not_revoked(const std::string& device_id);
    void check_identity_not_cloned(const NonceRecord& nonce, const std::string& device_id, bool signature_valid,
                                   const RequestScope& scope);
    void check_device_not_quarantined(const std::string& device_id);
    void check_measurements_known(const protocol::Quote& quote);
    // What the store enforces as it spends the nonce (the same switches as the checks above).
    AttestationRules rules() const;

private:
    ServiceContext& ctx_;
    DeviceGate gate_;
};

}  // namespace svp::cloud

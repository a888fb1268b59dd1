#include "cloud-stub/device_gate.h"

#include <openssl/x509_vfy.h>

#include <fmt/format.h>

#include "cloud-stub/cloud_defences.h"
#include "common/protocol/attestation.h"

namespace svp::cloud {

void DeviceGate::identify(RequestScope& scope, const std::string& device_id) {
    scope.actor = device_id;
    scope.subject = device_id;
    scope.event_fields["device"] = device_id;
}

void DeviceGate::check_certificate_in_date(const PeerCertificate& peer, std::int64_t now_s) {
    const auto& cert = *peer.certificate;
    if (peer.verify_error == X509_V_ERR_CERT_HAS_EXPIRED || now_s > cert.not_after())
        throw ApiError(401, "certificate-expired",
                       fmt::format("the device certificate expired at {} (service time {}); attest again", cert.not_after(), now_s));
}

std::string DeviceGate::verified_device_id(const PeerCertificate& peer, std::int64_t now_s, bool check_expiry) {
    if (!peer.presented())
        throw ApiError(401, "client-certificate-required",
                       "this endpoint needs mutual TLS with the device certificate from attestation");
    const auto& cert = *peer.certificate;
    // Trust first: an expired certificate from a stranger is a stranger's, not an expired one.
    if (peer.verify_error != X509_V_OK && peer.verify_error != X509_V_ERR_CERT_HAS_EXPIRED)
        throw ApiError(401, "certificate-invalid", X509_verify_cert_error_string(peer.verify_error));
    if (check_expiry) check_certificate_in_date(peer, now_s);
    if (now_s < cert.not_before())
        throw ApiError(401, "certificate-invalid", "the device certificate is not yet valid");
    // The tenant CA only signs CN = hex(key); anything else was not issued by attestation.
    const auto device_id = cert.subject_common_name();
    if (device_id != protocol::device_id(cert.public_key().raw()))
        throw ApiError(403, "identity-mismatch", "the certificate's common name is not the device id of its key");
    return device_id;
}

std::string DeviceGate::authenticate_device(const ApiRequest& request, RequestScope& scope, std::int64_t now_s) {
    auto device_id = verified_device_id(request.peer, now_s, ctx_.defences.on(defence::certificate_expiry));
    identify(scope, device_id);
    return device_id;
}

void DeviceGate::charge(const std::string& device_id, bool unknown) {
    auto& limiter = unknown ? ctx_.limits.unknown_devices : ctx_.limits.devices;
    const auto v = limiter.take(unknown ? std::string("unknown devices") : device_id, ctx_.clock.now_unix_ns());
    if (v.allowed) {
        if (v.refused_before > 0)
            ctx_.events.emit(ev::cloud_limit_released, {{"device", unknown ? "unknown devices" : device_id},
                                                        {"refused", v.refused_before}});
        return;
    }
    const auto retry_s = std::max<std::int64_t>(1, (v.retry_after_ns + 999'999'999) / 1'000'000'000);
    ApiError e(429, reason::rate_limited,
               fmt::format("{} over {} request budget ({:.3g} a second, {} at once); retry in {} s",
                           unknown ? "devices the service does not know yet are" : "this device is",
                           unknown ? "their shared" : "its", limiter.limit().per_second(), limiter.limit().burst,
                           retry_s),
               {{"Retry-After", std::to_string(retry_s)}});
    if (!v.first_refusal) e.already_recorded();
    throw e;
}

bool DeviceGate::has_budget(const std::string& device_id) const {
    return ctx_.limits.devices.would_allow(device_id, ctx_.clock.now_unix_ns());
}

void DeviceGate::check_not_revoked(const std::optional<DeviceRecord>& device) {
    if (!ctx_.defences.on(defence::revocation)) return;
    if (device && device->revoked())
        throw ApiError(403, reason::revoked,
                       device->revoke_reason.empty() ? "this device is revoked" : "this device is revoked: " + device->revoke_reason);
}

void DeviceGate::check_not_quarantined(const std::optional<DeviceRecord>& device) {
    if (device && device->quarantined())
        throw ApiError(403, reason::quarantined,
                       device->quarantine_reason.empty() ? "this device is quarantined"
                                                         : "this device is quarantined: " + device->quarantine_reason);
}

}  // namespace svp::cloud

#include "cloud-stub/telemetry_api.h"

#include <openssl/x509_vfy.h>

#include <fmt/format.h>

#include "cloud-stub/json_body.h"
#include "common/protocol/attestation.h"

namespace svp::cloud {

std::string TelemetryApi::authenticate_device(const PeerCertificate& peer, std::int64_t now_s) {
    if (!peer.presented())
        throw ApiError(401, "client-certificate-required",
                       "this endpoint needs mutual TLS with the device certificate from attestation");
    const auto& cert = *peer.certificate;
    // Trust first: an expired certificate from a stranger is a stranger's, not an expired one.
    if (peer.verify_error != X509_V_OK && peer.verify_error != X509_V_ERR_CERT_HAS_EXPIRED)
        throw ApiError(401, "certificate-invalid", X509_verify_cert_error_string(peer.verify_error));
    if (peer.verify_error == X509_V_ERR_CERT_HAS_EXPIRED || now_s > cert.not_after())
        throw ApiError(401, "certificate-expired",
                       fmt::format("the device certificate expired at {} (service time {}); attest again", cert.not_after(), now_s));
    if (now_s < cert.not_before())
        throw ApiError(401, "certificate-invalid", "the device certificate is not yet valid");
    // The tenant CA only signs CN = hex(key); anything else was not issued by attestation.
    const auto device_id = cert.subject_common_name();
    if (device_id != protocol::device_id(cert.public_key().raw()))
        throw ApiError(403, "identity-mismatch", "the certificate's common name is not the device id of its key");
    return device_id;
}

ApiResponse TelemetryApi::upload(const ApiRequest& request, RequestScope& scope) {
    const auto now = ctx_.clock.now_unix_ns();
    const auto device_id = authenticate_device(request.peer, now / 1'000'000'000);
    scope.actor = device_id;
    scope.subject = device_id;
    scope.event_fields["device"] = device_id;
    if (auto device = ctx_.store.find_device(device_id); device && device->revoked())
        throw ApiError(403, "revoked", "this device is revoked");

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

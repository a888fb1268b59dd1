#include "cloud-stub/attestation_api.h"

#include <fmt/format.h>

#include "cloud-stub/json_body.h"
#include "common/util/input_error.h"

namespace svp::cloud {
namespace {

[[noreturn]] void refuse(const char* reason, const std::string& detail) { throw ApiError(403, reason, detail); }

void identify(RequestScope& scope, const std::string& device_id) {
    scope.actor = device_id;
    scope.subject = device_id;
    scope.event_fields["device"] = device_id;
}

}  // namespace

ApiResponse AttestationApi::challenge(const ApiRequest& request, RequestScope& scope) {
    auto body = parse_json_object(request.body);
    auto device_id = required_string(body, "device_id", 128);
    try {
        protocol::device_key_from_id(device_id);
    } catch (const InputError& e) {
        throw ApiError(400, reason::malformed, e.what());
    }
    identify(scope, device_id);

    const auto now = ctx_.clock.now_unix_ns();
    ctx_.store.purge_nonces(now);
    const auto nonce = to_hex(ctx_.random.nonce());
    const auto expires = now + kNonceLifetimeNs;
    ctx_.store.add_nonce({nonce, device_id, now, expires, std::nullopt});
    ctx_.events.emit(ev::cloud_attest_nonce, {{"device", device_id}});
    return {200, {{"nonce", nonce}, {"expires_at", expires / 1'000'000'000}}};
}

ApiResponse AttestationApi::quote(const ApiRequest& request, RequestScope& scope) {
    auto body = parse_json_object(request.body);
    protocol::Quote quote;
    try {
        quote = protocol::Quote::from_json(body);
    } catch (const InputError& e) {
        throw ApiError(400, reason::malformed, e.what());
    }
    const auto device_id = protocol::device_id(quote.device_key);
    identify(scope, device_id);

    const auto now = ctx_.clock.now_unix_ns();
    check_nonce_fresh(quote, device_id, now);
    verify_quote_signature(quote);
    check_device_not_revoked(device_id);
    check_measurements_known(quote);

    const auto now_s = now / 1'000'000'000;
    auto serial = ctx_.random.serial();
    auto cert = ctx_.pki.issue_device_certificate(quote.device_key, serial, now_s);
    CertificateRecord record{cert.serial_hex(), device_id, cert.not_before(), cert.not_after(), now, cert.pem()};
    const bool first = ctx_.store.record_attestation(device_id, record, now);
    ctx_.audit_ok(device_id, scope.action, device_id,
                  fmt::format("certificate {} valid until {}; {} measurements", record.serial, record.not_after_s,
                              quote.measurements.size()));
    if (first) ctx_.events.emit(ev::cloud_device_registered, {{"device", device_id}});
    ctx_.events.emit(ev::cloud_attest_accepted,
                     {{"device", device_id}, {"serial", record.serial}, {"not_after", record.not_after_s}});
    return {200, {{"certificate", record.pem}, {"serial", record.serial}, {"not_after", record.not_after_s}}};
}

void AttestationApi::check_nonce_fresh(const protocol::Quote& quote, const std::string& device_id, std::int64_t now_ns) {
    const auto nonce = to_hex(quote.nonce);
    auto issued = ctx_.store.find_nonce(nonce);
    if (!issued) refuse("stale-nonce", "this nonce was never issued, or expired and was forgotten");
    if (issued->device_id != device_id) refuse("stale-nonce", "this nonce was issued to another device");
    if (issued->used_ns) refuse("stale-nonce", "this nonce was already used (replay)");
    // Spend it before judging it further: whatever follows, a nonce answers one quote only.
    if (!ctx_.store.consume_nonce(nonce, now_ns)) refuse("stale-nonce", "this nonce was already used (replay)");
    if (now_ns > issued->expires_ns)
        refuse("stale-nonce", fmt::format("this nonce expired {} ms ago", (now_ns - issued->expires_ns) / 1'000'000));
}

void AttestationApi::verify_quote_signature(const protocol::Quote& quote) {
    auto key = crypto::EcPublicKey::from_raw(ByteView(quote.device_key), "device_id");
    if (!key.verify_digest(quote.digest(), quote.signature))
        refuse("bad-signature", "the quote's signature does not verify with the key its device id names");
}

void AttestationApi::check_device_not_revoked(const std::string& device_id) {
    auto device = ctx_.store.find_device(device_id);
    if (device && device->revoked())
        refuse("revoked", device->revoke_reason.empty() ? "this device is revoked" : "this device is revoked: " + device->revoke_reason);
}

void AttestationApi::check_measurements_known(const protocol::Quote& quote) {
    if (quote.measurements.empty()) refuse("unknown-measurement", "the quote measures no boot stage");
    for (std::size_t i = 0; i < quote.measurements.size(); ++i) {
        const auto& m = quote.measurements[i];
        const auto digest = to_hex(ByteView(m.digest));
        auto image = ctx_.store.find_image(digest);
        if (!image)
            refuse("unknown-measurement",
                   fmt::format("measurements[{}] ({}) {} is not a known-good image", i, m.stage, digest));
        if (image->type != m.image_type)
            refuse("unknown-measurement", fmt::format("measurements[{}] claims image type {}, but {} is type {}", i,
                                                      m.image_type, digest, image->type));
    }
}

}  // namespace svp::cloud

#include "cloud-stub/attestation_api.h"

#include <fmt/format.h>

#include "cloud-stub/json_body.h"
#include "common/util/input_error.h"

namespace svp::cloud {
namespace {

[[noreturn]] void refuse(const char* reason, const std::string& detail) { throw ApiError(403, reason, detail); }

constexpr int kMaxDraws = 16;  // a seeded stub restarted on its database redraws values it used before

}  // namespace

ApiResponse AttestationApi::challenge(const ApiRequest& request, RequestScope& scope) {
    auto body = parse_json_object(request.body);
    auto device_id = required_string(body, "device_id", 128);
    try {
        protocol::device_key_from_id(device_id);
    } catch (const InputError& e) {
        throw ApiError(400, reason::malformed, e.what());
    }
    DeviceGate::identify(scope, device_id);
    gate_.charge(device_id, !ctx_.store.find_device(device_id));

    const auto now = ctx_.clock.now_unix_ns();
    ctx_.store.purge_nonces(now);
    const auto expires = now + kNonceLifetimeNs;
    std::string nonce;
    for (int draw = 0;; ++draw) {
        if (draw == kMaxDraws) throw std::runtime_error("the nonce generator keeps repeating itself");
        nonce = to_hex(ctx_.random.nonce());
        if (ctx_.store.add_nonce({nonce, device_id, now, expires, std::nullopt, 0, static_cast<std::int64_t>(request.connection)})) break;
    }
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
    DeviceGate::identify(scope, device_id);
    // Its own bucket even for a device not known yet: a quote needs a nonce, and the nonces
    // of unknown devices come from their shared budget.
    gate_.charge(device_id);

    const auto now = ctx_.clock.now_unix_ns();
    const bool signature_valid = quote_signature_valid(quote);
    const auto spent = check_nonce_fresh(quote, device_id, now, signature_valid);
    verify_quote_signature(signature_valid);
    check_device_not_revoked(device_id);
    check_identity_not_cloned(spent, device_id, scope);
    check_device_not_quarantined(device_id);
    check_measurements_known(quote);

    const auto now_s = now / 1'000'000'000;
    Bytes serial;
    for (int draw = 0;; ++draw) {
        if (draw == kMaxDraws) throw std::runtime_error("the serial generator keeps repeating itself");
        serial = ctx_.random.serial();
        if (!ctx_.store.certificate_exists(to_hex(serial))) break;
    }
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

NonceSpent AttestationApi::check_nonce_fresh(const protocol::Quote& quote, const std::string& device_id,
                                             std::int64_t now_ns, bool signature_valid) {
    const auto nonce = to_hex(quote.nonce);
    auto issued = ctx_.store.find_nonce(nonce);
    if (!issued) refuse("stale-nonce", "this nonce was never issued, or expired and was forgotten");
    if (issued->device_id != device_id) refuse("stale-nonce", "this nonce was issued to another device");
    if (issued->used_ns) refuse("stale-nonce", "this nonce was already used (replay)");
    // Spend it before judging it further: whatever follows, a nonce answers one quote only.
    const bool expired = now_ns > issued->expires_ns;
    auto spent = ctx_.store.spend_nonce(nonce, device_id, now_ns, signature_valid && !expired,
                                        "cloned identity: two attestations of its key overlapped");
    if (!spent.spent) refuse("stale-nonce", "this nonce was already used (replay)");
    if (expired)
        refuse("stale-nonce", fmt::format("this nonce expired {} ms ago", (now_ns - issued->expires_ns) / 1'000'000));
    return spent;
}

bool AttestationApi::quote_signature_valid(const protocol::Quote& quote) const {
    auto key = crypto::EcPublicKey::from_raw(ByteView(quote.device_key), "device_id");
    return key.verify_digest(quote.digest(), quote.signature);
}

void AttestationApi::verify_quote_signature(bool signature_valid) {
    if (!signature_valid) refuse("bad-signature", "the quote's signature does not verify with the key its device id names");
}

void AttestationApi::check_device_not_revoked(const std::string& device_id) {
    gate_.check_not_revoked(ctx_.store.find_device(device_id));
}

void AttestationApi::check_identity_not_cloned(const NonceSpent& spent, const std::string& device_id,
                                               const RequestScope& scope) {
    if (!spent.cloned) return;
    ctx_.events.emit(ev::cloud_identity_cloned, {{"device", device_id},
                                                 {"rule", "overlapping-attestations"},
                                                 {"newly_quarantined", spent.newly_quarantined}});
    refuse("cloned-identity",
           fmt::format("two attestations of this key overlapped: this nonce was issued at order {}, and another validly "
                       "signed quote of the key came after it, at order {} (this quote: order {}, connection {}); "
                       "the device is quarantined",
                       spent.issued_order, spent.prior_quote_order, spent.quote_order, scope.connection));
}

void AttestationApi::check_device_not_quarantined(const std::string& device_id) {
    gate_.check_not_quarantined(ctx_.store.find_device(device_id));
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

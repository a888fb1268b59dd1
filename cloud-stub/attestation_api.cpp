#include "cloud-stub/attestation_api.h"

#include <fmt/format.h>

#include "cloud-stub/cloud_defences.h"
#include "cloud-stub/json_body.h"
#include "common/util/input_error.h"

namespace svp::cloud {
namespace {

[[noreturn]] void refuse(const char* reason, const std::string& detail) { throw ApiError(403, reason, detail); }

constexpr int kMaxDraws = 16;  // a seeded stub restarted on its database redraws values it used before
constexpr const char* kCloneQuarantineReason = "cloned identity: two attestations of its key overlapped";

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
    const auto nonce = check_nonce_issued(quote, device_id);
    try {
        check_nonce_fresh(nonce, now);
        verify_quote_signature(signature_valid);
        check_device_not_revoked(device_id);
        check_identity_not_cloned(nonce, device_id, signature_valid, scope);
        check_device_not_quarantined(device_id);
        check_measurements_known(quote);
    } catch (const ApiError&) {
        // Refused: the nonce is spent all the same. A validly signed quote on a fresh nonce
        // still takes its order for the clone rule, and quarantines the device if it trips it.
        const bool counts = signature_valid && now <= nonce.expires_ns;
        const auto spent = ctx_.store.spend_nonce(nonce.nonce, device_id, now, counts, kCloneQuarantineReason, rules());
        if (spent.cloned)
            ctx_.events.emit(ev::cloud_identity_cloned, {{"device", device_id},
                                                         {"rule", "overlapping-attestations"},
                                                         {"newly_quarantined", spent.newly_quarantined}});
        throw;
    }

    const auto now_s = now / 1'000'000'000;
    Bytes serial;
    for (int draw = 0;; ++draw) {
        if (draw == kMaxDraws) throw std::runtime_error("the serial generator keeps repeating itself");
        serial = ctx_.random.serial();
        if (!ctx_.store.certificate_exists(to_hex(serial))) break;
    }
    auto cert = ctx_.pki.issue_device_certificate(quote.device_key, serial, now_s);
    CertificateRecord record{cert.serial_hex(), device_id, cert.not_before(), cert.not_after(), now, cert.pem()};
    // Nonce spent, attestation and certificate recorded, audit row: one fsynced commit.
    const bool first = ctx_.store.accept_attestation(
        nonce.nonce, device_id, record, now,
        {0, now, device_id, scope.action, device_id, "ok", "",
         fmt::format("certificate {} valid until {}; {} measurements", record.serial, record.not_after_s,
                     quote.measurements.size())},
        rules());
    if (first) ctx_.events.emit(ev::cloud_device_registered, {{"device", device_id}});
    ctx_.events.emit(ev::cloud_attest_accepted,
                     {{"device", device_id}, {"serial", record.serial}, {"not_after", record.not_after_s}});
    return {200, {{"certificate", record.pem}, {"serial", record.serial}, {"not_after", record.not_after_s}}};
}

AttestationRules AttestationApi::rules() const {
    return {ctx_.defences.on(defence::nonce_freshness), ctx_.defences.on(defence::clone_detection)};
}

NonceRecord AttestationApi::check_nonce_issued(const protocol::Quote& quote, const std::string& device_id) {
    auto issued = ctx_.store.find_nonce(to_hex(quote.nonce));
    if (!issued) refuse("stale-nonce", "this nonce was never issued, or expired and was forgotten");
    if (issued->device_id != device_id) refuse("stale-nonce", "this nonce was issued to another device");
    return *issued;
}

void AttestationApi::check_nonce_fresh(const NonceRecord& nonce, std::int64_t now_ns) {
    if (!ctx_.defences.on(defence::nonce_freshness)) return;
    if (nonce.used_ns) refuse("stale-nonce", "this nonce was already used (replay)");
    if (now_ns > nonce.expires_ns)
        refuse("stale-nonce", fmt::format("this nonce expired {} ms ago", (now_ns - nonce.expires_ns) / 1'000'000));
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

void AttestationApi::check_identity_not_cloned(const NonceRecord& nonce, const std::string& device_id,
                                               bool signature_valid, const RequestScope& scope) {
    if (!ctx_.defences.on(defence::clone_detection) || !signature_valid) return;
    const auto prior = ctx_.store.last_quote_order(device_id);
    if (prior <= nonce.issued_order) return;
    refuse("cloned-identity",
           fmt::format("two attestations of this key overlapped: this nonce was issued at order {} (connection {}), and "
                       "another validly signed quote of the key came after it, at order {} (this quote: connection {}); "
                       "the device is quarantined",
                       nonce.issued_order, nonce.connection, prior, scope.connection));
}

void AttestationApi::check_device_not_quarantined(const std::string& device_id) {
    gate_.check_not_quarantined(ctx_.store.find_device(device_id));
}

void AttestationApi::check_measurements_known(const protocol::Quote& quote) {
    if (!ctx_.defences.on(defence::known_good_measurements)) return;
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

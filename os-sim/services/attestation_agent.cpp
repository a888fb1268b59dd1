#include "os-sim/services/attestation_agent.h"

#include <fmt/format.h>

#include "common/crypto/x509.h"
#include "common/protocol/attestation.h"
#include "os-sim/kernel/kernel.h"
#include "os-sim/services/networkd.h"

namespace svp::os {

namespace {
Bytes binary_field(const nlohmann::json& j, const char* key, std::size_t size) {
    if (!j.contains(key) || !j[key].is_binary() || j[key].get_binary().size() != size) return {};
    return Bytes(j[key].get_binary().begin(), j[key].get_binary().end());
}
}  // namespace

int AttestationAgent::run(Process&) {
    for (;;) {
        const bool ok = attest();
        const auto wait_s = ok ? kernel_.config().attestation_period_s : kernel_.config().attestation_retry_s;
        kernel_.cpu().block_for(sc_core::sc_time(static_cast<double>(wait_s), sc_core::SC_SEC));
    }
}

bool AttestationAgent::attest() {
    while (busy_) kernel_.cpu().block_on(done_);
    busy_ = true;
    const bool ok = attest_once();
    busy_ = false;
    done_.notify(sc_core::SC_ZERO_TIME);
    return ok;
}

bool AttestationAgent::attest_if_needed(std::int64_t margin_s) {
    while (busy_) kernel_.cpu().block_on(done_);
    if (kernel_.device_certificate() && kernel_.certificate_not_after() > kernel_.now_unix_s() + margin_s) return true;
    return attest();
}

bool AttestationAgent::attest_once() {
    auto& dev = kernel_.device();
    const auto& key = kernel_.device_key();
    if (!key) {
        dev.emit(ev::os_attest_refused, {{"status", 0}, {"reason", "security subsystem has no device key"}});
        return false;
    }
    const auto device_id = protocol::device_id(*key);
    dev.emit(ev::os_attest_requested, {{"device", device_id.substr(0, 16)}});

    auto refused = [&](int status, const std::string& reason) {
        dev.emit(ev::os_attest_refused, {{"status", status}, {"reason", reason}});
        kernel_.klog("attestation failed: " + reason);
        return false;
    };
    auto challenge = kernel_.networkd().cloud_post("/v1/attestation/challenge", {{"device_id", device_id}}, false);
    if (!challenge.response) return refused(0, challenge.error);
    if (challenge.response->status != 200)
        return refused(challenge.response->status, challenge.response->json().value("error", "challenge refused"));
    const auto cj = challenge.response->json();
    if (!cj.is_object() || !cj.contains("nonce") || !cj["nonce"].is_string()) return refused(200, "malformed challenge");
    Bytes nonce;
    try {
        nonce = from_hex(cj["nonce"].get<std::string>(), "nonce");
    } catch (const sc_core::sc_unwind_exception&) {
        throw;  // the simulation is ending this thread: let it unwind
    } catch (const std::exception&) {
        return refused(200, "malformed nonce");
    }
    if (nonce.size() != protocol::kNonceSize) return refused(200, "nonce of the wrong size");

    auto reply = kernel_.security_call(nullptr, 
        secproto::process_attestation, {{"nonce", nlohmann::json::binary(std::vector<std::uint8_t>(nonce.begin(), nonce.end()))}});
    if (!reply.ok()) return refused(0, std::string("security subsystem: ") + std::string(secproto::status_name(reply.status)));
    protocol::Quote quote;
    quote.nonce = nonce;
    auto dk = binary_field(reply.body, "device_key", 64);
    auto sig = binary_field(reply.body, "signature", 64);
    if (dk.empty() || sig.empty() || !reply.body.contains("measurements")) return refused(0, "malformed quote from security subsystem");
    std::copy(dk.begin(), dk.end(), quote.device_key.begin());
    std::copy(sig.begin(), sig.end(), quote.signature.begin());
    for (const auto& m : reply.body["measurements"]) {
        protocol::Measurement x;
        x.image_type = m.value("type", 0);
        x.stage = m.value("stage", "");
        x.component = m.value("component", "");
        x.version = m.value("version", "");
        auto d = binary_field(m, "digest", 32);
        std::copy(d.begin(), d.end(), x.digest.begin());
        quote.measurements.push_back(x);
    }
    auto answer = kernel_.networkd().cloud_post("/v1/attestation/quote", quote.to_json(), false);
    if (!answer.response) return refused(0, answer.error);
    const auto aj = answer.response->json();
    if (answer.response->status != 200)
        return refused(answer.response->status, aj.is_object() ? aj.value("error", "quote refused") : "quote refused");
    if (!aj.is_object() || !aj.contains("certificate") || !aj["certificate"].is_string()) return refused(200, "no certificate in the answer");
    try {
        auto cert = crypto::Certificate::from_pem(aj["certificate"].get<std::string>());
        if (cert.public_key().raw() != *key) return refused(200, "certificate is not for this device's key");
        kernel_.set_device_certificate(aj["certificate"].get<std::string>(), cert.not_after());
        dev.emit(ev::os_attest_certificate, {{"serial", cert.serial_hex()}, {"not_after", cert.not_after()},
                                             {"lifetime_s", cert.not_after() - cert.not_before()}});
        kernel_.klog(fmt::format("attestation succeeded: certificate {} valid for {} h", cert.serial_hex(),
                                 (cert.not_after() - cert.not_before()) / 3600));
        return true;
    } catch (const sc_core::sc_unwind_exception&) {
        throw;  // the simulation is ending this thread: let it unwind
    } catch (const std::exception& e) {
        return refused(200, std::string("bad certificate: ") + e.what());
    }
}

}  // namespace svp::os

// Telemetry needs the certificate attestation gave the device, over mutual TLS, in date at
// the service clock (issue 7: expired certificate; the same port serves clients without one).
#include <catch2/catch.hpp>

#include "cloud_fixture.h"
#include "common/crypto/x509.h"

using namespace svp;
using namespace svp::test;

namespace {

nlohmann::json records(int first, int count) {
    nlohmann::json list = nlohmann::json::array();
    for (int i = first; i < first + count; ++i) list.push_back({{"seq", i}, {"kind", "temperature"}, {"value", 20.0 + i}});
    return {{"records", list}};
}

struct AttestedDevice {
    TestDevice device;
    std::string certificate;
};

AttestedDevice attested(CloudFixture& f) {
    auto chain = boot_chain();
    f.upload(chain);
    AttestedDevice d;
    auto r = f.attest(d.device, chain);
    REQUIRE(r.status == 200);
    d.certificate = r.json().at("certificate").get<std::string>();
    return d;
}

}  // namespace

TEST_CASE("telemetry without a client certificate is refused and with the device certificate it is stored") {
    CloudFixture f;
    auto d = attested(f);

    auto anonymous = f.cloud->anonymous();
    auto refused = anonymous.post_json("/v1/telemetry", records(1, 3));
    CHECK(refused.status == 401);
    CHECK(refused.error() == "client-certificate-required");

    auto client = f.cloud->device(d.certificate, d.device.key().pem());
    auto r = client.post_json("/v1/telemetry", records(1, 3));
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.json().at("accepted") == 3);
    CHECK(client.tls_version() == "TLSv1.3");

    // A resend of records already stored is acknowledged but not stored twice.
    CHECK(client.post_json("/v1/telemetry", records(2, 3)).json().at("duplicates") == 2);
    auto stored = f.cloud->admin().get("/admin/v1/telemetry?device=" + d.device.id()).json().at("records");
    REQUIRE(stored.size() == 4);
    CHECK(stored[3]["seq"] == 4);
    CHECK(stored[0]["value"] == 21.0);
    CHECK(f.count(ev::cloud_telemetry_received) == 2);
    CHECK(f.count(ev::cloud_telemetry_refused, "client-certificate-required") == 1);
}

TEST_CASE("a device certificate 25 hours old is refused as expired until the device attests again") {
    CloudFixture f;
    auto d = attested(f);
    f.advance(25 * kHour);

    auto client = f.cloud->device(d.certificate, d.device.key().pem());
    auto r = client.post_json("/v1/telemetry", records(1, 1));
    INFO(r.body);
    CHECK(r.status == 401);
    CHECK(r.error() == "certificate-expired");
    CHECK(f.count(ev::cloud_telemetry_refused, "certificate-expired") == 1);

    // Daily attestation is the way back; it is served even to a client presenting the old certificate.
    auto renew = f.cloud->device(d.certificate, d.device.key().pem());
    auto nonce = f.challenge(renew, d.device);
    auto fresh = renew.post_json("/v1/attestation/quote", d.device.quote(nonce, boot_chain()).to_json());
    REQUIRE(fresh.status == 200);
    auto renewed = f.cloud->device(fresh.json().at("certificate").get<std::string>(), d.device.key().pem());
    CHECK(renewed.post_json("/v1/telemetry", records(1, 1)).status == 200);
}

TEST_CASE("a connection kept open across the certificate's end is refused from then on") {
    CloudFixture f;
    auto d = attested(f);
    auto client = f.cloud->device(d.certificate, d.device.key().pem());
    REQUIRE(client.post_json("/v1/telemetry", records(1, 1)).status == 200);
    f.advance(24 * kHour + kSecond);
    CHECK(client.post_json("/v1/telemetry", records(2, 1)).error() == "certificate-expired");
}

TEST_CASE("a certificate the tenant CA did not issue is refused, even for the device's own key") {
    CloudFixture f;
    auto d = attested(f);
    crypto::CertificateRequest req;
    req.common_name = d.device.id();
    req.serial = {0x01};
    req.not_before = kEpochNs / 1'000'000'000;
    req.not_after = req.not_before + 86400;
    auto self_signed = crypto::issue_certificate(req, d.device.key().public_key(), d.device.key(), nullptr);

    auto client = f.cloud->device(self_signed.pem(), d.device.key().pem());
    auto r = client.post_json("/v1/telemetry", records(1, 1));
    CHECK(r.status == 401);
    CHECK(r.error() == "certificate-invalid");

    // Once it is also out of date, it is still refused for what it is: not ours.
    f.advance(25 * kHour);
    auto later = f.cloud->device(self_signed.pem(), d.device.key().pem());
    CHECK(later.post_json("/v1/telemetry", records(1, 1)).error() == "certificate-invalid");
}

TEST_CASE("a revoked device's certificate no longer carries telemetry") {
    CloudFixture f;
    auto d = attested(f);
    REQUIRE(f.cloud->admin().post_json("/admin/v1/devices/" + d.device.id() + "/revoke", nlohmann::json::object()).ok());
    auto r = f.cloud->device(d.certificate, d.device.key().pem()).post_json("/v1/telemetry", records(1, 1));
    CHECK(r.status == 403);
    CHECK(r.error() == "revoked");
}

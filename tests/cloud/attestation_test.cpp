// Daily attestation against the real service process (issue 7: happy path, stale nonce,
// unknown measurements, bad signature, revoked device). Each refusal must name its reason in
// the response, the event log and the audit log.
#include <catch2/catch.hpp>

#include "cloud_fixture.h"
#include "common/crypto/x509.h"

using namespace svp;
using namespace svp::test;

namespace {

void require_refused(const cloud::CloudResponse& r, unsigned status, const std::string& reason) {
    INFO(r.body);
    CHECK(r.status == status);
    CHECK(r.error() == reason);
    CHECK(r.json().at("detail").get<std::string>().size() > 0);
}

bool audited(CloudFixture& f, const std::string& action, const std::string& reason) {
    auto rows = f.cloud->admin().get("/admin/v1/audit?limit=1000").json().at("audit");
    for (const auto& row : rows)
        if (row["action"] == action && row["outcome"] == "refused" && row["reason"] == reason) return true;
    return false;
}

}  // namespace

TEST_CASE("a device with known-good boot images attests and gets a 24-hour certificate from the tenant CA") {
    CloudFixture f;
    auto chain = boot_chain();
    f.upload(chain);
    f.advance(10 * kSecond);
    TestDevice device;

    auto r = f.attest(device, chain);
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto body = r.json();
    auto cert = crypto::Certificate::from_pem(body.at("certificate").get<std::string>());

    // Checked independently of the service: OpenSSL's own chain verification against the
    // tenant CA file, at the service time, and the certificate's fields.
    auto tenant = crypto::Certificate::from_pem(f.cloud->tenant_ca_pem());
    const std::int64_t now_s = (kEpochNs + 10 * static_cast<std::int64_t>(kSecond)) / 1'000'000'000;
    CHECK_FALSE(crypto::verify_certificate(cert, tenant, now_s).has_value());
    CHECK(crypto::verify_certificate(cert, tenant, now_s + 86400 + 1) == "certificate has expired");
    CHECK(cert.subject_common_name() == device.id());
    CHECK(cert.public_key().raw() == device.key().public_key().raw());
    CHECK(cert.not_before() == now_s);
    CHECK(cert.not_after() - cert.not_before() == 24 * 3600);
    CHECK(body.at("not_after").get<std::int64_t>() == cert.not_after());
    CHECK(body.at("serial").get<std::string>() == cert.serial_hex());
    CHECK_FALSE(cert.is_ca());
    // Not signed by the service's TLS root: device identity and service identity are separate.
    auto service_ca = crypto::Certificate::from_pem(f.cloud->service_ca_pem());
    CHECK(crypto::verify_certificate(cert, service_ca, now_s).has_value());

    // The device is recorded, once, and the events say so.
    auto devices = f.cloud->admin().get("/admin/v1/devices").json().at("devices");
    REQUIRE(devices.size() == 1);
    CHECK(devices[0]["device_id"] == device.id());
    CHECK(devices[0]["latest_certificate"]["serial"] == cert.serial_hex());
    REQUIRE(f.attest(device, chain).status == 200);  // the next day's attestation
    CHECK(f.count(ev::cloud_device_registered) == 1);
    CHECK(f.count(ev::cloud_attest_accepted) == 2);
    CHECK(f.count(ev::cloud_attest_nonce) == 2);
}

TEST_CASE("a nonce answers one quote: a replayed quote is refused as stale-nonce") {
    CloudFixture f;
    auto chain = boot_chain();
    f.upload(chain);
    TestDevice device;
    auto client = f.cloud->anonymous();
    auto nonce = f.challenge(client, device);
    auto quote = device.quote(nonce, chain).to_json();

    REQUIRE(client.post_json("/v1/attestation/quote", quote).status == 200);
    require_refused(client.post_json("/v1/attestation/quote", quote), 403, "stale-nonce");
    CHECK(f.count(ev::cloud_attest_refused, "stale-nonce") == 1);
    CHECK(audited(f, "attest.quote", "stale-nonce"));
}

TEST_CASE("a nonce older than five minutes of service time is refused as stale-nonce") {
    CloudFixture f;
    auto chain = boot_chain();
    f.upload(chain);
    TestDevice device;
    auto client = f.cloud->anonymous();
    auto nonce = f.challenge(client, device);
    f.advance(5 * 60 * kSecond + 1);  // the simulated device took just over five minutes
    require_refused(client.post_json("/v1/attestation/quote", device.quote(nonce, chain).to_json()), 403, "stale-nonce");
}

TEST_CASE("a nonce issued to one device does not attest another") {
    CloudFixture f;
    auto chain = boot_chain();
    f.upload(chain);
    TestDevice victim, thief;
    auto client = f.cloud->anonymous();
    auto nonce = f.challenge(client, victim);
    require_refused(client.post_json("/v1/attestation/quote", thief.quote(nonce, chain).to_json()), 403, "stale-nonce");
    // ...and the victim's nonce is still good.
    CHECK(client.post_json("/v1/attestation/quote", victim.quote(nonce, chain).to_json()).status == 200);
}

TEST_CASE("a boot stage that is not a known-good image is refused as unknown-measurement") {
    CloudFixture f;
    auto chain = boot_chain();
    f.upload(chain);
    auto tampered = chain;
    tampered[1] = make_image(image::ImageType::os_kernel, "tampered kernel");  // signed, but never uploaded
    TestDevice device;
    require_refused(f.attest(device, tampered), 403, "unknown-measurement");

    // A known digest claimed for the wrong stage type is as unknown as a foreign one.
    auto mislabelled = chain;
    mislabelled[0].type = image::ImageType::os_kernel;
    require_refused(f.attest(device, mislabelled), 403, "unknown-measurement");
    // And a quote that measures nothing proves nothing.
    require_refused(f.attest(device, {}), 403, "unknown-measurement");
    CHECK(f.count(ev::cloud_attest_refused, "unknown-measurement") == 3);
    CHECK(f.cloud->admin().get("/admin/v1/devices").json().at("devices").empty());
}

TEST_CASE("a quote not signed by the key its device id names is refused as bad-signature") {
    CloudFixture f;
    auto chain = boot_chain();
    f.upload(chain);
    TestDevice device, impostor;
    auto client = f.cloud->anonymous();

    SECTION("one flipped bit in the signature") {
        auto quote = device.quote(f.challenge(client, device), chain);
        quote.signature[5] ^= 0x01;
        require_refused(client.post_json("/v1/attestation/quote", quote.to_json()), 403, "bad-signature");
    }
    SECTION("signed by another key") {
        auto quote = device.quote(f.challenge(client, device), chain);
        quote.signature = impostor.key().sign_digest(quote.digest());
        require_refused(client.post_json("/v1/attestation/quote", quote.to_json()), 403, "bad-signature");
    }
    SECTION("a measurement changed after signing") {
        auto quote = device.quote(f.challenge(client, device), chain);
        quote.measurements[2].digest = make_image(image::ImageType::application, "other").measurement;
        require_refused(client.post_json("/v1/attestation/quote", quote.to_json()), 403, "bad-signature");
    }
    CHECK(f.count(ev::cloud_attest_refused, "bad-signature") == 1);
}

TEST_CASE("a revoked device is refused attestation, whatever it runs") {
    CloudFixture f;
    auto chain = boot_chain();
    f.upload(chain);
    TestDevice device;
    REQUIRE(f.attest(device, chain).status == 200);

    auto admin = f.cloud->admin();
    auto r = admin.post_json("/admin/v1/devices/" + device.id() + "/revoke", {{"reason", "identity key extracted"}});
    REQUIRE(r.status == 200);
    CHECK(r.json().at("revoked") == true);
    CHECK(f.count(ev::cloud_admin_device_revoked) == 1);

    require_refused(f.attest(device, chain), 403, "revoked");
    CHECK(f.count(ev::cloud_attest_refused, "revoked") == 1);
    CHECK(audited(f, "attest.quote", "revoked"));
    auto devices = admin.get("/admin/v1/devices").json().at("devices");
    CHECK(devices[0]["revoked"] == true);
    CHECK(devices[0]["revoke_reason"] == "identity key extracted");
}

TEST_CASE("a device revoked before it was ever seen cannot attest either") {
    CloudFixture f;
    auto chain = boot_chain();
    f.upload(chain);
    TestDevice device;
    REQUIRE(f.cloud->admin().post_json("/admin/v1/devices/" + device.id() + "/revoke", nlohmann::json::object()).ok());
    require_refused(f.attest(device, chain), 403, "revoked");
}

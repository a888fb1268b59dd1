// The cloud's defences can be switched off one by one (`cloud serve --defence-off NAME`), for
// regression-power runs: with each off, the attack it stops gets through; the stub says so in
// its event log; names it does not own are refused.
#include <catch2/catch.hpp>

#include "update_fixture.h"

using namespace svp;
using namespace svp::test;

namespace {

nlohmann::json one_record(int seq) { return {{"records", {{{"seq", seq}, {"kind", "t"}, {"value", 1}}}}}; }

void logged_off(const UpdateFixture& f, const std::string& name) {
    std::size_t n = 0;
    for (const auto& e : f.events())
        if (e.is(ev::sim_defence_off) && e.field("defence") == name && e.field("layer") == "cloud") ++n;
    CHECK(n == 1);
}

}  // namespace

TEST_CASE("cloud serve refuses a defence it does not know, or another layer's, and names its own") {
    TempDir dir;
    for (const std::string name : {"cloud.no-such-check", "boot.signature"}) {
        auto r = run_spherevp({"cloud", "serve", "--db", (dir / "cloud.db").string(), "--defence-off", name});
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(name) != std::string::npos);
        CHECK(r.err.find("cloud.nonce-freshness, cloud.known-good-measurements") != std::string::npos);
    }
}

TEST_CASE("cloud.nonce-freshness off: a replayed quote passes the nonce check, and only the clone rule still stops it") {
    UpdateFixture f({"--defence-off", "cloud.nonce-freshness"});
    logged_off(f, "cloud.nonce-freshness");
    TestDevice device;
    auto client = f.cloud->anonymous();
    auto quote = device.quote(f.challenge(client, device), f.chain).to_json();
    REQUIRE(client.post_json("/v1/attestation/quote", quote).status == 200);
    // The replay answers a nonce issued before the key's latest quote: to the clone rule, two
    // exchanges of one key overlapped (defence in depth, not a stale nonce).
    CHECK(client.post_json("/v1/attestation/quote", quote).error() == "cloned-identity");
    CHECK(f.count(ev::cloud_attest_refused, "stale-nonce") == 0);
}

TEST_CASE("cloud.nonce-freshness and cloud.clone-detection off: a replayed quote earns a second certificate") {
    UpdateFixture f({"--defence-off", "cloud.nonce-freshness", "--defence-off", "cloud.clone-detection"});
    logged_off(f, "cloud.nonce-freshness");
    logged_off(f, "cloud.clone-detection");
    TestDevice device;
    auto client = f.cloud->anonymous();
    auto quote = device.quote(f.challenge(client, device), f.chain).to_json();
    REQUIRE(client.post_json("/v1/attestation/quote", quote).status == 200);
    CHECK(client.post_json("/v1/attestation/quote", quote).status == 200);
    CHECK(f.count(ev::cloud_attest_accepted) == 2);
}

TEST_CASE("cloud.known-good-measurements off: an unknown boot stage earns a certificate") {
    UpdateFixture f({"--defence-off", "cloud.known-good-measurements"});
    auto tampered = f.chain;
    tampered[1] = make_image(image::ImageType::os_kernel, "never uploaded");
    CHECK(f.attest(TestDevice(), tampered).status == 200);
}

TEST_CASE("cloud.clone-detection off: overlapping attestations of one key pass and nothing is quarantined") {
    UpdateFixture f({"--defence-off", "cloud.clone-detection"});
    TestDevice original;
    TestDevice clone(original.key());
    f.attested(original);
    auto a = f.cloud->anonymous();
    auto b = f.cloud->anonymous();
    auto na = f.challenge(a, original);
    auto nb = f.challenge(b, clone);
    CHECK(a.post_json("/v1/attestation/quote", original.quote(na, f.chain).to_json()).status == 200);
    CHECK(b.post_json("/v1/attestation/quote", clone.quote(nb, f.chain).to_json()).status == 200);
    CHECK(f.count(ev::cloud_identity_cloned) == 0);
    const auto devices = f.admin("GET", "/admin/v1/devices").at("devices");
    REQUIRE(devices.size() == 1);
    CHECK(devices[0].at("quarantined") == false);
}

TEST_CASE("cloud.revocation off: a revoked device is still served") {
    UpdateFixture f({"--defence-off", "cloud.revocation"});
    auto d = f.attested();
    f.admin("POST", "/admin/v1/devices/" + d.device.id() + "/revoke", {{"reason", "key extracted"}});
    CHECK(f.client(d).post_json("/v1/telemetry", one_record(1)).status == 200);
    CHECK(f.attest(d.device, f.chain).status == 200);
}

TEST_CASE("cloud.certificate-expiry off: a device offline past its certificate's 24 hours is still served") {
    UpdateFixture f({"--defence-off", "cloud.certificate-expiry"});
    auto d = f.attested();
    f.advance(25 * kHour);
    auto r = f.client(d).post_json("/v1/telemetry", one_record(1));
    INFO(r.body);
    CHECK(r.status == 200);
}

TEST_CASE("every defence on: the same requests are refused, with their reasons") {
    UpdateFixture f;
    CHECK(f.count(ev::sim_defence_off) == 0);
    auto d = f.attested();
    f.advance(25 * kHour);
    CHECK(f.client(d).post_json("/v1/telemetry", one_record(1)).error() == "certificate-expired");
    auto fresh = f.attested(d.device);
    f.admin("POST", "/admin/v1/devices/" + d.device.id() + "/revoke");
    CHECK(f.client(fresh).post_json("/v1/telemetry", one_record(1)).error() == "revoked");
}

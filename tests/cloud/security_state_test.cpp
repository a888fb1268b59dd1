// Security state (issue 7 item 3; SCENARIOS.md C4, C5): revocation refused everywhere and
// audited, quarantine, the cloned-identity rule, and the request budget that keeps refusals
// from making the stub fsync without bound.
#include <catch2/catch.hpp>

#include "cloud-stub/cloud_service.h"
#include "update_fixture.h"

using namespace svp;
using namespace svp::test;

namespace {

std::size_t audit_rows(UpdateFixture& f, const std::string& action, const std::string& reason) {
    std::size_t n = 0;
    const auto audit = f.admin("GET", "/admin/v1/audit?limit=100000").at("audit");
    for (const auto& row : audit)
        if (row["action"] == action && row["reason"] == reason) ++n;
    return n;
}

nlohmann::json device_row(UpdateFixture& f, const std::string& id) {
    const auto devices = f.admin("GET", "/admin/v1/devices").at("devices");
    for (const auto& d : devices)
        if (d["device_id"] == id) return d;
    FAIL("no device " << id);
    return {};
}

nlohmann::json one_record(int seq) { return {{"records", {{{"seq", seq}, {"kind", "t"}, {"value", 1}}}}}; }
nlohmann::json one_report(std::uint64_t seq) {
    return {{"reports", {protocol::FailureReport{seq, "app", "crash", 11, 0, ""}.to_json()}}};
}

}  // namespace

TEST_CASE("a revoked device is refused by every device endpoint, and each refusal is audited") {
    UpdateFixture f;
    auto d = f.attested();
    auto client = f.client(d);
    f.create_product();
    f.claim(d, "Production");
    REQUIRE(f.check(client).status == 200);
    f.admin("POST", "/admin/v1/devices/" + d.device.id() + "/revoke", {{"reason", "key extracted"}});

    const auto some_image = "/v1/images/" + std::string(64, 'a');
    const std::vector<cloud::CloudResponse> responses = {
        f.check(client), client.get(some_image), client.post_json("/v1/reports", one_report(1)),
        client.post_json("/v1/telemetry", one_record(1)), f.attest(d.device, f.chain)};
    for (const auto& r : responses) {
        INFO(r.body);
        CHECK(r.status == 403);
        CHECK(r.error() == "revoked");
    }
    CHECK(audit_rows(f, "update.check", "revoked") == 1);
    CHECK(audit_rows(f, "image.download", "revoked") == 1);
    CHECK(audit_rows(f, "reports.upload", "revoked") == 1);
    CHECK(audit_rows(f, "telemetry.upload", "revoked") == 1);
    CHECK(audit_rows(f, "attest.quote", "revoked") == 1);
    CHECK(f.count(ev::cloud_update_refused, "revoked") == 2);
}

TEST_CASE("a quarantined device gets no certificate, manifest or image, still reports, and is served again once released") {
    UpdateFixture f;
    auto d = f.attested();
    auto client = f.client(d);
    auto q = f.admin("POST", "/admin/v1/devices/" + d.device.id() + "/quarantine", {{"reason", "odd telemetry"}});
    CHECK(q.at("already_quarantined") == false);
    CHECK(f.admin("POST", "/admin/v1/devices/" + d.device.id() + "/quarantine").at("already_quarantined") == true);
    CHECK(device_row(f, d.device.id())["quarantine_reason"] == "odd telemetry");

    CHECK(f.check(client).error() == "quarantined");
    CHECK(client.get("/v1/images/" + std::string(64, 'a')).error() == "quarantined");
    CHECK(f.attest(d.device, f.chain).error() == "quarantined");
    CHECK(client.post_json("/v1/reports", one_report(1)).status == 200);
    CHECK(client.post_json("/v1/telemetry", one_record(1)).status == 200);
    CHECK(f.count(ev::cloud_admin_device_quarantined) == 1);

    auto released = f.admin("POST", "/admin/v1/devices/" + d.device.id() + "/release");
    CHECK(released.at("was_quarantined") == true);
    CHECK(f.check(client).status == 200);
    CHECK(f.attest(d.device, f.chain).status == 200);
    CHECK(device_row(f, d.device.id())["quarantined"] == false);
    CHECK(f.count(ev::cloud_admin_device_released) == 1);
}

TEST_CASE("cloned identity: two attestations of one key that overlap quarantine the device") {
    UpdateFixture f;
    TestDevice original;
    TestDevice clone(original.key());  // the same identity key, extracted and copied
    auto first = f.attested(original);

    SECTION("interleaved: the clone asks for a nonce, the original attests, then the clone answers") {
        auto clone_link = f.cloud->anonymous();     // the clone's connection
        auto original_link = f.cloud->anonymous();  // the original's
        auto clone_nonce = f.challenge(clone_link, clone);
        auto original_nonce = f.challenge(original_link, original);
        REQUIRE(original_link.post_json("/v1/attestation/quote", original.quote(original_nonce, f.chain).to_json()).status == 200);
        auto r = clone_link.post_json("/v1/attestation/quote", clone.quote(clone_nonce, f.chain).to_json());
        INFO(r.body);
        CHECK(r.status == 403);
        CHECK(r.error() == "cloned-identity");
    }
    SECTION("overlapping in order: both ask, then both answer") {
        auto a = f.cloud->anonymous();
        auto b = f.cloud->anonymous();
        auto na = f.challenge(a, original);
        auto nb = f.challenge(b, clone);
        REQUIRE(a.post_json("/v1/attestation/quote", original.quote(na, f.chain).to_json()).status == 200);
        CHECK(b.post_json("/v1/attestation/quote", clone.quote(nb, f.chain).to_json()).error() == "cloned-identity");
    }
    SECTION("on one connection, with interleaved nonces") {
        auto link = f.cloud->anonymous();
        auto n1 = f.challenge(link, original);
        auto n2 = f.challenge(link, clone);
        REQUIRE(link.post_json("/v1/attestation/quote", clone.quote(n2, f.chain).to_json()).status == 200);
        CHECK(link.post_json("/v1/attestation/quote", original.quote(n1, f.chain).to_json()).error() == "cloned-identity");
    }

    // Flagged, quarantined, logged, audited; from now on neither holder of the key attests.
    CHECK(f.count(ev::cloud_identity_cloned) == 1);
    auto row = device_row(f, original.id());
    CHECK(row["quarantined"] == true);
    CHECK_THAT(row["quarantine_reason"].get<std::string>(), Catch::Contains("cloned identity"));
    CHECK(audit_rows(f, "attest.quote", "cloned-identity") == 1);
    CHECK(f.attest(original, f.chain).error() == "quarantined");
    auto first_client = f.client(first);
    CHECK(f.check(first_client).error() == "quarantined");
}

TEST_CASE("a device that retries attestation is not taken for a clone") {
    UpdateFixture f;
    TestDevice device;
    auto link = f.cloud->anonymous();

    // A nonce lost on the way (never answered), then a fresh one.
    f.challenge(link, device);
    auto n2 = f.challenge(link, device);
    REQUIRE(link.post_json("/v1/attestation/quote", device.quote(n2, f.chain).to_json()).status == 200);
    // A quote refused (bad signature) does not count as an attestation of the key.
    auto n3 = f.challenge(link, device);
    auto n4 = f.challenge(link, device);
    auto forged = device.quote(n4, f.chain);
    forged.signature[0] ^= 1;
    CHECK(link.post_json("/v1/attestation/quote", forged.to_json()).error() == "bad-signature");
    REQUIRE(link.post_json("/v1/attestation/quote", device.quote(n3, f.chain).to_json()).status == 200);
    // Daily attestation, a day apart, many times.
    for (int day = 0; day < 3; ++day) {
        f.advance(24 * kHour);
        REQUIRE(f.attest(device, f.chain).status == 200);
    }
    // A resent answer is a stale nonce, not a second attestation.
    auto n5 = f.challenge(link, device);
    auto answer = device.quote(n5, f.chain).to_json();
    REQUIRE(link.post_json("/v1/attestation/quote", answer).status == 200);
    CHECK(link.post_json("/v1/attestation/quote", answer).error() == "stale-nonce");
    CHECK(f.count(ev::cloud_identity_cloned) == 0);
    CHECK(f.attest(device, f.chain).status == 200);
}

TEST_CASE("a device over its request budget gets 429 with Retry-After, and only the first refusal is recorded") {
    UpdateFixture f({"--rate-limit", "1/10"});  // ten at once, then one a second
    auto d = f.attested();  // its challenge counts on the shared budget of devices not known yet, its quote on its own
    auto client = f.client(d);
    for (int i = 0; i < 9; ++i) REQUIRE(client.post_json("/v1/telemetry", one_record(i)).status == 200);

    for (int i = 0; i < 50; ++i) {
        auto r = client.post_json("/v1/telemetry", one_record(100 + i));
        REQUIRE(r.status == 429);
        CHECK(r.error() == "rate-limited");
        CHECK(r.header("retry-after") == "1");
    }
    // Fifty refusals, one audit row and one event: a flood costs the store nothing more.
    CHECK(audit_rows(f, "telemetry.upload", "rate-limited") == 1);
    CHECK(f.count(ev::cloud_telemetry_refused, "rate-limited") == 1);
    // Other endpoints share the device's budget.
    CHECK(f.check(client).error() == "rate-limited");

    // A second of service time later it is served again, and the event counts what was refused.
    f.advance(kSecond);
    CHECK(client.post_json("/v1/telemetry", one_record(200)).status == 200);
    CHECK(client.post_json("/v1/telemetry", one_record(201)).status == 429);
    REQUIRE(f.count(ev::cloud_limit_released) == 1);
    for (const auto& e : f.events())
        if (e.is(ev::cloud_limit_released)) CHECK(e.fields["refused"] == 51);

    // Another device has its own budget.
    auto other = f.attested();
    CHECK(f.client(other).post_json("/v1/telemetry", one_record(1)).status == 200);
}

TEST_CASE("image downloads that succeed cost no budget, refused ones do") {
    UpdateFixture f({"--rate-limit", "1/6"});
    auto app = component_image(image::ImageType::application, kAppComponent, "1.0.0", "app");
    f.upload({app});
    f.create_product();
    f.deploy("Field Test", {measurement_of(app)});
    auto d = f.attested();
    f.claim(d, "Field Test");
    auto client = f.client(d);
    REQUIRE(f.check(client).status == 200);  // with the quote, 2 of 6 used
    for (int i = 0; i < 30; ++i) REQUIRE(client.get("/v1/images/" + sha256_of(app)).status == 200);
    for (int i = 0; i < 4; ++i) CHECK(client.get("/v1/images/" + std::string(64, 'f')).status == 404);
    CHECK(client.get("/v1/images/" + std::string(64, 'f')).status == 429);
    CHECK(client.get("/v1/images/" + sha256_of(app)).status == 429);  // over budget: nothing at all
}

TEST_CASE("refusals beyond the audit budget are summarised in one row instead of one fsync each") {
    TempDir dir;
    cloud::ClockFileWriter clock(dir / "clock");
    clock.set_epoch(kEpochNs);
    cloud::ServeConfig config;
    config.db = dir / "cloud.db";
    config.clock_file = dir / "clock";
    cloud::CloudService service(config);
    auto audit_count = [&] { return service.store().audit_log(1'000'000).size(); };
    const auto before = audit_count();
    // Anonymous junk: no device to charge, so only the service-wide audit budget bounds it.
    for (int i = 0; i < 1500; ++i)
        REQUIRE(service.router().handle({"POST", "/v1/attestation/quote", "", "{junk", {}}).status == 400);
    CHECK(audit_count() - before == 1000);
    clock.set_sim_ns(kSecond);
    REQUIRE(service.router().handle({"POST", "/v1/attestation/quote", "", "{junk", {}}).status == 400);
    auto rows = service.store().audit_log(2);
    CHECK(rows[0].action == "audit.summary");
    CHECK_THAT(rows[0].detail, Catch::StartsWith("500 refusals"));
    CHECK(rows[1].action == "attest.quote");
}

TEST_CASE("challenges for devices the service has never seen share one budget") {
    UpdateFixture f;
    auto known = f.attested();
    auto link = f.cloud->anonymous();
    int refused = 0;
    for (int i = 0; i < 1100; ++i) {
        auto r = link.post_json("/v1/attestation/challenge", {{"device_id", TestDevice().id()}});
        if (r.status == 429) {
            ++refused;
            CHECK_THAT(r.body, Catch::Contains("devices the service does not know yet"));
        }
    }
    CHECK(refused == 101);  // the known device's first challenge came from the shared budget too
    // A known device keeps its own budget meanwhile.
    CHECK(f.attest(known.device, f.chain).status == 200);
    CHECK(f.client(known).post_json("/v1/telemetry", one_record(1)).status == 200);
}

// Rule 2 of the design, on the cloud's side: with --seed and a clock file, two runs that get
// the same requests give the same nonces, the same certificate serials and a byte-identical
// event log, however fast the host is.
#include <catch2/catch.hpp>

#include "cloud_fixture.h"

using namespace svp;
using namespace svp::test;

namespace {

struct RunRecord {
    std::vector<std::string> nonces;
    std::vector<std::string> serials;
    std::vector<std::string> certificates;
    std::string events;
    std::string admin_token;
    std::string manifest;
    std::string product_id;
};

// A short scenario: images uploaded, then three devices attest at distinct simulated times
// and one sends telemetry. Device keys come from fixed seeds, as a scenario's devices do.
RunRecord run_scenario(std::uint64_t seed) {
    CloudFixture f({"--seed", std::to_string(seed)});
    RunRecord out;
    // One set of image files for every run: an image signature is an ECDSA draw of this process.
    static const auto chain = boot_chain("determinism");
    f.upload(chain);
    for (int i = 0; i < 3; ++i) {
        f.advance(kSecond);
        TestDevice device(crypto::EcPrivateKey::from_seed(Bytes(32, static_cast<std::uint8_t>(i + 1))));
        auto client = f.cloud->anonymous();
        auto nonce = f.challenge(client, device);
        out.nonces.push_back(nonce);
        auto r = client.post_json("/v1/attestation/quote", device.quote(nonce, chain).to_json());
        REQUIRE(r.status == 200);
        out.serials.push_back(r.json().at("serial").get<std::string>());
        out.certificates.push_back(r.json().at("certificate").get<std::string>());
        if (i == 0) {
            auto tele = f.cloud->device(r.json().at("certificate").get<std::string>(), device.key().pem());
            REQUIRE(tele.post_json("/v1/telemetry", {{"records", {{{"seq", 1}, {"kind", "boot"}, {"value", 1}}}}}).ok());
            // A product with a generated id, an OS release, a deployment, an update check and a report.
            auto admin = f.cloud->admin();
            auto product = admin.post_json("/admin/v1/products", {{"name", "Other"}});
            REQUIRE(product.status == 201);
            out.product_id = product.json().at("product_id").get<std::string>();
            REQUIRE(admin.post_json("/admin/v1/products", {{"name", "P"}, {"product_id", "0e9e3c1a-7b5d-4f3a-8d2c-ba9876543210"}}).ok());
            REQUIRE(admin.post_json("/admin/v1/os-feeds/Retail/releases", {{"images", {to_hex(ByteView(chain[1].measurement))}}}).ok());
            REQUIRE(admin.post_json("/admin/v1/products/P/groups/Production/deployments",
                                    {{"images", {to_hex(ByteView(chain[2].measurement))}}})
                        .ok());
            REQUIRE(admin.post_json("/admin/v1/devices/" + device.id() + "/claim", {{"product", "P"}, {"group", "Production"}}).ok());
            auto check = tele.post_json("/v1/updates/check", {{"installed", nlohmann::json::array()}});
            REQUIRE(check.status == 200);
            out.manifest = check.json().at("manifest").dump();
            REQUIRE(tele.post_json("/v1/reports", {{"reports", {{{"seq", 1}, {"app", "a"}, {"kind", "crash"}, {"status", 11}, {"time_ms", 5}}}}})
                        .ok());
        }
    }
    f.advance(kSecond);
    REQUIRE(f.cloud->stop() == 0);
    out.events = read_text_file(f.events_path());
    out.admin_token = read_text_file(f.dir / "cloud.db.admin-token");
    return out;
}

}  // namespace

TEST_CASE("the same seed and clock give the same nonces, serials and event log") {
    auto a = run_scenario(42);
    auto b = run_scenario(42);
    CHECK(a.nonces == b.nonces);
    CHECK(a.serials == b.serials);
    CHECK(a.events == b.events);
    CHECK(a.admin_token == b.admin_token);
    // Byte-identical signed manifests (the update key and its ECDSA draws follow the seed),
    // and the same generated product id.
    CHECK(a.manifest == b.manifest);
    CHECK(a.product_id == b.product_id);
    CHECK(a.manifest.find("\"signature\"") != std::string::npos);
    // Byte-identical certificates, ECDSA signature included: every OpenSSL draw in the stub
    // (TLS handshakes, signature nonces) followed the seed, not just the stub's own streams.
    CHECK(a.certificates == b.certificates);
    CHECK(a.nonces.size() == 3);
    CHECK(a.nonces[0] != a.nonces[1]);

    // Events are stamped with simulated time, not host time.
    CHECK(a.events.find("\"t_ns\":3000000000,\"dev\":\"cloud\",\"src\":\"cloud.attest\",\"ev\":\"accepted\"") !=
          std::string::npos);

    auto c = run_scenario(43);
    CHECK(c.nonces != a.nonces);
    CHECK(c.serials != a.serials);
    CHECK(c.certificates != a.certificates);
    CHECK(c.manifest != a.manifest);
}

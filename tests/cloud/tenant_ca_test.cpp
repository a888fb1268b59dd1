// Tenant CA rotation (issue 7): after a rotation attestation issues certificates from the new
// CA; certificates from the previous one stay accepted for the overlap, then that CA retires;
// the trust-anchor bundle (served and on disk) follows; the state survives a restart.
#include <catch2/catch.hpp>

#include "cloud-stub/secret_file.h"
#include "cloud-stub/store.h"
#include "common/crypto/x509.h"
#include "update_fixture.h"

using namespace svp;
using namespace svp::test;

namespace {

nlohmann::json one_record(int seq) { return {{"records", {{{"seq", seq}, {"kind", "t"}, {"value", 1}}}}}; }

crypto::Certificate cert_of(const AttestedDevice& d) { return crypto::Certificate::from_pem(d.certificate, "device"); }

std::size_t pem_count(const std::string& bundle) {
    std::size_t n = 0;
    for (auto at = bundle.find("BEGIN CERTIFICATE"); at != std::string::npos; at = bundle.find("BEGIN CERTIFICATE", at + 1)) ++n;
    return n;
}

std::map<std::string, std::string> states(UpdateFixture& f) {
    std::map<std::string, std::string> out;
    const auto cas = f.admin("GET", "/admin/v1/tenant-ca").at("tenant_cas");
    for (const auto& ca : cas) out[ca.at("serial")] = ca.at("state");
    return out;
}

}  // namespace

TEST_CASE("a rotated tenant CA issues new certificates, the previous one is trusted for the overlap, then retired") {
    UpdateFixture f;
    auto before = f.attested();
    const auto old_ca = crypto::Certificate::from_pem(f.cloud->tenant_ca_pem(), "tenant CA");
    CHECK(!crypto::verify_certificate(cert_of(before), old_ca, f.now_s()));

    auto rotated = f.admin("POST", "/admin/v1/tenant-ca/rotate", {{"overlap_s", 3600}});
    const auto new_serial = rotated.at("active").at("serial").get<std::string>();
    CHECK(new_serial != old_ca.serial_hex());
    CHECK(rotated.at("previous").at("serial") == old_ca.serial_hex());
    CHECK(rotated.at("previous").at("retire_at") == f.now_s() + 3600);
    const auto new_ca = crypto::Certificate::from_pem(rotated.at("active").at("pem").get<std::string>(), "new tenant CA");
    // Relying parties: both CAs now, on disk and served.
    CHECK(pem_count(read_text_file(f.cloud->ready().at("tenant_ca_bundle").get<std::string>())) == 2);
    auto served = f.cloud->anonymous().get("/v1/tenant-ca").json();
    CHECK(served.at("active") == new_serial);
    CHECK(served.at("anchors").size() == 2);
    CHECK(crypto::Certificate::from_pem(read_text_file(f.cloud->ready().at("tenant_ca").get<std::string>()), "tenant-ca.pem")
              .serial_hex() == new_serial);
    CHECK(f.count(ev::cloud_pki_tenant_ca_rotated) == 1);

    // A device attesting now gets a certificate of the new CA, which the old one does not sign.
    auto after = f.attested();
    CHECK(!crypto::verify_certificate(cert_of(after), new_ca, f.now_s()));
    CHECK(crypto::verify_certificate(cert_of(after), old_ca, f.now_s()).has_value());
    CHECK(f.client(after).post_json("/v1/telemetry", one_record(1)).status == 200);
    // The device attested before the rotation is still served in the overlap...
    CHECK(f.client(before).post_json("/v1/telemetry", one_record(1)).status == 200);

    // ...but not after it, although its own certificate is still in date (24 hours).
    f.advance(2 * kHour);
    auto refused = f.client(before).post_json("/v1/telemetry", one_record(2));
    INFO(refused.body);
    CHECK(refused.status == 401);
    CHECK(refused.error() == "certificate-invalid");
    CHECK(f.count(ev::cloud_pki_tenant_ca_retired) == 1);
    CHECK(states(f)[old_ca.serial_hex()] == "retired");
    CHECK(states(f)[new_serial] == "active");
    CHECK(pem_count(read_text_file(f.cloud->ready().at("tenant_ca_bundle").get<std::string>())) == 1);
    CHECK(f.cloud->anonymous().get("/v1/tenant-ca").json().at("anchors").size() == 1);
    // It attests again (attestation needs no client certificate) and is back.
    before = f.attested(before.device);
    CHECK(f.client(before).post_json("/v1/telemetry", one_record(2)).status == 200);
    CHECK(f.client(after).post_json("/v1/telemetry", one_record(2)).status == 200);
}

TEST_CASE("the tenant CA rotation survives a restart, overlap included, and overlap 0 retires at once") {
    UpdateFixture f;
    auto first = f.attested();
    const auto ca1 = crypto::Certificate::from_pem(f.cloud->tenant_ca_pem(), "tenant CA").serial_hex();
    f.admin("POST", "/admin/v1/tenant-ca/rotate");  // default overlap: 24 hours
    const auto ca2 = crypto::Certificate::from_pem(f.cloud->tenant_ca_pem(), "tenant CA").serial_hex();
    REQUIRE(ca2 != ca1);
    auto second = f.attested();

    REQUIRE(f.cloud->stop() == 0);
    f.start();
    CHECK(crypto::Certificate::from_pem(f.cloud->tenant_ca_pem(), "tenant CA").serial_hex() == ca2);
    CHECK(states(f) == std::map<std::string, std::string>{{ca1, "trusted"}, {ca2, "active"}});
    CHECK(f.client(first).post_json("/v1/telemetry", one_record(1)).status == 200);   // in its overlap
    CHECK(f.client(second).post_json("/v1/telemetry", one_record(1)).status == 200);

    // A compromised CA: no overlap. Everything it issued is refused at once.
    auto rotated = f.admin("POST", "/admin/v1/tenant-ca/rotate", {{"overlap_s", 0}});
    const auto ca3 = rotated.at("active").at("serial").get<std::string>();
    CHECK(f.client(second).post_json("/v1/telemetry", one_record(2)).error() == "certificate-invalid");
    CHECK(f.client(first).post_json("/v1/telemetry", one_record(2)).status == 200);  // ca1's overlap still runs
    auto s = states(f);
    CHECK(s[ca2] == "retired");
    CHECK(s[ca3] == "active");
    CHECK(s[ca1] == "trusted");
    // Past ca1's overlap, it retires too; the store says so after another restart.
    f.advance(24 * kHour + kSecond);
    CHECK(f.client(first).post_json("/v1/telemetry", one_record(3)).status == 401);
    REQUIRE(f.cloud->stop() == 0);
    f.start();
    CHECK(states(f) == std::map<std::string, std::string>{{ca1, "retired"}, {ca2, "retired"}, {ca3, "active"}});
    CHECK(f.cloud->anonymous().get("/v1/tenant-ca").json().at("anchors").size() == 1);
}

TEST_CASE("a rotation request that is not one is refused") {
    UpdateFixture f;
    CHECK(f.admin_raw("POST", "/admin/v1/tenant-ca/rotate", {{"overlap_s", -1}}).error() == "malformed");
    CHECK(f.admin_raw("POST", "/admin/v1/tenant-ca/rotate", {{"overlap_s", 91 * 86400}}).error() == "malformed");
    CHECK(f.admin_raw("POST", "/admin/v1/tenant-ca/rotate", {{"overlap", 60}}).error() == "malformed");
    CHECK(f.admin_raw("POST", "/admin/v1/tenant-ca/rotate", {{"overlap_s", "60"}}).error() == "malformed");
    CHECK(f.cloud->anonymous().post_json("/admin/v1/tenant-ca/rotate", nlohmann::json::object()).status == 401);
    CHECK(f.admin_raw("GET", "/admin/v1/tenant-ca/rotate").status == 405);
    CHECK(f.admin("GET", "/admin/v1/tenant-ca").at("tenant_cas").size() == 1);  // nothing rotated
}

namespace {

// A tenant CA as a rotation makes it, written to the ".next" files a crash would leave behind.
crypto::Certificate leave_next_ca(const std::filesystem::path& pki, std::int64_t now_s, std::uint8_t serial_byte) {
    auto key = crypto::EcPrivateKey::generate();
    crypto::CertificateRequest req;
    req.common_name = "spherevp tenant CA (interrupted)";
    req.role = crypto::CertificateRole::authority;
    req.serial = Bytes(16, serial_byte);
    req.not_before = now_s;
    req.not_after = now_s + 365 * 86400;
    auto cert = crypto::issue_certificate(req, key.public_key(), key, nullptr);
    cloud::write_secret_file(pki / "tenant-ca.key.next", as_bytes(key.pem()));
    write_file_atomic(pki / "tenant-ca.pem.next", as_bytes(cert.pem()));
    return cert;
}

}  // namespace

TEST_CASE("a rotation a crash interrupted is finished at the next start if the store committed it, else undone") {
    UpdateFixture f;
    const auto pki = std::filesystem::path(f.cloud->ready().at("tenant_ca").get<std::string>()).parent_path();
    const auto db = std::filesystem::path(f.cloud->ready().at("db").get<std::string>());
    const auto ca1 = crypto::Certificate::from_pem(f.cloud->tenant_ca_pem(), "tenant CA").serial_hex();

    // Crashed after writing the new CA, before the store committed: forgotten at start.
    REQUIRE(f.cloud->stop() == 0);
    leave_next_ca(pki, f.now_s(), 0x41);
    f.start();
    CHECK(crypto::Certificate::from_pem(f.cloud->tenant_ca_pem(), "tenant CA").serial_hex() == ca1);
    CHECK(!std::filesystem::exists(pki / "tenant-ca.pem.next"));
    CHECK(!std::filesystem::exists(pki / "tenant-ca.key.next"));
    CHECK(states(f) == std::map<std::string, std::string>{{ca1, "active"}});

    // Crashed after the store committed, before the files were renamed: finished at start.
    REQUIRE(f.cloud->stop() == 0);
    const auto next = leave_next_ca(pki, f.now_s(), 0x42);
    {
        cloud::CloudStore store(db, f.clock.read().unix_ns());
        const auto now = f.clock.read().unix_ns();
        store.rotate_tenant_ca({next.serial_hex(), next.pem(), next.not_after(), now, {}, {}, {}}, f.now_s() + 3600,
                               {0, now, "admin", "tenant-ca.rotate", next.serial_hex(), "ok", "", "interrupted"});
    }
    f.start();
    CHECK(crypto::Certificate::from_pem(f.cloud->tenant_ca_pem(), "tenant CA").serial_hex() == next.serial_hex());
    CHECK(!std::filesystem::exists(pki / "tenant-ca.pem.next"));
    CHECK(states(f) == std::map<std::string, std::string>{{ca1, "trusted"}, {next.serial_hex(), "active"}});
    // The finished CA issues: a device attesting now chains to it.
    auto d = f.attested();
    CHECK(!crypto::verify_certificate(crypto::Certificate::from_pem(d.certificate, "device"), next, f.now_s()));
    CHECK(f.client(d).post_json("/v1/telemetry", one_record(1)).status == 200);
}

// No acknowledged write is lost across kill -9 (issue 7), and a stub killed half-way through
// an upload keeps nothing of it and takes the upload again after a restart (scenario C10).
#include <catch2/catch.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include "update_fixture.h"

using namespace svp;
using namespace svp::test;

TEST_CASE("acknowledged telemetry, devices and images survive kill -9 and a restart") {
    CloudFixture f;
    auto chain = boot_chain();
    f.upload(chain);
    TestDevice device;
    auto attest = f.attest(device, chain);
    REQUIRE(attest.status == 200);
    auto client = f.cloud->device(attest.json().at("certificate").get<std::string>(), device.key().pem());
    for (int seq = 1; seq <= 20; ++seq) {
        nlohmann::json body = {{"records", {{{"seq", seq}, {"kind", "uptime"}, {"value", seq * 60}}}}};
        REQUIRE(client.post_json("/v1/telemetry", body).json().at("accepted") == 1);
    }
    const auto service_ca = f.cloud->service_ca_pem();

    f.cloud->kill_hard();  // no shutdown, no checkpoint: only what reached the disk counts
    f.start();

    CHECK(f.cloud->service_ca_pem() == service_ca);  // the same PKI, so devices still trust it
    auto admin = f.cloud->admin();
    auto stored = admin.get("/admin/v1/telemetry?device=" + device.id()).json().at("records");
    REQUIRE(stored.size() == 20);
    CHECK(stored[19]["seq"] == 20);
    CHECK(admin.get("/admin/v1/images").json().at("images").size() == 3);
    CHECK(admin.get("/admin/v1/devices").json().at("devices").size() == 1);
    // The certificate issued before the crash still works after it.
    auto again = f.cloud->device(attest.json().at("certificate").get<std::string>(), device.key().pem());
    CHECK(again.post_json("/v1/telemetry", {{"records", {{{"seq", 21}, {"kind", "uptime"}, {"value", 1}}}}}).ok());
    CHECK(f.cloud->stop() == 0);
}

TEST_CASE("a stub killed mid-upload keeps no part of the image and takes the upload after restart") {
    CloudFixture f;
    auto big = make_image(image::ImageType::rootfs, "rootfs", "1.0.0", 4 << 20);  // a 4 MiB root file system

    // Send the header and half the body over TLS, then kill the stub while it waits for the rest.
    namespace asio = boost::asio;
    asio::io_context io;
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.add_certificate_authority(asio::buffer(f.cloud->service_ca_pem()));
    tls.set_verify_mode(asio::ssl::verify_peer);
    X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(tls.native_handle()), kEpochNs / 1'000'000'000);
    asio::ssl::stream<asio::ip::tcp::socket> stream(io, tls);
    stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), f.cloud->port()});
    stream.handshake(asio::ssl::stream_base::client);
    std::string head = "POST /admin/v1/images HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                       f.cloud->admin_token() + "\r\nContent-Length: " + std::to_string(big.bytes.size()) + "\r\n\r\n";
    asio::write(stream, asio::buffer(head));
    asio::write(stream, asio::buffer(big.bytes.data(), big.bytes.size() / 2));

    f.cloud->kill_hard();
    f.start();

    auto admin = f.cloud->admin();
    CHECK(admin.get("/admin/v1/images").json().at("images").empty());
    auto r = admin.upload_image(big.bytes);
    INFO(r.body);
    CHECK(r.status == 201);
    CHECK(r.json().at("measurement") == to_hex(ByteView(big.measurement)));
    CHECK(r.json().at("size") == big.bytes.size());
}

TEST_CASE("deployments, manifests, reports and security state survive kill -9: no acknowledged write lost") {
    UpdateFixture f;
    auto app = component_image(image::ImageType::application, kAppComponent, "1.0.0", "app");
    auto kernel = component_image(image::ImageType::os_kernel, kKernelComponent, "2.0.0", "kernel");
    f.upload({app, kernel});
    f.create_product();
    f.publish_os("Retail", {kernel});
    f.deploy("Field Test", {measurement_of(app)});
    f.admin("PATCH", UpdateFixture::group_path("Production"), {{"update_policy", "NoUpdates"}});
    f.admin("POST", UpdateFixture::group_path("Production OS Evaluation") + "/freeze");
    f.admin("PUT", "/admin/v1/default-group", {{"product", "Thermostat"}, {"group", "Production"}});
    auto d = f.attested();
    f.claim(d, "Field Test");
    auto client = f.client(d);
    auto served = f.check(client, UpdateFixture::installed({kernel})).json().at("manifest");
    for (std::uint64_t seq = 1; seq <= 10; ++seq)
        REQUIRE(client.post_json("/v1/reports", {{"reports", {protocol::FailureReport{seq, "app", "crash", 11, 0, ""}.to_json()}}})
                    .json()
                    .at("new") == 1);
    TestDevice held, original;
    f.admin("POST", "/admin/v1/devices/" + held.id() + "/quarantine", {{"reason", "held"}});
    // A clone flagged: the quarantine it causes is acknowledged by the refusal.
    auto a = f.cloud->anonymous(), b = f.cloud->anonymous();
    auto na = f.challenge(a, original), nb = f.challenge(b, original);
    REQUIRE(a.post_json("/v1/attestation/quote", original.quote(na, f.chain).to_json()).status == 200);
    REQUIRE(b.post_json("/v1/attestation/quote", original.quote(nb, f.chain).to_json()).error() == "cloned-identity");

    f.cloud->kill_hard();
    f.start();

    auto groups = f.admin("GET", "/admin/v1/products/Thermostat/groups").at("groups");
    CHECK(groups[1]["deployment"] == 1);
    CHECK(groups[3]["update_policy"] == "NoUpdates");
    CHECK(groups[4]["frozen"] == true);
    CHECK(f.admin("GET", "/admin/v1/default-group").at("group") == "Production");
    CHECK(f.admin("GET", "/admin/v1/os-feeds").at("feeds")[0]["releases"].size() == 1);
    CHECK(f.admin("GET", "/admin/v1/reports").at("reports").size() == 10);
    // The same manifest, not a re-signed one: it was stored before it was served.
    auto again = f.client(d);
    CHECK(f.check(again, UpdateFixture::installed({kernel})).json().at("manifest") == served);
    auto devices = f.admin("GET", "/admin/v1/devices").at("devices");
    std::size_t quarantined = 0;
    for (const auto& dev : devices) {
        if (dev["quarantined"] == true) ++quarantined;
        if (dev["device_id"] == d.device.id()) {
            CHECK(dev["group"] == "Field Test");
            CHECK(dev["installed"].size() == 1);
        }
    }
    CHECK(quarantined == 2);
    CHECK(f.attest(original, f.chain).error() == "quarantined");
    CHECK(f.cloud->stop() == 0);
}

TEST_CASE("a seeded stub restarted on its database draws fresh nonces and serials, not used ones") {
    UpdateFixture f({"--seed", "7"});
    auto first = f.attested();
    f.cloud->kill_hard();
    f.start({"--seed", "7"});  // its random streams start over
    auto second = f.attested();
    CHECK(second.certificate != first.certificate);
    CHECK(f.attest(first.device, f.chain).status == 200);
}

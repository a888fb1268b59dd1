// No acknowledged write is lost across kill -9 (issue 7), and a stub killed half-way through
// an upload keeps nothing of it and takes the upload again after a restart (scenario C10).
#include <catch2/catch.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include "cloud_fixture.h"

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

// Bytes modified on the link are detected by TLS (issue 7): a man in the middle flips one bit
// in one encrypted record, in either direction, at every position an exchange has; each time
// the exchange fails and nothing is stored. Without the flip, the same path works.
#include <catch2/catch.hpp>

#include "cloud_fixture.h"
#include "tampering_proxy.h"

using namespace svp;
using namespace svp::test;

TEST_CASE("a bit flipped in any encrypted record, either way, ends the exchange and stores nothing") {
    CloudFixture f;
    auto chain = boot_chain();
    f.upload(chain);
    TestDevice device;
    auto attest = f.attest(device, chain);
    REQUIRE(attest.status == 200);
    const auto certificate = attest.json().at("certificate").get<std::string>();

    auto upload_via = [&](std::uint16_t port, int seq) {
        auto o = f.cloud->client_options();
        o.port = port;
        o.client_certificate_pem = certificate;
        o.client_key_pem = device.key().pem();
        o.timeout = std::chrono::seconds(10);
        cloud::CloudClient client(o);
        return client.post_json("/v1/telemetry", {{"records", {{{"seq", seq}, {"kind", "uptime"}, {"value", 1}}}}});
    };
    auto stored = [&] { return f.cloud->admin().get("/admin/v1/telemetry").json().at("records").size(); };

    {
        TamperingProxy honest(f.cloud->port(), TamperingProxy::Direction::to_server, 0);
        REQUIRE(upload_via(honest.port(), 1).ok());
        REQUIRE(stored() == 1);
    }

    int seq = 2, flips = 0;
    for (auto direction : {TamperingProxy::Direction::to_server, TamperingProxy::Direction::to_client}) {
        for (int record = 1;; ++record) {
            const auto stored_before = stored();
            TamperingProxy mitm(f.cloud->port(), direction, record);
            bool failed = false;
            try {
                failed = !upload_via(mitm.port(), seq++).ok();
            } catch (const cloud::CloudClientError&) {
                failed = true;
            }
            if (!mitm.tampered()) {
                CHECK_FALSE(failed);  // past the last record of the exchange: nothing altered, all well
                break;
            }
            INFO("record " << record << (direction == TamperingProxy::Direction::to_server ? " to the server" : " to the client"));
            CHECK(failed);
            // A request altered on its way in is never acted on. (An answer altered on its way
            // out comes after the store; the device retries and the same seq is stored once.)
            if (direction == TamperingProxy::Direction::to_server) CHECK(stored() == stored_before);
            ++flips;
        }
    }
    CHECK(flips >= 4);  // the handshake's encrypted records and the request/response, both ways
}

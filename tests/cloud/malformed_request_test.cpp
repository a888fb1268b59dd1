// Every malformed request gets a 4xx with a reason, never a crash or a 500 (issue 7). The
// corpus runs against the router in-process (fast, many cases); the mutation test derives
// thousands more from valid requests with a seeded generator; a last case sends broken HTTP
// to the real process and checks that it keeps serving.
#include <catch2/catch.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include "cloud-stub/cloud_service.h"
#include "cloud-stub/http_target.h"
#include "cloud_fixture.h"
#include "common/crypto/deterministic_random.h"

using namespace svp;
using namespace svp::test;
using svp::cloud::ApiRequest;
using svp::cloud::ApiResponse;

namespace {

// The service without its listener, on a clock file, in a temp dir.
struct InProcessCloud {
    TempDir dir;
    cloud::ClockFileWriter clock{dir / "clock"};
    std::optional<cloud::CloudService> service;

    InProcessCloud() {
        clock.set_epoch(kEpochNs);
        cloud::ServeConfig config;
        config.db = dir / "cloud.db";
        config.clock_file = dir / "clock";
        config.device_rate_limit = cloud::RateLimit::off();  // reach the parsers, not the 429
        service.emplace(config);
    }

    std::string bearer() const {
        auto t = read_text_file(service->admin_token().path());
        return "Bearer " + t.substr(0, t.find('\n'));
    }

    ApiResponse call(std::string method, std::string target, std::string body, bool admin = false,
                     cloud::PeerCertificate peer = {}, std::string range = "") {
        return service->router().handle({std::move(method), std::move(target), admin ? bearer() : "", std::move(body),
                                         std::move(peer), std::move(range)});
    }

    cloud::PeerCertificate device_peer(const TestDevice& device) const {
        cloud::PeerCertificate peer;
        peer.certificate = service->pki().issue_device_certificate(device.key().public_key().raw(), {0x41, 0x01},
                                                                    kEpochNs / 1'000'000'000);
        return peer;
    }
};

void check_refused(const ApiResponse& r, const std::string& what) {
    INFO(what << " -> " << r.status << " " << r.body.dump());
    CHECK(r.status >= 400);
    CHECK(r.status < 500);
    REQUIRE(r.body.contains("error"));
    CHECK(r.body["error"].get<std::string>().size() > 0);
    CHECK(r.body["detail"].get<std::string>().size() > 0);
}

std::string deep(int levels) { return std::string(static_cast<std::size_t>(levels), '[') + std::string(static_cast<std::size_t>(levels), ']'); }

}  // namespace

TEST_CASE("request targets are parsed strictly") {
    auto t = cloud::parse_target("/admin/v1/telemetry?device=ab%43&limit=5");
    CHECK(t.segments == std::vector<std::string>{"admin", "v1", "telemetry"});
    CHECK(t.query.at("device") == "abC");
    CHECK(cloud::parse_target("/v1/telemetry/").segments.size() == 2);
    CHECK(cloud::parse_target("/").segments.empty());
    for (const std::string& bad : std::vector<std::string>{"", "v1/telemetry", "*", "http://x/y", "//v1", "/v1//x", "/v1/%zz", "/v1/%4", "/v1/%",
                            "/a/../admin", "/a/%2e%2e/b", "/a%2fb", "/a?x=1&x=2", "/a?=1", "/a#frag", "/a%00b",
                            "/a?x=%0a", std::string("/") + std::string(3000, 'a')}) {
        INFO(bad);
        CHECK_THROWS_AS(cloud::parse_target(bad), cloud::ApiError);
    }
}

TEST_CASE("a corpus of malformed requests is refused with 4xx and a reason on every endpoint") {
    InProcessCloud c;
    TestDevice device;
    const auto id = device.id();
    const std::string nonce(64, 'a'), sig(128, 'b');

    const std::vector<std::string> bad_json = {"", " ", "{", "}", "[]", "null", "\"text\"", "42", "{\"a\":}", "{} trailing",
                                               "{\"device_id\":\"\xff\xfe\"}", deep(10000), "{\"a\":" + deep(100) + "}"};
    for (const auto& body : bad_json) {
        check_refused(c.call("POST", "/v1/attestation/challenge", body), "challenge " + body.substr(0, 40));
        check_refused(c.call("POST", "/v1/attestation/quote", body), "quote " + body.substr(0, 40));
        check_refused(c.call("POST", "/v1/telemetry", body, false, c.device_peer(device)), "telemetry " + body.substr(0, 40));
    }

    for (const auto& body : std::vector<nlohmann::json>{
             {{"device_id", 5}}, {{"device_id", "zz"}}, {{"device_id", std::string(128, '0')}},  // not a P-256 point
             {{"device_id", id.substr(0, 127)}}, {{"device_id", id + "00"}}, {{"device", id}}})
        check_refused(c.call("POST", "/v1/attestation/challenge", body.dump()), "challenge " + body.dump());

    auto quote = [&](nlohmann::json patch) {
        nlohmann::json q = {{"device_id", id}, {"nonce", nonce}, {"signature", sig},
                            {"measurements", {{{"type", 7}, {"digest", std::string(64, 'c')}}}}};
        q.merge_patch(patch);
        return q.dump();
    };
    for (const auto& patch : std::vector<nlohmann::json>{
             {{"nonce", "abc"}}, {{"nonce", std::string(62, 'a')}}, {{"nonce", nullptr}}, {{"signature", "00"}},
             {{"signature", 7}}, {{"device_id", "not hex"}}, {{"measurements", "none"}},
             {{"measurements", {{{"type", 1e300}, {"digest", std::string(64, 'c')}}}}},
             {{"measurements", {{{"type", -1}, {"digest", std::string(64, 'c')}}}}},
             {{"measurements", {{{"type", 70000}, {"digest", std::string(64, 'c')}}}}},
             {{"measurements", {{{"type", "os"}, {"digest", std::string(64, 'c')}}}}},
             {{"measurements", {{{"type", 7}, {"digest", "c"}}}}},
             {{"measurements", {{{"type", 7}, {"digest", std::string(64, 'c')}, {"stage", 5}}}}},
             {{"measurements", nlohmann::json::array({1, 2})}},
             {{"measurements", nlohmann::json(std::vector<nlohmann::json>(
                                   21, {{"type", 7}, {"digest", std::string(64, 'c')}}))}}})
        check_refused(c.call("POST", "/v1/attestation/quote", quote(patch)), "quote " + patch.dump());

    for (const auto& body : std::vector<nlohmann::json>{
             {{"records", 5}}, {{"rec", nlohmann::json::array()}}, {{"records", {5}}},
             {{"records", {{{"seq", -1}, {"kind", "t"}, {"value", 1}}}}},
             {{"records", {{{"seq", 1.5}, {"kind", "t"}, {"value", 1}}}}},
             {{"records", {{{"seq", 18446744073709551615ull}, {"kind", "t"}, {"value", 1}}}}},
             {{"records", {{{"seq", 1}, {"kind", ""}, {"value", 1}}}}},
             {{"records", {{{"seq", 1}, {"kind", std::string(65, 'k')}, {"value", 1}}}}},
             {{"records", {{{"seq", 1}, {"kind", "tab\there"}, {"value", 1}}}}},
             {{"records", {{{"seq", 1}, {"kind", "t"}, {"value", "1"}}}}},
             {{"records", {{{"seq", 1}, {"kind", "t"}}}}},
             {{"records", nlohmann::json(std::vector<nlohmann::json>(1001, {{"seq", 1}, {"kind", "t"}, {"value", 1}}))}}})
        check_refused(c.call("POST", "/v1/telemetry", body.dump(), false, c.device_peer(device)), "telemetry " + body.dump().substr(0, 60));

    for (const auto& [method, target, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"GET", "/admin/v1/audit?limit=0", ""}, {"GET", "/admin/v1/audit?limit=-1", ""},
             {"GET", "/admin/v1/audit?limit=1e3", ""}, {"GET", "/admin/v1/audit?limit=999999999999", ""},
             {"GET", "/admin/v1/audit?lmit=5", ""}, {"GET", "/admin/v1/telemetry?device=xyz", ""},
             {"GET", "/admin/v1/images?x", ""}, {"POST", "/admin/v1/devices/abc/revoke", ""},
             {"POST", "/admin/v1/devices/" + id + "/revoke", "{\"reason\": 5}"},
             {"POST", "/admin/v1/devices/" + id + "/revoke", "not json"},
             {"POST", "/admin/v1/devices/" + id + "/revoke", "{\"reason\":\"" + std::string(300, 'r') + "\"}"},
             {"POST", "/admin/v1/images", ""}, {"POST", "/admin/v1/images", "SVPI"},
             {"POST", "/admin/v1/images", as_string(make_image(image::ImageType::application, "t").bytes).substr(0, 200)},
             {"DELETE", "/admin/v1/images", ""}, {"GET", "/admin/v1/nothing", ""}, {"GET", "/", ""},
             {"PUT", "/v1/attestation/quote", "{}"}, {"GET", "/v1/attestation/challenge", ""}})
        check_refused(c.call(method, target, body, true), method + " " + target);

    // Bytes that are not UTF-8 in the path reach the audit log only as printable text.
    check_refused(c.call("GET", "/admin/v1/\xff\x1b[31m", "", true), "binary path");
    auto audit = c.call("GET", "/admin/v1/audit?limit=1", "", true).body.at("audit");
    CHECK(audit[0]["subject"] == "/admin/v1/??[31m");

    // An image whose signature does not match its own signer key is damaged: refused.
    auto damaged = make_image(image::ImageType::application, "damaged").bytes;
    damaged[image::kHeaderSize + 2] ^= 0x01;
    check_refused(c.call("POST", "/admin/v1/images", as_string(damaged), true), "damaged image");

    // Still serving, and nothing was stored along the way.
    CHECK(c.call("POST", "/v1/attestation/challenge", nlohmann::json{{"device_id", id}}.dump()).status == 200);
    CHECK(c.service->store().images().empty());
    CHECK(c.service->store().telemetry("", 10).empty());
}

TEST_CASE("the update, report, deployment and device-state endpoints refuse malformed requests with 4xx and a reason") {
    InProcessCloud c;
    TestDevice device;
    const auto id = device.id();
    const auto peer = c.device_peer(device);
    auto app = make_image(image::ImageType::application, "app");
    REQUIRE(c.call("POST", "/admin/v1/images", as_string(app.bytes), true).status == 201);
    REQUIRE(c.call("POST", "/admin/v1/products", R"({"name":"P","product_id":"0e9e3c1a-7b5d-4f3a-8d2c-ba9876543210"})", true).status == 201);
    const auto sha = to_hex(ByteView(crypto::sha256(app.bytes)));
    REQUIRE(c.call("POST", "/admin/v1/products/P/groups/Production/deployments", R"({"images":[")" + sha + R"("]})", true).status == 201);
    REQUIRE(c.call("PUT", "/admin/v1/default-group", R"({"product":"P","group":"Production"})", true).status == 200);
    REQUIRE(c.call("POST", "/v1/updates/check", R"({"installed":[]})", false, peer).status == 200);
    REQUIRE(c.call("GET", "/v1/images/" + sha, "", false, peer).status == 200);

    const std::vector<std::string> bad_json = {"", "{", "[]", "null", "{} x", "{\"a\":" + deep(100) + "}", deep(5000)};
    for (const auto& body : bad_json) {
        check_refused(c.call("POST", "/v1/updates/check", body, false, peer), "check " + body.substr(0, 40));
        check_refused(c.call("POST", "/v1/reports", body, false, peer), "reports " + body.substr(0, 40));
        for (const auto& target : std::vector<std::string>{"/admin/v1/products", "/admin/v1/products/P/groups",
                                                           "/admin/v1/products/P/groups/Production/deployments",
                                                           "/admin/v1/os-feeds/Retail/releases", "/admin/v1/devices/" + id + "/claim"})
            check_refused(c.call("POST", target, body, true), target + " " + body.substr(0, 40));
        check_refused(c.call("PATCH", "/admin/v1/products/P/groups/Production", body, true), "patch " + body.substr(0, 40));
        check_refused(c.call("PUT", "/admin/v1/default-group", body, true), "default-group " + body.substr(0, 40));
    }
    for (const auto& range : {"bytes=9-1", "bytes=0-1,2-3", "bits=0-1", "bytes=x-", "bytes=99999999-", "bytes=-0", "=",
                              "bytes=18446744073709551615-18446744073709551615", "bytes=-18446744073709551616"})
        check_refused(c.call("GET", "/v1/images/" + sha, "", false, peer, range), std::string("range ") + range);
    for (const auto& [method, target, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"GET", "/v1/images/" + std::string(63, 'a'), ""}, {"GET", "/v1/images/" + std::string(64, 'g'), ""},
             {"GET", "/v1/images/" + std::string(64, 'a'), ""}, {"GET", "/v1/images/" + sha + "?x=1", ""},
             {"POST", "/v1/images/" + sha, ""}, {"GET", "/v1/updates/check", ""},
             {"POST", "/v1/reports", R"({"reports":[{"seq":1,"app":"a","kind":"k","status":1.5,"time_ms":0}]})"},
             {"POST", "/v1/reports", R"({"reports":[{"seq":1,"app":"a","kind":"k","status":1,"time_ms":0,"detail":[]}]})"},
             {"POST", "/v1/updates/check", R"({"installed":[{"component":"6d1c6c7e-2f1c-4d7a-9c1e-0123456789ab","type":7,"version":"1.0.0"}]})"},
             {"POST", "/v1/updates/check", R"({"installed":[{"component":"6d1c6c7e-2f1c-4d7a-9c1e-0123456789ab","type":7,"version":"1.0.0.0","counter":1}]})"},
         })
        check_refused(c.call(method, target, body, false, peer), method + " " + target.substr(0, 60) + " " + body.substr(0, 60));
    for (const auto& [method, target, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"POST", "/admin/v1/products", R"({"name":""})"}, {"POST", "/admin/v1/products", R"({"name":"a/b"})"},
             {"POST", "/admin/v1/products", R"({"name":" x"})"}, {"POST", "/admin/v1/products", R"({"name":"x","product_id":"nope"})"},
             {"POST", "/admin/v1/products", R"({"name":"6d1c6c7e-2f1c-4d7a-9c1e-0123456789ab"})"},
             {"POST", "/admin/v1/products", R"({"name":"x","extra":1})"}, {"POST", "/admin/v1/products", R"({"name":"P"})"},
             {"POST", "/admin/v1/products", R"({"name":"x","description":"\u0001"})"},
             {"GET", "/admin/v1/products/Nope/groups", ""}, {"POST", "/admin/v1/products/P/groups", R"({"name":"G","os_feed":"Beta"})"},
             {"POST", "/admin/v1/products/P/groups", R"({"name":"G","manifest_lifetime_s":1e9})"},
             {"PATCH", "/admin/v1/products/P/groups/Production", "{}"},
             {"PATCH", "/admin/v1/products/P/groups/Production", R"({"update_policy":"All"})"},
             {"POST", "/admin/v1/products/P/groups/Production/deployments", R"({"images":[5]})"},
             {"POST", "/admin/v1/products/P/groups/Production/deployments", R"({"images":[{"id":")" + sha + R"(","x":1}]})"},
             {"POST", "/admin/v1/products/P/groups/Production/deployments", R"({"images":[")" + sha + R"("],"requires":[{"component":"6d1c6c7e-2f1c-4d7a-9c1e-0123456789ab","min_version":"one"}]})"},
             {"POST", "/admin/v1/products/P/groups/Production/deployments", R"({"images":[")" + std::string(64, 'A') + R"("]})"},
             {"POST", "/admin/v1/products/P/groups/Production/freeze", "{\"now\":1}"},
             {"GET", "/admin/v1/products/P/groups/Production/manifests/0", ""},
             {"GET", "/admin/v1/products/P/groups/Production/manifests/-1", ""},
             {"GET", "/admin/v1/products/P/groups/Production/manifests/18446744073709551616", ""},
             {"POST", "/admin/v1/os-feeds/Retail/releases", R"({"images":[]})"},
             {"POST", "/admin/v1/os-feeds/Nope/releases", R"({"images":["x"]})"},
             {"POST", "/admin/v1/devices/" + id + "/claim", R"({"product":"P"})"},
             {"POST", "/admin/v1/devices/" + id + "/claim", R"({"product":"P","group":"Nope"})"},
             {"POST", "/admin/v1/devices/abc/quarantine", ""}, {"POST", "/admin/v1/devices/" + id + "/quarantine", R"({"reason":5})"},
             {"POST", "/admin/v1/devices/" + id + "/release", R"({"why":1})"},
             {"GET", "/admin/v1/reports?device=zz", ""}, {"GET", "/admin/v1/reports?limit=0", ""},
             {"PUT", "/admin/v1/default-group", R"({"product":"P","group":"Nope"})"},
             {"DELETE", "/admin/v1/products", ""}, {"GET", "/admin/v1/os-feeds?x=1", ""}})
        check_refused(c.call(method, target, body, true), method + " " + target + " " + body.substr(0, 60));
    // Still serving.
    CHECK(c.call("POST", "/v1/updates/check", R"({"installed":[]})", false, peer).status == 200);
    CHECK(c.call("GET", "/v1/update-key", "").status == 200);
}

TEST_CASE("fifteen hundred mutated requests never crash the service or make it answer 500") {
    InProcessCloud c;
    TestDevice device;
    auto chain = boot_chain("mutation");
    for (const auto& img : chain) REQUIRE(c.call("POST", "/admin/v1/images", as_string(img.bytes), true).status == 201);
    auto nonce = c.call("POST", "/v1/attestation/challenge", nlohmann::json{{"device_id", device.id()}}.dump())
                     .body.at("nonce").get<std::string>();
    const std::vector<std::pair<std::string, std::string>> seeds = {
        {"/v1/attestation/challenge", nlohmann::json{{"device_id", device.id()}}.dump()},
        {"/v1/attestation/quote", device.quote(nonce, chain).to_json().dump()},
        {"/v1/telemetry", R"({"records":[{"seq":1,"kind":"temperature","value":21.5},{"seq":2,"kind":"x","value":-1e3}]})"},
        {"/admin/v1/images", as_string(chain[0].bytes)},
        {"/admin/v1/devices/" + device.id() + "/revoke", R"({"reason":"test"})"},
        {"/v1/updates/check", R"({"installed":[{"component":"6d1c6c7e-2f1c-4d7a-9c1e-0123456789ab","type":7,"version":"1.0.0","counter":1}]})"},
        {"/v1/reports", R"({"reports":[{"seq":1,"app":"app","kind":"crash","status":11,"time_ms":5,"detail":"x"}]})"},
        {"/admin/v1/products", R"({"name":"Mutant","description":"d"})"},
        {"/admin/v1/os-feeds/Retail/releases", R"({"images":[")" + to_hex(ByteView(chain[1].measurement)) + R"("]})"},
        {"/admin/v1/devices/" + device.id() + "/claim", R"({"product":"Unassigned","group":"Unassigned"})"}};

    crypto::DeterministicRandom rng(2024, "tests/cloud/mutations");
    std::size_t refused = 0;
    for (int i = 0; i < 1500; ++i) {
        const auto& [target, original] = seeds[rng.below(seeds.size())];
        std::string body = original;
        std::string path = target;
        const auto edits = 1 + rng.below(4);
        for (std::uint64_t e = 0; e < edits; ++e) {
            switch (rng.below(5)) {
            case 0: if (!body.empty()) body[rng.below(body.size())] = static_cast<char>(rng.below(256)); break;
            case 1: body.resize(rng.below(body.size() + 1)); break;
            case 2: body.insert(rng.below(body.size() + 1), 1, "{}[]\",:0-e.\\"[rng.below(12)]); break;
            case 3: if (!body.empty()) body.erase(rng.below(body.size()), 1 + rng.below(8)); break;
            case 4: path[rng.below(path.size())] = "/%?&=aZ0."[rng.below(9)]; break;
            }
        }
        auto r = c.call("POST", path, body, path.rfind("/admin", 0) == 0, c.device_peer(device));
        INFO("mutation " << i << ": " << path << " " << body.substr(0, 80));
        REQUIRE(r.status < 500);
        if (r.status >= 400) ++refused;
    }
    CHECK(refused > 1000);  // most mutations break something, and each is refused with a reason
}

TEST_CASE("broken HTTP gets a 400 and the real process keeps serving") {
    CloudFixture f;
    namespace asio = boost::asio;
    asio::io_context io;
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.add_certificate_authority(asio::buffer(f.cloud->service_ca_pem()));
    tls.set_verify_mode(asio::ssl::verify_peer);
    X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(tls.native_handle()), kEpochNs / 1'000'000'000);

    for (const std::string& garbage : std::vector<std::string>{"GARBAGE\r\n\r\n", "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                                "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(20000, 'h') + "\r\n\r\n",
                                "POST /v1/telemetry HTTP/1.1\r\nContent-Length: 5000000\r\n\r\n"}) {
        asio::ssl::stream<asio::ip::tcp::socket> stream(io, tls);
        stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), f.cloud->port()});
        stream.handshake(asio::ssl::stream_base::client);
        asio::write(stream, asio::buffer(garbage));
        std::string reply;
        boost::system::error_code ec;
        char buf[4096];
        for (std::size_t n; (n = stream.read_some(asio::buffer(buf), ec)) > 0 || !ec;) reply.append(buf, n);
        INFO(garbage.substr(0, 60) << " -> " << reply);
        CHECK((reply.rfind("HTTP/1.1 400", 0) == 0 || reply.rfind("HTTP/1.1 413", 0) == 0));
        CHECK(reply.find("\"error\"") != std::string::npos);
    }
    TestDevice device;
    auto client = f.cloud->anonymous();
    CHECK(client.post_json("/v1/attestation/challenge", {{"device_id", device.id()}}).status == 200);
    CHECK(f.count(ev::cloud_http_refused) == 4);
}

TEST_CASE("a client that leaves without close_notify has its connection closed at once, even on a clock file") {
    CloudFixture f;  // a clock file: no wall-clock timeout would ever reap a lingering connection
    namespace asio = boost::asio;
    asio::io_context io;
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.add_certificate_authority(asio::buffer(f.cloud->service_ca_pem()));
    tls.set_verify_mode(asio::ssl::verify_peer);
    X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(tls.native_handle()), kEpochNs / 1'000'000'000);

    for (bool connection_close : {false, true}) {
        asio::ssl::stream<asio::ip::tcp::socket> stream(io, tls);
        stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), f.cloud->port()});
        stream.handshake(asio::ssl::stream_base::client);
        std::string request = std::string("GET /admin/v1/images HTTP/1.1\r\nHost: a\r\n") +
                              (connection_close ? "Connection: close\r\n" : "") + "\r\n";
        asio::write(stream, asio::buffer(request));
        char buf[4096];
        auto n = stream.read_some(asio::buffer(buf));
        REQUIRE(std::string(buf, n).rfind("HTTP/1.1 401", 0) == 0);
        // Half-close without close_notify (kept-alive case), or stay silent (Connection: close):
        // either way the service must close its end now, not wait for us.
        if (!connection_close) stream.next_layer().shutdown(asio::ip::tcp::socket::shutdown_send);
        timeval deadline{10, 0};  // bounds a failure; a healthy close is immediate
        setsockopt(stream.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
        ssize_t got = 0;
        do got = ::recv(stream.next_layer().native_handle(), buf, sizeof buf, 0);  // raw TCP: close_notify, then FIN
        while (got > 0);
        INFO((connection_close ? "Connection: close" : "half-close"));
        CHECK(got == 0);  // FIN from the service, not a receive timeout
    }
}

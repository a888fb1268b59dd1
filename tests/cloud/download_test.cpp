// Image downloads (issue 7 item 3, scenario U8): exact lengths, single byte ranges with 206,
// 416 beyond the end, never more bytes than stored, and only what the device's group was offered.
#include <catch2/catch.hpp>

#include "update_fixture.h"

using namespace svp;
using namespace svp::test;

namespace {

struct Offered {
    UpdateFixture f;
    SignedImage app = component_image(image::ImageType::application, kAppComponent, "1.0.0", "big app", "{}", kProduct,
                                      100'000);
    AttestedDevice device;
    std::optional<cloud::CloudClient> client;
    std::string path;

    Offered() {
        f.upload({app});
        f.create_product();
        f.deploy("Field Test", {measurement_of(app)});
        device = f.attested();
        f.claim(device, "Field Test");
        auto options = f.cloud->client_options();
        options.client_certificate_pem = device.certificate;
        options.client_key_pem = device.device.key().pem();
        client.emplace(std::move(options));
        REQUIRE(f.manifest(*client).body.images.size() == 1);
        path = "/v1/images/" + sha256_of(app);
    }
    cloud::CloudResponse get(const std::string& range = "") {
        if (range.empty()) return client->request("GET", path);
        return client->request("GET", path, {}, "application/json", {{"Range", range}});
    }
    std::string bytes(std::size_t first, std::size_t n) const { return as_string(app.bytes).substr(first, n); }
};

}  // namespace

TEST_CASE("a device downloads an image it was offered, whole, with its exact length") {
    Offered o;
    auto r = o.get();
    REQUIRE(r.status == 200);
    CHECK(r.body == as_string(o.app.bytes));
    CHECK(r.header("content-length") == std::to_string(o.app.bytes.size()));
    CHECK(r.header("content-type") == "application/octet-stream");
    CHECK(r.header("accept-ranges") == "bytes");
    CHECK(o.f.count(ev::cloud_update_served) == 1);
}

TEST_CASE("ranged downloads answer 206 with exactly the bytes asked for, cut at the end of the image") {
    Offered o;
    const auto size = o.app.bytes.size();
    struct Case {
        std::string range;
        std::size_t first, length;
    };
    for (const auto& c : std::vector<Case>{{"bytes=0-99", 0, 100},
                                           {"bytes=100-100", 100, 1},
                                           {"bytes=5000-", 5000, size - 5000},
                                           {"bytes=-50", size - 50, 50},
                                           {"bytes=-999999999", 0, size},
                                           {"bytes=" + std::to_string(size - 10) + "-99999999999", size - 10, 10},
                                           {"BYTES=1-2", 1, 2}}) {
        INFO(c.range);
        auto r = o.get(c.range);
        REQUIRE(r.status == 206);
        CHECK(r.body == o.bytes(c.first, c.length));
        CHECK(r.header("content-length") == std::to_string(c.length));
        CHECK(r.header("content-range") ==
              "bytes " + std::to_string(c.first) + "-" + std::to_string(c.first + c.length - 1) + "/" + std::to_string(size));
    }

    // A device resuming a download in 16 KiB pieces gets the image, byte for byte.
    std::string assembled;
    for (std::size_t at = 0; at < size; at += 16384) {
        auto r = o.get("bytes=" + std::to_string(at) + "-" + std::to_string(at + 16383));
        REQUIRE(r.status == 206);
        assembled += r.body;
    }
    CHECK(assembled == as_string(o.app.bytes));
}

TEST_CASE("a range beyond the end is 416 with the size, and a malformed one is 400: never more bytes") {
    Offered o;
    const auto size = std::to_string(o.app.bytes.size());
    for (const auto& range : {"bytes=" + size + "-", "bytes=" + size + "-" + size, std::string("bytes=-0")}) {
        INFO(range);
        auto r = o.get(range);
        CHECK(r.status == 416);
        CHECK(r.error() == "range-not-satisfiable");
        CHECK(r.header("content-range") == "bytes */" + size);
    }
    for (const auto& range : {"bytes=5-2", "bytes=0-1,5-6", "items=0-1", "bytes=a-b", "bytes=", "bytes=-", "bytes=1",
                              "bytes=99999999999999999999-"}) {
        INFO(range);
        auto r = o.get(range);
        CHECK(r.status == 400);
        CHECK(r.error() == "malformed");
    }
    CHECK(o.f.count(ev::cloud_update_refused, "range-not-satisfiable") == 3);
}

TEST_CASE("trailing bytes uploaded after an image are never served: the stored image is its exact length") {
    UpdateFixture f;
    auto app = component_image(image::ImageType::application, kAppComponent, "1.0.0", "app");
    auto padded = app.bytes;
    padded.insert(padded.end(), 5000, 0xAA);  // "endless data" appended to a valid image
    REQUIRE(f.cloud->admin().upload_image(padded).status == 201);
    f.create_product();
    f.deploy("Field Test", {measurement_of(app)});
    auto device = f.attested();
    f.claim(device, "Field Test");
    auto client = f.client(device);
    auto m = f.manifest(client);
    CHECK(m.body.images[0].size == app.bytes.size());
    CHECK(m.body.images[0].sha256 == sha256_of(app));
    auto r = client.get("/v1/images/" + sha256_of(app));
    REQUIRE(r.status == 200);
    CHECK(r.body.size() == app.bytes.size());
}

TEST_CASE("a device gets only the images its group was offered, and only with its certificate") {
    Offered o;
    auto& f = o.f;
    // An image that exists but that no manifest of this group listed.
    auto other = component_image(image::ImageType::application, kApp2Component, "1.0.0", "other app");
    f.upload({other});
    f.deploy("Production", {measurement_of(other)});
    auto r = o.client->get("/v1/images/" + sha256_of(other));
    CHECK(r.status == 404);
    CHECK(r.error() == "not-found");
    CHECK(o.client->get("/v1/images/" + std::string(64, '0')).status == 404);
    CHECK(o.client->get("/v1/images/" + std::string(64, 'A')).error() == "malformed");
    CHECK(o.client->get("/v1/images/abc").error() == "malformed");
    CHECK(o.client->get(o.path + "?x=1").error() == "malformed");
    CHECK(f.cloud->anonymous().get(o.path).error() == "client-certificate-required");
    CHECK(o.client->request("POST", o.path).status == 405);

    // Moved to a group that was offered it, the device may fetch it.
    f.claim(o.device, "Production");
    f.manifest(*o.client);
    CHECK(o.client->get("/v1/images/" + sha256_of(other)).status == 200);
}

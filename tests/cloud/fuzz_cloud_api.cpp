// libFuzzer target for everything the cloud stub parses from a client: request targets, JSON
// bodies of every endpoint, quotes, telemetry records, failure reports, update checks, Range
// headers, deployments and signed images, through the same router the HTTPS server uses.
// Input: byte 0 picks the endpoint, the rest is the body (for the "{body}" endpoints, the
// request target itself; for the download endpoint, the Range header). Built with the fuzz preset:
//   cmake --preset fuzz && cmake --build build/fuzz --target fuzz_cloud_api
//   build/fuzz/tests/cloud/fuzz_cloud_api -max_total_time=60 tests/cloud/fuzz_corpus
// The invariant: no crash, no sanitizer report, and never a 5xx for a client's bytes.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "cloud-stub/cloud_service.h"
#include "common/image/image_format.h"
#include "common/protocol/attestation.h"
#include "temp_dir.h"

using namespace svp;

namespace {

struct Harness {
    test::TempDir dir{"svp-fuzz-cloud"};
    std::optional<cloud::CloudService> service;
    std::string bearer;
    cloud::PeerCertificate device_peer;
    std::string device_id;
    std::string image_sha256;

    Harness() {
        cloud::ServeConfig config;
        config.db = dir / "cloud.db";
        config.seed = 1;  // reproducible crashes
        config.device_rate_limit = cloud::RateLimit::off();  // the fuzzer must reach the parsers, not the 429
        service.emplace(config);
        auto token = read_text_file(service->admin_token().path());
        bearer = "Bearer " + token.substr(0, token.find('\n'));
        auto key = crypto::EcPrivateKey::from_seed(Bytes(32, 7));
        device_peer.certificate =
            service->pki().issue_device_certificate(key.public_key().raw(), {0x41}, service->clock().now_unix_s());
        device_id = protocol::device_id(key.public_key().raw());
        // Something to deploy and download: one app image of product "Fuzz", offered to the device.
        image::ImageHeader h;
        h.type = image::ImageType::application;
        h.component_id = image::guid_from_string("22222222-0000-4000-8000-000000000001");
        h.product_id = image::guid_from_string("0e9e3c1a-7b5d-4f3a-8d2c-ba9876543210");
        h.version = image::version_from_string("1.0.0");
        auto img = image::sign_image(image::pack_image(h, as_bytes(std::string(3000, 'f')), "{}"), key);
        image_sha256 = to_hex(ByteView(crypto::sha256(img)));
        auto call = [&](const char* method, const std::string& target, const std::string& body, bool admin) {
            return service->router().handle({method, target, admin ? bearer : "", body, device_peer});
        };
        call("POST", "/admin/v1/images", as_string(img), true);
        call("POST", "/admin/v1/products", R"({"name":"Fuzz","product_id":"0e9e3c1a-7b5d-4f3a-8d2c-ba9876543210"})", true);
        call("POST", "/admin/v1/products/Fuzz/groups/Field%20Test/deployments", R"({"images":[")" + image_sha256 + R"("]})", true);
        call("POST", "/admin/v1/devices/" + device_id + "/claim", R"({"product":"Fuzz","group":"Field Test"})", true);
        call("POST", "/v1/updates/check", R"({"installed":[]})", false);
    }
};

struct Endpoint {
    const char* method;
    const char* target;
    bool admin;
};

constexpr Endpoint kEndpoints[] = {
    {"POST", "/v1/attestation/challenge", false},
    {"POST", "/v1/attestation/quote", false},
    {"POST", "/v1/telemetry", false},
    {"POST", "/admin/v1/images", true},
    {"POST", "/admin/v1/devices/{body}/revoke", true},
    {"GET", "{body}", true},  // the request target parser and the admin queries
    {"POST", "/v1/updates/check", false},
    {"POST", "/v1/reports", false},
    {"GET", "/v1/images/{sha256}", false},  // the body is the Range header
    {"POST", "/admin/v1/products", true},
    {"POST", "/admin/v1/products/Fuzz/groups/Field%20Test/deployments", true},
    {"PATCH", "/admin/v1/products/Fuzz/groups/Field%20Test", true},
    {"POST", "/admin/v1/os-feeds/Retail/releases", true},
    {"POST", "/admin/v1/devices/{device}/claim", true},
    {"POST", "{body}", true},  // targets of the admin actions that write
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Harness h;
    if (size == 0) return 0;
    const auto& e = kEndpoints[data[0] % std::size(kEndpoints)];
    std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
    std::string target = e.target;
    std::string range;
    if (auto at = target.find("{body}"); at != std::string::npos) {
        target.replace(at, 6, body);
        body.clear();
    }
    if (auto at = target.find("{device}"); at != std::string::npos) target.replace(at, 8, h.device_id);
    if (auto at = target.find("{sha256}"); at != std::string::npos) {
        target.replace(at, 8, h.image_sha256);
        range = std::move(body);
        body.clear();
    }
    cloud::ApiRequest request{e.method, target, e.admin ? h.bearer : "", body, h.device_peer, range, 1};
    auto r = h.service->router().handle(request);
    if (r.status >= 500) std::abort();
    return 0;
}

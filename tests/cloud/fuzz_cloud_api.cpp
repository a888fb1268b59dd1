// libFuzzer target for everything the cloud stub parses from a client: request targets, JSON
// bodies of every endpoint, quotes, telemetry records and signed images, through the same
// router the HTTPS server uses. Input: byte 0 picks the endpoint, the rest is the body (for the
// "target" endpoint, the request target itself). Built with the fuzz preset:
//   cmake --preset fuzz && cmake --build build/fuzz --target fuzz_cloud_api
//   build/fuzz/tests/cloud/fuzz_cloud_api -max_total_time=60 tests/cloud/fuzz_corpus
// The invariant: no crash, no sanitizer report, and never a 5xx for a client's bytes.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "cloud-stub/cloud_service.h"
#include "temp_dir.h"

using namespace svp;

namespace {

struct Harness {
    test::TempDir dir{"svp-fuzz-cloud"};
    std::optional<cloud::CloudService> service;
    std::string bearer;
    cloud::PeerCertificate device_peer;

    Harness() {
        cloud::ServeConfig config;
        config.db = dir / "cloud.db";
        config.seed = 1;  // reproducible crashes
        service.emplace(config);
        auto token = read_text_file(service->admin_token().path());
        bearer = "Bearer " + token.substr(0, token.find('\n'));
        auto key = crypto::EcPrivateKey::from_seed(Bytes(32, 7));
        device_peer.certificate =
            service->pki().issue_device_certificate(key.public_key().raw(), {0x41}, service->clock().now_unix_s());
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
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Harness h;
    if (size == 0) return 0;
    const auto& e = kEndpoints[data[0] % std::size(kEndpoints)];
    std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
    std::string target = e.target;
    if (auto at = target.find("{body}"); at != std::string::npos) {
        target.replace(at, 6, body);
        body.clear();
    }
    auto r = h.service->router().handle({e.method, target, e.admin ? h.bearer : "", body, h.device_peer});
    if (r.status >= 500) std::abort();
    return 0;
}

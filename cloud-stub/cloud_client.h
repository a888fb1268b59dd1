// A small synchronous HTTPS client for the cloud stub's API: `spherevp cloud admin`, the
// scenario runner (uploading images before a run) and the tests use it. Real TLS: the server
// certificate must chain to the given CA and name the host (IP SAN for an address, DNS SAN
// otherwise); an optional client certificate gives mutual TLS. One connection is kept alive
// across requests and reopened when the server has closed it.
//
// Boost stays behind the pimpl, so a user of this header needs none of it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/util/bytes.h"

namespace svp::cloud {

// The connection or the TLS handshake failed (refused, timed out, server not trusted).
class CloudClientError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct CloudResponse {
    unsigned status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names in lower case
    bool ok() const { return status >= 200 && status < 300; }
    // A response header ("" when absent); `name` in any case.
    std::string header(std::string_view name) const;
    // The body as JSON; a body that is not JSON gives a discarded value.
    nlohmann::json json() const;
    // The refusal code of a 4xx/5xx ({"error": ...}), "" otherwise.
    std::string error() const;
};

struct CloudClientOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::string ca_pem;                    // trust anchor for the server (service-ca.pem)
    std::string client_certificate_pem;    // mutual TLS, with the key below (optional)
    std::string client_key_pem;
    std::string bearer_token;              // sent as "Authorization: Bearer ..." when set
    // The Unix time (seconds) at which to judge the server certificate, read at each
    // connection; empty means the host's clock. A runner whose stub lives at a scenario epoch
    // passes its service time (epoch + simulated time), as the device's RTC does.
    std::function<std::int64_t()> verify_time;
    std::chrono::milliseconds timeout{30000};

    // "https://HOST:PORT" (a trailing "/" is fine). Throws InputError otherwise.
    static CloudClientOptions from_url(std::string_view url);
};

class CloudClient {
public:
    explicit CloudClient(CloudClientOptions options);
    ~CloudClient();
    CloudClient(const CloudClient&) = delete;
    CloudClient& operator=(const CloudClient&) = delete;
    CloudClient(CloudClient&&) noexcept;
    CloudClient& operator=(CloudClient&&) noexcept;

    // Throws CloudClientError when no response could be had; any HTTP status is a response.
    // `headers` are sent as well (a Range, say).
    CloudResponse request(std::string_view method, std::string_view target, std::string body = {},
                          std::string_view content_type = "application/json",
                          const std::vector<std::pair<std::string, std::string>>& headers = {});
    CloudResponse get(std::string_view target) { return request("GET", target); }
    CloudResponse post_json(std::string_view target, const nlohmann::json& body) {
        return request("POST", target, body.dump());
    }
    // POST /admin/v1/images with the raw image bytes.
    CloudResponse upload_image(ByteView image);

    // The negotiated protocol of the open connection ("TLSv1.3"), "" when none is open.
    std::string tls_version() const;
    void close();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace svp::cloud

// What a handler sees of an HTTP request and gives back, free of any transport type, so the
// same handlers run behind the HTTPS server, in unit tests and under a fuzzer.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/crypto/x509.h"

namespace svp::cloud {

// The client certificate of the TLS connection a request came on, as verified during the
// handshake at the service clock. The handshake accepts a bad or missing certificate so that
// each endpoint can refuse with a JSON reason (and a device whose certificate has expired can
// still attest to get a new one).
struct PeerCertificate {
    std::optional<crypto::Certificate> certificate;
    long verify_error = 0;  // X509_V_OK (0) when it chains to the tenant CA and was in date
    bool presented() const { return certificate.has_value(); }
};

struct ApiRequest {
    std::string method;                          // "GET", "POST", ...
    std::string target;                          // path and query as sent: "/admin/v1/audit?limit=5"
    std::string authorization;                   // the Authorization header ("" when absent)
    std::string body;
    PeerCertificate peer;
    std::string range;                           // the Range header ("" when absent)
    std::uint64_t connection = 0;                // which connection it came on (1, 2, ... in accept order)
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ApiResponse {
    unsigned status = 200;
    nlohmann::ordered_json body = nlohmann::ordered_json::object();
    // Bytes to send instead of the JSON body (an image download), as application/octet-stream.
    std::optional<std::string> raw;
    HeaderList headers;  // more response headers: Content-Range, Retry-After ...
};

// A refusal with a stable reason code ("stale-nonce", "bad-signature", ...): the response is
// `status {"error": code, "detail": detail}`, and the router records an event and an audit row.
class ApiError : public std::runtime_error {
public:
    ApiError(unsigned status, std::string code, std::string detail, HeaderList headers = {})
        : std::runtime_error(code + ": " + detail), status_(status), code_(std::move(code)),
          detail_(std::move(detail)), headers_(std::move(headers)) {}
    unsigned status() const { return status_; }
    const std::string& code() const { return code_; }
    const std::string& detail() const { return detail_; }
    const HeaderList& headers() const { return headers_; }
    // A refusal already recorded once (a device that stays over its rate limit): answered,
    // but neither audited nor logged as an event again, so it costs the store nothing.
    bool recorded() const { return recorded_; }
    ApiError& already_recorded() {
        recorded_ = true;
        return *this;
    }

private:
    unsigned status_;
    std::string code_;
    std::string detail_;
    HeaderList headers_;
    bool recorded_ = false;
};

// Stable refusal codes shared by several endpoints.
namespace reason {
inline constexpr const char* malformed = "malformed";        // 400: the body or query is not what the API takes
inline constexpr const char* not_found = "not-found";        // 404
inline constexpr const char* method_not_allowed = "method-not-allowed";  // 405
inline constexpr const char* too_large = "too-large";        // 413
inline constexpr const char* unauthenticated = "unauthenticated";  // 401: no or wrong credentials
inline constexpr const char* conflict = "conflict";          // 409: the name is taken, the state forbids it
inline constexpr const char* rate_limited = "rate-limited";  // 429: over the device's request budget
inline constexpr const char* revoked = "revoked";            // 403
inline constexpr const char* quarantined = "quarantined";    // 403
}  // namespace reason

}  // namespace svp::cloud

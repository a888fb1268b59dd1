// What a handler sees of an HTTP request and gives back, free of any transport type, so the
// same handlers run behind the HTTPS server, in unit tests and under a fuzzer.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>

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
};

struct ApiResponse {
    unsigned status = 200;
    nlohmann::ordered_json body = nlohmann::ordered_json::object();
};

// A refusal with a stable reason code ("stale-nonce", "bad-signature", ...): the response is
// `status {"error": code, "detail": detail}`, and the router records an event and an audit row.
class ApiError : public std::runtime_error {
public:
    ApiError(unsigned status, std::string code, std::string detail)
        : std::runtime_error(code + ": " + detail), status_(status), code_(std::move(code)),
          detail_(std::move(detail)) {}
    unsigned status() const { return status_; }
    const std::string& code() const { return code_; }
    const std::string& detail() const { return detail_; }

private:
    unsigned status_;
    std::string code_;
    std::string detail_;
};

// Stable refusal codes shared by several endpoints.
namespace reason {
inline constexpr const char* malformed = "malformed";        // 400: the body or query is not what the API takes
inline constexpr const char* not_found = "not-found";        // 404
inline constexpr const char* method_not_allowed = "method-not-allowed";  // 405
inline constexpr const char* too_large = "too-large";        // 413
inline constexpr const char* unauthenticated = "unauthenticated";  // 401: no or wrong credentials
}  // namespace reason

}  // namespace svp::cloud

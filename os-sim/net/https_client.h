// HTTP/1.1 over a device TLS session, with Boost.Beast doing the message framing (no
// hand-written HTTP parser). One request per connection: the device closes it afterwards.
// A response body longer than the caller allows is refused, not truncated ("endless data",
// SCENARIOS U8): the caller always names the most it will take.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "os-sim/net/tls_session.h"

namespace svp::os {

struct HttpRequest {
    std::string method = "POST";
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string content_type = "application/json";
};

struct HttpResponse {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names in lower case
    nlohmann::json json() const;  // discarded value when the body is not JSON
};

struct HttpResult {
    std::optional<HttpResponse> response;
    std::string error;  // why there is no response
};

HttpResult http_request(TlsSession& session, const std::string& host, const HttpRequest& request,
                        std::size_t max_response_bytes = 64 * 1024);

// Sends `body` as JSON to https://host/target over an open session.
HttpResult post_json(TlsSession& session, const std::string& host, const std::string& target,
                     const nlohmann::json& body, std::size_t max_response_bytes = 64 * 1024);

}  // namespace svp::os

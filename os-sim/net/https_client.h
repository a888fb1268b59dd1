// HTTP/1.1 over a device TLS session, with Boost.Beast doing the message framing (no
// hand-written HTTP parser). One request per connection: the device closes it afterwards.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "os-sim/net/tls_session.h"

namespace svp::os {

struct HttpResponse {
    int status = 0;
    std::string body;
    nlohmann::json json() const;  // discarded value when the body is not JSON
};

struct HttpResult {
    std::optional<HttpResponse> response;
    std::string error;  // why there is no response
};

// Sends `body` as JSON to https://host/target over an open session.
HttpResult post_json(TlsSession& session, const std::string& host, const std::string& target,
                     const nlohmann::json& body, std::size_t max_response_bytes = 64 * 1024);

}  // namespace svp::os

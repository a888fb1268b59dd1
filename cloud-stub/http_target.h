// The request target (RFC 9112 origin-form: "/path?query"), split into path segments and
// query parameters with percent-decoding. Strict: a malformed escape, an empty segment, a
// control character or a repeated parameter is refused (400 "malformed"), never guessed at.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace svp::cloud {

struct RequestTarget {
    std::vector<std::string> segments;          // "/admin/v1/images" -> {"admin", "v1", "images"}
    std::map<std::string, std::string> query;   // "?device=ab&limit=5"
};

// Throws ApiError(400, "malformed").
RequestTarget parse_target(std::string_view target);

}  // namespace svp::cloud

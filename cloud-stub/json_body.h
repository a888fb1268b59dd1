// Request bodies as JSON objects, parsed defensively: a body that is not a JSON object, or
// that nests deeper than any message of the API, is refused as 400 "malformed" before the
// JSON library builds anything from it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace svp::cloud {

inline constexpr int kMaxJsonDepth = 16;  // the deepest API message (a quote) nests 3 levels

// Throws ApiError(400, "malformed") naming what is wrong.
nlohmann::json parse_json_object(std::string_view body);

// Field readers that refuse (400 "malformed", naming `key`) instead of converting: a float
// where an integer belongs, a negative count, a string that is too long.
std::string required_string(const nlohmann::json& object, const char* key, std::size_t max_length);
std::int64_t required_int(const nlohmann::json& object, const char* key, std::int64_t min, std::int64_t max);
double required_finite_number(const nlohmann::json& object, const char* key);

}  // namespace svp::cloud

#include "cloud-stub/json_body.h"

#include <cmath>

#include <fmt/format.h>

#include "cloud-stub/api_types.h"

namespace svp::cloud {
namespace {

[[noreturn]] void malformed(const std::string& detail) { throw ApiError(400, reason::malformed, detail); }

// Counts bracket depth outside strings; the JSON grammar needs nothing more to bound it.
int nesting_depth(std::string_view text) {
    int depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
            if (deepest > kMaxJsonDepth) break;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return deepest;
}

const nlohmann::json& field(const nlohmann::json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end()) malformed(fmt::format("missing field '{}'", key));
    return *it;
}

}  // namespace

nlohmann::json parse_json_object(std::string_view body) {
    if (body.empty()) malformed("empty body; expected a JSON object");
    if (nesting_depth(body) > kMaxJsonDepth) malformed(fmt::format("JSON nested deeper than {} levels", kMaxJsonDepth));
    auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) malformed("body is not valid JSON");
    if (!j.is_object()) malformed("body is JSON but not an object");
    return j;
}

std::string required_string(const nlohmann::json& object, const char* key, std::size_t max_length) {
    const auto& v = field(object, key);
    if (!v.is_string()) malformed(fmt::format("'{}' must be a string", key));
    const auto& s = v.get_ref<const std::string&>();
    if (s.empty() || s.size() > max_length)
        malformed(fmt::format("'{}' must be 1 to {} characters, got {}", key, max_length, s.size()));
    return s;
}

std::int64_t required_int(const nlohmann::json& object, const char* key, std::int64_t min, std::int64_t max) {
    const auto& v = field(object, key);
    if (v.is_number_unsigned()) {
        auto u = v.get<std::uint64_t>();
        if (u <= static_cast<std::uint64_t>(max) && static_cast<std::int64_t>(u) >= min) return static_cast<std::int64_t>(u);
    } else if (v.is_number_integer()) {
        auto i = v.get<std::int64_t>();
        if (i >= min && i <= max) return i;
    } else {
        malformed(fmt::format("'{}' must be an integer", key));
    }
    malformed(fmt::format("'{}' must be in {} .. {}", key, min, max));
}

double required_finite_number(const nlohmann::json& object, const char* key) {
    const auto& v = field(object, key);
    if (!v.is_number()) malformed(fmt::format("'{}' must be a number", key));
    auto d = v.get<double>();
    if (!std::isfinite(d)) malformed(fmt::format("'{}' must be finite", key));
    return d;
}

}  // namespace svp::cloud

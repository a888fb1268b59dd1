#include "cloud-stub/admin_params.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "cloud-stub/json_body.h"
#include "common/protocol/attestation.h"
#include "common/util/input_error.h"

namespace svp::cloud {

void malformed(const std::string& detail) { throw ApiError(400, reason::malformed, detail); }

void allow_only(const RequestScope& scope, std::initializer_list<std::string_view> names) {
    for (const auto& [key, value] : scope.target.query)
        if (std::find(names.begin(), names.end(), key) == names.end())
            malformed(fmt::format("unknown query parameter '{}'", key));
}

std::size_t limit_param(const RequestScope& scope) {
    auto it = scope.target.query.find("limit");
    if (it == scope.target.query.end()) return kDefaultListLimit;
    std::size_t n = 0;
    const auto& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n == 0 || n > kMaxListLimit)
        malformed(fmt::format("limit must be an integer in 1 .. {}", kMaxListLimit));
    return n;
}

std::string checked_device_id(const std::string& id) {
    try {
        protocol::device_key_from_id(id);
    } catch (const InputError& e) {
        malformed(e.what());
    }
    return id;
}

std::string checked_name(const std::string& name, std::string_view what) {
    if (name.empty() || name.size() > kMaxNameLength)
        malformed(fmt::format("{} must be 1 to {} characters", what, kMaxNameLength));
    for (unsigned char c : name)
        if (c < 0x20 || c > 0x7E || c == '/') malformed(fmt::format("{} must be printable ASCII without '/'", what));
    if (name.front() == ' ' || name.back() == ' ') malformed(fmt::format("{} must not start or end with a space", what));
    return name;
}

nlohmann::json optional_json_object(const std::string& body) {
    if (body.empty()) return nlohmann::json::object();
    return parse_json_object(body);
}

void allow_fields(const nlohmann::json& body, std::initializer_list<std::string_view> names) {
    for (const auto& [key, value] : body.items())
        if (std::find(names.begin(), names.end(), key) == names.end())
            malformed(fmt::format("unknown field '{}'", key.substr(0, 64)));
}

}  // namespace svp::cloud

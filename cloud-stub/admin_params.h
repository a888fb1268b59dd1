// Query parameters and names the admin endpoints share, refused as 400 "malformed" (naming
// what is wrong) rather than guessed at.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cloud-stub/api_types.h"
#include "cloud-stub/service_context.h"

namespace svp::cloud {

inline constexpr std::size_t kDefaultListLimit = 100;
inline constexpr std::size_t kMaxListLimit = 100000;
inline constexpr std::size_t kMaxNameLength = 64;

[[noreturn]] void malformed(const std::string& detail);

// Refuses query parameters the endpoint does not take: a typo must not silently list everything.
void allow_only(const RequestScope& scope, std::initializer_list<std::string_view> names);
// ?limit=N, 1 .. kMaxListLimit (default kDefaultListLimit).
std::size_t limit_param(const RequestScope& scope);
// A 128-hex device id that names a P-256 point.
std::string checked_device_id(const std::string& id);
// A product or group name: 1 to 64 printable ASCII characters, not starting or ending with a space.
std::string checked_name(const std::string& name, std::string_view what);
// The request body as a JSON object; an empty body is an empty object.
nlohmann::json optional_json_object(const std::string& body);
// Refuses fields the body may not carry (a misspelt "update_polcy" must not pass silently).
void allow_fields(const nlohmann::json& body, std::initializer_list<std::string_view> names);

}  // namespace svp::cloud

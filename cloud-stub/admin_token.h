// The bearer token of the admin API: 32 random bytes in hex, in an owner-only file next to
// the database (<db>.admin-token), created on first start. Whoever can read the file can
// administer the service, as with a kubeconfig or a Docker socket.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "cloud-stub/service_random.h"

namespace svp::cloud {

class AdminToken {
public:
    static AdminToken load_or_create(const std::filesystem::path& path, ServiceRandom& random);

    // True when `authorization` is "Bearer <token>"; compared in constant time.
    bool accepts(std::string_view authorization) const;
    const std::filesystem::path& path() const { return path_; }

private:
    AdminToken(std::filesystem::path path, std::string token) : path_(std::move(path)), token_(std::move(token)) {}
    std::filesystem::path path_;
    std::string token_;
};

}  // namespace svp::cloud

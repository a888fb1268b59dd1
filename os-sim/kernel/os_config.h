// The OS's configuration, carried in the payload of the (signed, verified) OS kernel image:
// which cloud to talk to, the trusted roots for it, timers. Because it is inside the signed
// image, an attacker cannot point the device at another cloud without breaking the signature.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace svp::os {

struct OsConfig {
    std::string hostname = "sphere";
    std::string cloud_host;          // name checked against the cloud's certificate
    std::uint32_t cloud_ip = 0;      // where the device connects (the bridge maps it)
    std::uint16_t cloud_port = 443;
    std::string trusted_roots_pem;   // the cloud's root CA(s)
    std::uint64_t attestation_retry_s = 60;
    std::uint64_t attestation_period_s = 20 * 3600;  // renew well before the 24-hour expiry

    // Throws InputError naming the field on a missing or malformed value.
    static OsConfig from_json(const nlohmann::json& j);
    nlohmann::json to_json() const;
};

}  // namespace svp::os

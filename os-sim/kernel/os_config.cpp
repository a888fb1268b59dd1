#include "os-sim/kernel/os_config.h"

#include "common/util/input_error.h"
#include "models/net/host_bridge.h"

namespace svp::os {

OsConfig OsConfig::from_json(const nlohmann::json& j) {
    try {
        OsConfig c;
        c.hostname = j.value("hostname", c.hostname);
        const auto& cloud = j.at("cloud");
        c.cloud_host = cloud.at("host").get<std::string>();
        c.cloud_ip = ipv4_from_string(cloud.at("ip").get<std::string>(), "OS config cloud.ip");
        c.cloud_port = cloud.value("port", std::uint16_t{443});
        c.trusted_roots_pem = cloud.at("trusted_roots").get<std::string>();
        c.attestation_retry_s = j.value("attestation_retry_s", c.attestation_retry_s);
        c.attestation_period_s = j.value("attestation_period_s", c.attestation_period_s);
        return c;
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string("OS config: ") + e.what());
    }
}

nlohmann::json OsConfig::to_json() const {
    return {{"hostname", hostname},
            {"cloud", {{"host", cloud_host}, {"ip", ipv4_to_string(cloud_ip)}, {"port", cloud_port},
                       {"trusted_roots", trusted_roots_pem}}},
            {"attestation_retry_s", attestation_retry_s},
            {"attestation_period_s", attestation_period_s}};
}

}  // namespace svp::os

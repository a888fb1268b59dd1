// networkd: the device's network policy and its connections to the cloud.
//   - name resolution from a config file (/mnt/config/hosts: "name ip" lines), seeded at
//     first boot from the OS image's configuration (the cloud's name and the hosts table);
//   - AllowedConnections: an app may reach only hosts its manifest lists, by name or by
//     IPv4 literal (one named check, with an event naming app, capability and host);
//   - TLS to the cloud terminating on the device, mutually authenticated with the device
//     certificate whose key stays in the security subsystem (rule 7); before it uses an
//     expired certificate it has the attestation agent re-attest (SCENARIOS C6).
// It runs in the caller's process (a library of the kernel, like a daemon doing the work of
// the process that asked), so its time is charged to that process.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <systemc>

#include "os-sim/net/https_client.h"

namespace svp::os {

class Kernel;
struct Process;

class Networkd {
public:
    static constexpr const char* kHostsFile = "config/hosts";
    explicit Networkd(Kernel& kernel) : kernel_(kernel) {}

    std::optional<std::uint32_t> resolve(const std::string& host);
    // The AllowedConnections check for `p` (system processes may reach anything).
    bool check_allowed_connection(Process& p, const std::string& host, std::optional<std::uint32_t> ip);

    // One HTTPS request to the cloud on a fresh connection. With `authenticate`, mutual TLS
    // with the device certificate (re-attesting first when it has expired).
    // A non-zero `deadline` (simulated time) ends a response still arriving then.
    HttpResult cloud_request(const HttpRequest& request, bool authenticate, std::size_t max_response_bytes = 64 * 1024,
                             sc_core::sc_time deadline = sc_core::SC_ZERO_TIME);
    HttpResult cloud_post(const std::string& target, const nlohmann::json& body, bool authenticate);
    // An app's POST: DeviceAuthentication and the cloud host in AllowedConnections.
    HttpResult app_cloud_post(Process& p, const std::string& target, const nlohmann::json& body);
    // A valid device certificate, attesting first when there is none or it has expired.
    bool ensure_certificate();

private:
    void load_hosts();
    void parse_hosts(const std::string& text);
    Kernel& kernel_;
    bool loaded_ = false;
    std::map<std::string, std::uint32_t> hosts_;
};

}  // namespace svp::os

#include "os-sim/services/networkd.h"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "models/net/host_bridge.h"
#include "os-sim/kernel/kernel.h"
#include "os-sim/services/attestation_agent.h"

namespace svp::os {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::optional<std::uint32_t> ipv4_literal(const std::string& s) {
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s.front()))) return std::nullopt;
    try {
        return ipv4_from_string(s, "address");
    } catch (const sc_core::sc_unwind_exception&) {
        throw;  // the simulation is ending this thread: let it unwind
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

constexpr std::int64_t kCertificateMarginS = 60;  // renew rather than present a certificate about to expire

}  // namespace

void Networkd::load_hosts() {
    if (loaded_) return;
    // Reading and writing the flash waits; another process resolving meanwhile loads the table
    // itself rather than find it half made.
    std::string text;
    bool first_boot = false;
    if (kernel_.storage_ready())
        if (auto stored = kernel_.store().get(kHostsFile)) text.assign(stored->begin(), stored->end());
    if (text.empty()) {
        // First boot: the name table comes from the signed OS configuration.
        text = fmt::format("# name address (written at first boot from the OS configuration)\n{} {}\n",
                           kernel_.config().cloud_host, ipv4_to_string(kernel_.config().cloud_ip));
        for (const auto& [name, ip] : kernel_.config().hosts) text += fmt::format("{} {}\n", name, ipv4_to_string(ip));
        first_boot = true;
    }
    parse_hosts(text);
    loaded_ = true;
    if (first_boot && kernel_.storage_ready()) kernel_.store().put(kHostsFile, as_bytes(text));
}

void Networkd::parse_hosts(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (line.empty() || line.front() == '#') continue;
        std::istringstream fields(line);
        std::string name, address;
        fields >> name >> address;
        auto ip = ipv4_literal(address);
        if (name.empty() || !ip) {
            kernel_.klog(fmt::format("networkd: /mnt/config/hosts:{}: ignored (expected \"name address\")", n));
            continue;
        }
        hosts_[lower(name)] = *ip;
    }
}

std::optional<std::uint32_t> Networkd::resolve(const std::string& host) {
    if (auto ip = ipv4_literal(host)) return ip;
    load_hosts();
    auto it = hosts_.find(lower(host));
    if (it == hosts_.end()) return std::nullopt;
    return it->second;
}

bool Networkd::check_allowed_connection(Process& p, const std::string& host, std::optional<std::uint32_t> ip) {
    if (!p.container) return true;
    bool listed = false;
    for (const auto& allowed : p.container->manifest.caps.allowed_connections) {
        if (lower(allowed) == lower(host)) listed = true;
        // An address is allowed when it is listed, or is what a listed name resolves to.
        if (ip && ipv4_literal(host) && resolve(allowed) == ip) listed = true;
    }
    return kernel_.check_capability(p, "AllowedConnections", host, listed);
}

bool Networkd::ensure_certificate() {
    const auto now = kernel_.now_unix_s();
    if (kernel_.device_certificate() && kernel_.certificate_not_after() > now + kCertificateMarginS) return true;
    if (kernel_.device_certificate()) {
        // Offline for longer than the certificate lives (SCENARIOS C6): attest again first.
        kernel_.device().emit(ev::os_attest_expired, {{"not_after", kernel_.certificate_not_after()}});
        kernel_.klog("networkd: the device certificate has expired; re-attesting before use");
    }
    return kernel_.attestation().attest_if_needed(kCertificateMarginS);
}

HttpResult Networkd::cloud_request(const HttpRequest& request, bool authenticate, std::size_t max_response_bytes,
                                   sc_core::sc_time deadline) {
    const auto& config = kernel_.config();
    TlsSession session(kernel_.nic(), kernel_.cpu(), kernel_.cost("tls_handshake_client"));
    TlsOptions options;
    options.server_name = config.cloud_host;
    options.trusted_roots_pem = config.trusted_roots_pem;
    options.now_unix_s = kernel_.now_unix_s();
    if (authenticate) {
        if (!ensure_certificate() || !kernel_.device_key()) return {std::nullopt, "no device certificate"};
        options.client = ClientIdentity{*kernel_.device_certificate(), *kernel_.device_key(),
                                        [this](const crypto::Digest& d) -> std::optional<crypto::RawSignature> {
            auto reply = kernel_.security_call(kernel_.current(), secproto::sign_with_device_key,
                                               {{"digest", nlohmann::json::binary(std::vector<std::uint8_t>(d.begin(), d.end()))}});
            if (!reply.ok() || !reply.body.contains("signature") || !reply.body["signature"].is_binary() ||
                reply.body["signature"].get_binary().size() != 64)
                return std::nullopt;
            crypto::RawSignature s{};
            std::copy(reply.body["signature"].get_binary().begin(), reply.body["signature"].get_binary().end(), s.begin());
            return s;
        }};
    }
    const auto ip = resolve(config.cloud_host).value_or(config.cloud_ip);
    if (auto error = session.open(ip, config.cloud_port, options)) {
        kernel_.device().emit(ev::os_net_failed, {{"host", config.cloud_host}, {"port", config.cloud_port}, {"reason", *error}});
        return {std::nullopt, *error};
    }
    kernel_.device().emit(ev::os_net_connected, {{"host", config.cloud_host}, {"port", config.cloud_port},
                                                 {"tls", session.version()}, {"mutual", authenticate}});
    session.set_deadline(deadline);
    auto result = http_request(session, config.cloud_host, request, max_response_bytes);
    if (session.deadline_passed()) result = {std::nullopt, "too slow: the response was still arriving at its deadline"};
    session.close();
    return result;
}

HttpResult Networkd::cloud_post(const std::string& target, const nlohmann::json& body, bool authenticate) {
    HttpRequest r;
    r.target = target;
    r.body = body.dump();
    return cloud_request(r, authenticate);
}

HttpResult Networkd::app_cloud_post(Process& p, const std::string& target, const nlohmann::json& body) {
    const auto& host = kernel_.config().cloud_host;
    if (!check_allowed_connection(p, host, resolve(host))) return {std::nullopt, "EPERM: host not in AllowedConnections"};
    const bool granted = p.container && !p.container->manifest.caps.device_authentication.empty();
    if (!kernel_.check_capability(p, "DeviceAuthentication", "device certificate", granted))
        return {std::nullopt, "EPERM: no DeviceAuthentication capability"};
    return cloud_post(target, body, /*authenticate=*/true);
}

}  // namespace svp::os

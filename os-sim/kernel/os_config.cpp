#include "os-sim/kernel/os_config.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/util/input_error.h"
#include "models/net/host_bridge.h"

namespace svp::os {
namespace {

template <class T>
void optional_field(const nlohmann::json& j, const char* key, T& out) {
    if (!j.contains(key)) return;
    const auto& v = j[key];
    if constexpr (std::is_same_v<T, std::string>) {
        if (!v.is_string()) throw InputError(fmt::format("OS config: {} must be a string", key));
        out = v.get<std::string>();
    } else {
        if (!v.is_number_integer() || v.get<std::int64_t>() < 0)
            throw InputError(fmt::format("OS config: {} must be a non-negative integer", key));
        const auto n = v.get<std::uint64_t>();
        if (n > std::numeric_limits<T>::max()) throw InputError(fmt::format("OS config: {} is too large", key));
        out = static_cast<T>(n);
    }
}

}  // namespace

OsConfig OsConfig::from_json(const nlohmann::json& j) {
    try {
        if (!j.is_object()) throw InputError("OS config: expected a JSON object");
        OsConfig c;
        optional_field(j, "hostname", c.hostname);
        const auto& cloud = j.at("cloud");
        c.cloud_host = cloud.at("host").get<std::string>();
        c.cloud_ip = ipv4_from_string(cloud.at("ip").get<std::string>(), "OS config cloud.ip");
        c.cloud_port = cloud.value("port", std::uint16_t{443});
        c.trusted_roots_pem = cloud.at("trusted_roots").get<std::string>();
        optional_field(j, "update_keys", c.update_keys_pem);
        if (j.contains("hosts")) {
            if (!j["hosts"].is_object()) throw InputError("OS config: hosts must map names to IPv4 addresses");
            for (const auto& [name, ip] : j["hosts"].items()) {
                if (!ip.is_string()) throw InputError("OS config: hosts." + name + " must be an IPv4 address");
                c.hosts[name] = ipv4_from_string(ip.get<std::string>(), "OS config hosts." + name);
            }
        }
        if (j.contains("realtime_apps")) {
            if (!j["realtime_apps"].is_object()) throw InputError("OS config: realtime_apps must map ComponentIds to cores");
            for (const auto& [id, core] : j["realtime_apps"].items()) {
                if (!core.is_string()) throw InputError("OS config: realtime_apps." + id + " must name a core");
                std::string lower = id;
                std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
                c.realtime_apps[lower] = core.get<std::string>();
            }
        }
        optional_field(j, "attestation_retry_s", c.attestation_retry_s);
        optional_field(j, "attestation_period_s", c.attestation_period_s);
        optional_field(j, "update_period_s", c.update_period_s);
        optional_field(j, "update_retry_s", c.update_retry_s);
        optional_field(j, "update_confirm_after_s", c.update_confirm_after_s);
        optional_field(j, "download_chunk_bytes", c.download_chunk_bytes);
        optional_field(j, "download_min_bytes_per_s", c.download_min_bytes_per_s);
        optional_field(j, "download_allowance_ms", c.download_allowance_ms);
        optional_field(j, "max_update_deferral_s", c.max_update_deferral_s);
        optional_field(j, "app_memory_kib", c.app_memory_kib);
        optional_field(j, "app_max_processes", c.app_max_processes);
        optional_field(j, "app_stop_grace_ms", c.app_stop_grace_ms);
        optional_field(j, "restart_backoff_initial_ms", c.restart_backoff_initial_ms);
        optional_field(j, "restart_backoff_max_ms", c.restart_backoff_max_ms);
        optional_field(j, "restart_backoff_reset_s", c.restart_backoff_reset_s);
        optional_field(j, "security_requests_per_app", c.security_requests_per_app);
        optional_field(j, "report_upload_delay_s", c.report_upload_delay_s);
        optional_field(j, "report_queue_max", c.report_queue_max);
        optional_field(j, "panic_reboot_s", c.panic_reboot_s);
        optional_field(j, "watchdog_timeout_s", c.watchdog_timeout_s);
        if (c.watchdog_timeout_s > 64) throw InputError("OS config: watchdog_timeout_s is at most 64 (the MT3620 watchdog's range)");
        if (c.download_chunk_bytes == 0 || c.download_chunk_bytes > 64 * 1024)
            throw InputError("OS config: download_chunk_bytes must be 1 to 65536");
        if (c.restart_backoff_initial_ms == 0) throw InputError("OS config: restart_backoff_initial_ms must be positive");
        if (c.app_max_processes == 0) throw InputError("OS config: app_max_processes must be positive");
        if (c.security_requests_per_app == 0) throw InputError("OS config: security_requests_per_app must be positive");
        return c;
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string("OS config: ") + e.what());
    }
}

nlohmann::json OsConfig::to_json() const {
    nlohmann::json j = {{"hostname", hostname},
                        {"cloud", {{"host", cloud_host}, {"ip", ipv4_to_string(cloud_ip)}, {"port", cloud_port},
                                   {"trusted_roots", trusted_roots_pem}}},
                        {"attestation_retry_s", attestation_retry_s},
                        {"attestation_period_s", attestation_period_s}};
    if (!update_keys_pem.empty()) j["update_keys"] = update_keys_pem;
    if (!realtime_apps.empty()) j["realtime_apps"] = realtime_apps;
    if (!hosts.empty()) {
        nlohmann::json h = nlohmann::json::object();
        for (const auto& [name, ip] : hosts) h[name] = ipv4_to_string(ip);
        j["hosts"] = h;
    }
    const OsConfig d;
    auto put_if = [&](const char* key, std::uint64_t mine, std::uint64_t def) {
        if (mine != def) j[key] = mine;
    };
    put_if("update_period_s", update_period_s, d.update_period_s);
    put_if("update_retry_s", update_retry_s, d.update_retry_s);
    put_if("update_confirm_after_s", update_confirm_after_s, d.update_confirm_after_s);
    put_if("download_chunk_bytes", download_chunk_bytes, d.download_chunk_bytes);
    put_if("download_min_bytes_per_s", download_min_bytes_per_s, d.download_min_bytes_per_s);
    put_if("download_allowance_ms", download_allowance_ms, d.download_allowance_ms);
    put_if("max_update_deferral_s", max_update_deferral_s, d.max_update_deferral_s);
    put_if("app_memory_kib", app_memory_kib, d.app_memory_kib);
    put_if("app_max_processes", app_max_processes, d.app_max_processes);
    put_if("app_stop_grace_ms", app_stop_grace_ms, d.app_stop_grace_ms);
    put_if("restart_backoff_initial_ms", restart_backoff_initial_ms, d.restart_backoff_initial_ms);
    put_if("restart_backoff_max_ms", restart_backoff_max_ms, d.restart_backoff_max_ms);
    put_if("restart_backoff_reset_s", restart_backoff_reset_s, d.restart_backoff_reset_s);
    put_if("security_requests_per_app", security_requests_per_app, d.security_requests_per_app);
    put_if("report_upload_delay_s", report_upload_delay_s, d.report_upload_delay_s);
    put_if("report_queue_max", report_queue_max, d.report_queue_max);
    put_if("panic_reboot_s", panic_reboot_s, d.panic_reboot_s);
    put_if("watchdog_timeout_s", watchdog_timeout_s, d.watchdog_timeout_s);
    return j;
}

}  // namespace svp::os

#include "os-sim/apps/app.h"

#include <algorithm>

#include "common/util/input_error.h"
#include "os-sim/kernel/kernel.h"

namespace svp::os {

AppManifest AppManifest::from_json(const nlohmann::json& j) {
    try {
        AppManifest m;
        if (j.value("SchemaVersion", 0) != 1) throw InputError("app manifest: SchemaVersion must be 1");
        m.name = j.at("Name").get<std::string>();
        if (m.name.empty() || m.name.size() > 31) throw InputError("app manifest: Name must be 1 to 31 characters");
        m.component_id = j.at("ComponentId").get<std::string>();
        m.entry_point = j.at("EntryPoint").get<std::string>();
        m.application_type = j.value("ApplicationType", "Default");
        if (j.contains("CmdArgs")) m.cmd_args = j["CmdArgs"].get<std::vector<std::string>>();
        m.capabilities = j.value("Capabilities", nlohmann::json::object());
        if (!m.capabilities.is_object()) throw InputError("app manifest: Capabilities must be an object");
        if (m.capabilities.contains("AllowedConnections"))
            m.allowed_connections = m.capabilities["AllowedConnections"].get<std::vector<std::string>>();
        if (m.capabilities.contains("DeviceAuthentication"))
            m.device_authentication = m.capabilities["DeviceAuthentication"].get<std::string>();
        return m;
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string("app manifest: ") + e.what());
    }
}

AppContext::AppContext(Kernel& kernel, Process& process, const AppManifest& manifest)
    : kernel_(kernel), process_(process), manifest_(manifest) {}

int AppContext::pid() const { return process_.pid; }

void AppContext::log(std::string_view line) {
    kernel_.cpu().consume(kernel_.cost("syscall"));
    kernel_.console().write(manifest_.name + ": " + std::string(line) + "\n");
}

void AppContext::sleep(sc_core::sc_time duration) {
    kernel_.cpu().consume(kernel_.cost("syscall"));
    kernel_.cpu().block_for(duration);
}

void AppContext::compute(std::uint64_t cycles) { kernel_.cpu().consume(cycles); }

std::uint64_t AppContext::now_unix_ms() const { return kernel_.now_unix_ms(); }

double AppContext::uniform() { return kernel_.device().rng.uniform(); }

void AppContext::emit(const EventType& type, Fields fields) { kernel_.device().emit(type, std::move(fields)); }

bool AppContext::allowed(const std::string& capability, const std::string& resource, bool granted) {
    if (granted) return true;
    kernel_.device().emit(ev::os_capability_denied,
                          {{"app", manifest_.name}, {"capability", capability}, {"resource", resource}});
    return false;
}

HttpResult AppContext::cloud_post(const std::string& target, const nlohmann::json& body) {
    kernel_.cpu().consume(kernel_.cost("syscall"));
    const auto& host = kernel_.config().cloud_host;
    const bool host_listed = std::find(manifest_.allowed_connections.begin(), manifest_.allowed_connections.end(), host) !=
                             manifest_.allowed_connections.end();
    if (!allowed("AllowedConnections", host, host_listed)) return {std::nullopt, "EPERM: host not in AllowedConnections"};
    if (!allowed("DeviceAuthentication", "device certificate", !manifest_.device_authentication.empty()))
        return {std::nullopt, "EPERM: no DeviceAuthentication capability"};
    while (!kernel_.device_certificate()) kernel_.cpu().block_on(kernel_.certificate_changed());
    return kernel_.cloud_post(target, body, /*authenticate=*/true);
}

}  // namespace svp::os

// Apps are C++ classes, registered by entry point, that the kernel runs as processes and that
// reach the system only through AppContext: a small POSIX-like surface whose every sensitive
// call is checked against the app's manifest (default deny; EPERM plus an event).
// The seam is deliberate: a later runtime can run apps as real binaries behind the same calls.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

#include "common/events/event.h"
#include "os-sim/net/https_client.h"

namespace svp::os {

class Kernel;
struct Process;

// The parsed app_manifest.json (Azure Sphere style).
struct AppManifest {
    std::string name, component_id, entry_point, application_type = "Default";
    std::vector<std::string> cmd_args;
    std::vector<std::string> allowed_connections;
    std::string device_authentication;  // tenant id; empty = not granted
    nlohmann::json capabilities = nlohmann::json::object();
    // Throws InputError naming the field.
    static AppManifest from_json(const nlohmann::json& j);
};

class AppContext {
public:
    AppContext(Kernel& kernel, Process& process, const AppManifest& manifest);

    const AppManifest& manifest() const { return manifest_; }
    int pid() const;
    void log(std::string_view line);                 // to the console, prefixed with the app name
    void sleep(sc_core::sc_time duration);
    void compute(std::uint64_t cycles);             // time the app spends computing
    std::uint64_t now_unix_ms() const;
    double uniform();                                // the device's seeded generator
    // POST to the cloud over mutual TLS with the device certificate. Needs the
    // DeviceAuthentication capability and the cloud host in AllowedConnections.
    HttpResult cloud_post(const std::string& target, const nlohmann::json& body);
    void emit(const EventType& type, Fields fields);

private:
    bool allowed(const std::string& capability, const std::string& resource, bool granted);
    Kernel& kernel_;
    Process& process_;
    const AppManifest& manifest_;
};

class App {
public:
    virtual ~App() = default;
    virtual int main(AppContext& ctx) = 0;  // the exit status
};

using AppFactory = std::function<std::unique_ptr<App>()>;
struct AppRegistration {
    std::string entry_point;  // as in app_manifest.json: "/bin/telemetry"
    std::string summary;
    AppFactory make;
};
// Every app this OS build can run (apps/registry.cpp lists them).
const std::vector<AppRegistration>& builtin_apps();

}  // namespace svp::os

#include "os-sim/apps/manifest.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "common/util/input_error.h"

namespace svp::os {
namespace {

std::vector<std::string> string_list(const nlohmann::json& caps, const char* key) {
    const auto& v = caps.at(key);
    if (!v.is_array()) throw InputError(fmt::format("app manifest: Capabilities.{} must be a list", key));
    std::vector<std::string> out;
    for (const auto& e : v) {
        if (!e.is_string() || e.get<std::string>().empty())
            throw InputError(fmt::format("app manifest: Capabilities.{} entries must be non-empty strings", key));
        out.push_back(e.get<std::string>());
    }
    return out;
}

bool flag(const nlohmann::json& caps, const char* key) {
    const auto& v = caps.at(key);
    if (!v.is_boolean()) throw InputError(fmt::format("app manifest: Capabilities.{} must be true or false", key));
    return v.get<bool>();
}

void require_known(const std::vector<std::string>& names, const char* key) {
    for (const auto& n : names)
        if (pins_of(n).empty())
            throw InputError(fmt::format("app manifest: Capabilities.{}: no peripheral named '{}' on this device", key, n));
}

bool is_guid(const std::string& s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (s[i] == '-')) return false;
        if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
}

}  // namespace

std::vector<int> pins_of(const std::string& p) {
    auto range = [](int first, int count) {
        std::vector<int> v;
        for (int i = 0; i < count; ++i) v.push_back(first + i);
        return v;
    };
    // mt3620.json: ISU0..4 pin groups, the ADC's eight inputs, PWM controllers on GPIO0..11.
    static const std::vector<std::pair<std::string, std::vector<int>>> table = {
        {"ISU0", range(26, 5)},  {"ISU1", range(31, 5)},  {"ISU2", range(36, 5)},
        {"ISU3", range(66, 5)},  {"ISU4", range(71, 5)},  {"ADC-CONTROLLER-0", range(41, 8)},
        {"PWM-CONTROLLER-0", range(0, 4)}, {"PWM-CONTROLLER-1", range(4, 4)}, {"PWM-CONTROLLER-2", range(8, 4)},
    };
    for (const auto& [name, pins] : table)
        if (name == p) return pins;
    return {};
}

AppManifest AppManifest::from_json(const nlohmann::json& j) {
    try {
        if (!j.is_object()) throw InputError("app manifest: expected a JSON object");
        AppManifest m;
        if (j.value("SchemaVersion", 0) != 1) throw InputError("app manifest: SchemaVersion must be 1");
        m.name = j.at("Name").get<std::string>();
        if (m.name.empty() || m.name.size() > 31) throw InputError("app manifest: Name must be 1 to 31 characters");
        for (char c : m.name)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
                throw InputError("app manifest: Name may hold letters, digits, '-', '_' and '.' only");
        m.component_id = j.at("ComponentId").get<std::string>();
        if (!is_guid(m.component_id)) throw InputError("app manifest: ComponentId must be a GUID");
        m.entry_point = j.at("EntryPoint").get<std::string>();
        if (m.entry_point.empty()) throw InputError("app manifest: EntryPoint must not be empty");
        m.application_type = j.value("ApplicationType", "Default");
        if (m.application_type != "Default" && m.application_type != "RealTimeCapable")
            throw InputError("app manifest: ApplicationType must be Default or RealTimeCapable");
        if (j.contains("CmdArgs")) m.cmd_args = j["CmdArgs"].get<std::vector<std::string>>();
        m.capabilities = j.value("Capabilities", nlohmann::json::object());
        if (!m.capabilities.is_object()) throw InputError("app manifest: Capabilities must be an object");
        auto& c = m.caps;
        for (const auto& [key, value] : m.capabilities.items()) {
            if (key == "AllowedConnections") {
                c.allowed_connections = string_list(m.capabilities, "AllowedConnections");
            } else if (key == "AllowedApplicationConnections") {
                c.allowed_application_connections = string_list(m.capabilities, "AllowedApplicationConnections");
                for (const auto& id : c.allowed_application_connections)
                    if (!is_guid(id)) throw InputError("app manifest: AllowedApplicationConnections entries must be ComponentIds");
            } else if (key == "Gpio") {
                if (!value.is_array()) throw InputError("app manifest: Capabilities.Gpio must be a list of pin numbers");
                for (const auto& p : value) {
                    if (!p.is_number_integer() || p.get<long>() < 0 || p.get<long>() > kMaxGpio)
                        throw InputError(fmt::format("app manifest: Capabilities.Gpio: pin numbers are 0 to {}", kMaxGpio));
                    c.gpio.push_back(p.get<int>());
                }
            } else if (key == "Uart") {
                c.uart = string_list(m.capabilities, "Uart");
                require_known(c.uart, "Uart");
            } else if (key == "I2cMaster") {
                c.i2c_master = string_list(m.capabilities, "I2cMaster");
                require_known(c.i2c_master, "I2cMaster");
            } else if (key == "SpiMaster") {
                c.spi_master = string_list(m.capabilities, "SpiMaster");
                require_known(c.spi_master, "SpiMaster");
            } else if (key == "Adc") {
                c.adc = string_list(m.capabilities, "Adc");
                require_known(c.adc, "Adc");
            } else if (key == "Pwm") {
                c.pwm = string_list(m.capabilities, "Pwm");
                require_known(c.pwm, "Pwm");
            } else if (key == "MutableStorage") {
                if (!value.is_object() || !value.contains("SizeKB") || !value["SizeKB"].is_number_integer() ||
                    value["SizeKB"].get<std::int64_t>() < 1 || value["SizeKB"].get<std::int64_t>() > kMaxMutableStorageKib)
                    throw InputError(fmt::format("app manifest: MutableStorage.SizeKB must be 1 to {}", kMaxMutableStorageKib));
                c.mutable_storage_kib = value["SizeKB"].get<std::uint32_t>();
            } else if (key == "DeviceAuthentication") {
                if (!value.is_string() || value.get<std::string>().empty())
                    throw InputError("app manifest: DeviceAuthentication must be a tenant id");
                c.device_authentication = value.get<std::string>();
            } else if (key == "SoftwareUpdateDeferral") {
                c.software_update_deferral = flag(m.capabilities, "SoftwareUpdateDeferral");
            } else if (key == "SystemTime") {
                c.system_time = flag(m.capabilities, "SystemTime");
            } else if (key == "PowerControls") {
                c.power_controls = !string_list(m.capabilities, "PowerControls").empty();
            } else if (key == "WifiConfig") {
                c.wifi_config = flag(m.capabilities, "WifiConfig");
            } else if (key == "NetworkConfig") {
                c.network_config = flag(m.capabilities, "NetworkConfig");
            } else if (key == "SystemEventNotifications") {
                c.system_event_notifications = flag(m.capabilities, "SystemEventNotifications");
            } else {
                throw InputError(fmt::format("app manifest: unknown capability '{}' (nothing is granted that is not understood)", key));
            }
        }
        // One app cannot name the same pin twice through two capabilities either.
        std::set<std::string> seen;
        for (const auto& claim : m.claims())
            if (!seen.insert(claim).second)
                throw InputError(fmt::format("app manifest: '{}' is claimed twice (an ISU is one of UART, I2C or SPI)", claim));
        return m;
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string("app manifest: ") + e.what());
    }
}

std::vector<Resource> AppManifest::peripherals() const {
    std::vector<Resource> out;
    for (int pin : caps.gpio) out.push_back({"Gpio", fmt::format("gpio{}", pin)});
    for (const auto& n : caps.uart) out.push_back({"Uart", n});
    for (const auto& n : caps.i2c_master) out.push_back({"I2cMaster", n});
    for (const auto& n : caps.spi_master) out.push_back({"SpiMaster", n});
    for (const auto& n : caps.adc) out.push_back({"Adc", n});
    for (const auto& n : caps.pwm) out.push_back({"Pwm", n});
    return out;
}

std::vector<std::string> AppManifest::claims() const {
    std::vector<std::string> out;
    for (const auto& r : peripherals()) {
        if (r.capability == "Gpio") {
            out.push_back(r.resource);
            continue;
        }
        out.push_back(r.resource);
        for (int pin : pins_of(r.resource)) out.push_back(fmt::format("gpio{}", pin));
    }
    return out;
}

bool AppManifest::grants(const Resource& r) const {
    const auto p = peripherals();
    return std::find(p.begin(), p.end(), r) != p.end();
}

std::vector<AppFile> parse_app_files(ByteView payload) {
    if (payload.empty()) return {};
    const auto j = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("files") || !j["files"].is_array())
        throw InputError("app image: the payload is not a file table ({\"files\": [...]})");
    std::vector<AppFile> files;
    for (const auto& f : j["files"]) {
        if (!f.is_object() || !f.contains("path") || !f["path"].is_string())
            throw InputError("app image: every file needs a path");
        AppFile file;
        file.path = f["path"].get<std::string>();
        file.type = f.value("type", "file");
        static const std::set<std::string> types = {"file", "dir", "symlink", "chardev", "blockdev", "fifo", "socket"};
        if (!types.count(file.type)) throw InputError("app image: " + file.path + ": unknown file type '" + file.type + "'");
        const auto mode = f.value("mode", nlohmann::json(0644));
        if (mode.is_number_integer() && mode.get<std::int64_t>() >= 0 && mode.get<std::int64_t>() <= 07777) {
            file.mode = mode.get<std::uint32_t>();
        } else if (mode.is_string()) {
            try {
                std::size_t used = 0;
                file.mode = static_cast<std::uint32_t>(std::stoul(mode.get<std::string>(), &used, 8));
                if (used != mode.get<std::string>().size() || file.mode > 07777) throw std::invalid_argument("mode");
            } catch (const std::exception&) {
                throw InputError("app image: " + file.path + ": mode must be octal");
            }
        } else {
            throw InputError("app image: " + file.path + ": mode must be a permission number or an octal string");
        }
        files.push_back(std::move(file));
    }
    return files;
}

std::optional<std::string> check_install_policy(const AppManifest& manifest, const std::vector<AppFile>& files,
                                                std::string* detail) {
    auto refuse = [&](const char* reason, const std::string& what) -> std::optional<std::string> {
        if (detail) *detail = what;
        return std::string(reason);
    };
    if (manifest.application_type == "RealTimeCapable")
        return refuse("not-for-this-core", "RealTimeCapable apps run on the real-time cores");
    for (const auto& f : files) {
        if (f.type == "chardev" || f.type == "blockdev") return refuse("device-node", f.path);
        if (f.mode & 06000) return refuse("setuid", f.path);
    }
    if (!files.empty()) {
        auto strip = [](std::string p) { return p.starts_with('/') ? p.substr(1) : p; };
        const bool listed = std::any_of(files.begin(), files.end(), [&](const AppFile& f) {
            return f.type == "file" && strip(f.path) == strip(manifest.entry_point);
        });
        if (!listed) return refuse("entry-point-missing", manifest.entry_point);
    }
    return std::nullopt;
}

}  // namespace svp::os

// The app manifest (Azure Sphere's app_manifest.json, reference §3): who the app is, what it
// runs, and — default deny — every capability it is granted. The kernel never grants anything
// a manifest does not list; a violation is EPERM plus an os.security/capability.denied event.
//
// Peripheral capabilities name hardware the app will own. Ownership is decided per resource
// and per pin (an ISU's pins, the ADC's eight pins and a PWM controller's four pins are the
// same pins a Gpio entry could name), so two apps can never share a pin by naming it
// differently (mt3620.json pin groups, reference §1.3).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/util/bytes.h"

namespace svp::os {

// One thing an app may own or use: `capability` is the manifest key, `resource` its value as
// the kernel names it ("Gpio"/"gpio5", "Uart"/"ISU0", "Adc"/"ADC-CONTROLLER-0").
struct Resource {
    std::string capability, resource;
    bool operator==(const Resource&) const = default;
};

struct AppCapabilities {
    std::vector<std::string> allowed_connections;              // host names or IPv4 literals
    std::vector<std::string> allowed_application_connections;  // peer ComponentIds (inter-core)
    std::vector<int> gpio;
    std::vector<std::string> uart, i2c_master, spi_master;     // "ISU0".."ISU4"
    std::vector<std::string> adc, pwm;                         // "ADC-CONTROLLER-0", "PWM-CONTROLLER-0".."2"
    std::optional<std::uint32_t> mutable_storage_kib;          // MutableStorage.SizeKB
    std::string device_authentication;                         // tenant id; empty = not granted
    bool software_update_deferral = false, system_time = false, power_controls = false,
         wifi_config = false, network_config = false, system_event_notifications = false;
};

struct AppManifest {
    std::string name, component_id, entry_point, application_type = "Default";
    std::vector<std::string> cmd_args;
    AppCapabilities caps;
    nlohmann::json capabilities = nlohmann::json::object();  // as written

    // Throws InputError naming the field and what is wrong; unknown capabilities are refused
    // (fail closed), as are malformed pin numbers, peripheral names and sizes.
    static AppManifest from_json(const nlohmann::json& j);

    // The peripherals this app will own, each with the pins it occupies ("gpio26"...).
    std::vector<Resource> peripherals() const;
    // Every resource name (peripheral names and their pins) the app claims at start.
    std::vector<std::string> claims() const;
    bool grants(const Resource& r) const;
};

// The pins a peripheral occupies on an MT3620 (mt3620.json): "ISU0" -> 26..30, ...
std::vector<int> pins_of(const std::string& peripheral);
inline constexpr int kMaxGpio = 93;                 // pinctrl numbers 0..93 (reference §1.3)
inline constexpr std::uint32_t kMaxMutableStorageKib = 64;  // "64 KB mutable storage" (§1.2)

// The files an app image carries (its payload, modelling the ASXipFS file table): install
// refuses device nodes and set-uid/set-gid files (TALOS-2020-1131, SCENARIOS A4).
struct AppFile {
    std::string path, type = "file";  // file, dir, symlink, chardev, blockdev, fifo, socket
    std::uint32_t mode = 0644;
};
// Parses an app image payload: empty (no files beyond the entry point) or a JSON object
// {"files": [{"path", "type", "mode"}...]}; throws InputError otherwise.
std::vector<AppFile> parse_app_files(ByteView payload);

// The install-time policy (rule 8: one named check): the refusal reason, or nullopt.
//   "device-node"  a character or block device in the image
//   "setuid"       a file with the set-uid or set-gid bit
//   "entry-point-missing"  files are listed but the EntryPoint is not one of them
//   "not-for-this-core"    ApplicationType RealTimeCapable (those run on the RT cores)
std::optional<std::string> check_install_policy(const AppManifest& manifest, const std::vector<AppFile>& files,
                                                std::string* detail = nullptr);

}  // namespace svp::os

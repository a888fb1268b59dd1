// The app manifest (default deny, every capability understood or refused), pin-level resource
// claims, the install-time policy, and the W^X rule of the address space.
#include <catch2/catch.hpp>

#include <cerrno>

#include "common/util/input_error.h"
#include "os-sim/apps/manifest.h"
#include "os-sim/kernel/memory.h"

using namespace svp;
using namespace svp::os;

namespace {

nlohmann::json base() {
    return {{"SchemaVersion", 1}, {"Name", "app"}, {"ComponentId", "3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f1a1"},
            {"EntryPoint", "/bin/app"}, {"ApplicationType", "Default"}};
}

std::string refusal(nlohmann::json j) {
    try {
        AppManifest::from_json(j);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a manifest with no capabilities grants nothing") {
    auto m = AppManifest::from_json(base());
    CHECK(m.peripherals().empty());
    CHECK(m.caps.allowed_connections.empty());
    CHECK(m.caps.device_authentication.empty());
    CHECK_FALSE(m.caps.mutable_storage_kib);
    CHECK_FALSE(m.grants({"Gpio", "gpio5"}));
}

TEST_CASE("every Azure Sphere capability is understood") {
    auto j = base();
    j["Capabilities"] = {{"AllowedConnections", {"as3.spherevp.test", "10.0.0.9"}},
                         {"AllowedApplicationConnections", {"005180bc-402f-4cb3-a662-72937dbcde47"}},
                         {"Gpio", {5, 13}},
                         {"Uart", {"ISU0"}},
                         {"I2cMaster", {"ISU1"}},
                         {"SpiMaster", {"ISU2"}},
                         {"Adc", {"ADC-CONTROLLER-0"}},
                         {"Pwm", {"PWM-CONTROLLER-2"}},
                         {"MutableStorage", {{"SizeKB", 8}}},
                         {"DeviceAuthentication", "2a5f0c9e-0000-4000-8000-00000000beef"},
                         {"SoftwareUpdateDeferral", true},
                         {"SystemTime", true},
                         {"PowerControls", {"ForceReboot"}},
                         {"WifiConfig", true},
                         {"NetworkConfig", false},
                         {"SystemEventNotifications", true}};
    auto m = AppManifest::from_json(j);
    CHECK(m.grants({"Gpio", "gpio5"}));
    CHECK(m.grants({"Uart", "ISU0"}));
    CHECK_FALSE(m.grants({"I2cMaster", "ISU0"}));  // ISU0 is a UART here
    CHECK(*m.caps.mutable_storage_kib == 8);
    CHECK(m.caps.software_update_deferral);
    CHECK(m.caps.system_time);
    // The claims include the pins each peripheral occupies (mt3620.json).
    const auto claims = m.claims();
    CHECK(std::count(claims.begin(), claims.end(), "gpio26") == 1);  // ISU0
    CHECK(std::count(claims.begin(), claims.end(), "gpio41") == 1);  // ADC
    CHECK(std::count(claims.begin(), claims.end(), "gpio8") == 1);   // PWM-CONTROLLER-2
}

TEST_CASE("unknown or malformed capabilities are refused with the field named") {
    auto with = [](nlohmann::json caps) {
        auto j = base();
        j["Capabilities"] = caps;
        return refusal(j);
    };
    CHECK_THAT(with({{"RootShell", true}}), Catch::Contains("unknown capability 'RootShell'"));
    CHECK_THAT(with({{"Gpio", {94}}}), Catch::Contains("Gpio"));
    CHECK_THAT(with({{"Gpio", "5"}}), Catch::Contains("Gpio"));
    CHECK_THAT(with({{"Uart", {"ISU9"}}}), Catch::Contains("no peripheral named 'ISU9'"));
    CHECK_THAT(with({{"MutableStorage", {{"SizeKB", 65}}}}), Catch::Contains("SizeKB"));
    CHECK_THAT(with({{"AllowedConnections", {1}}}), Catch::Contains("AllowedConnections"));
    CHECK_THAT(with({{"AllowedApplicationConnections", {"not-a-guid"}}}), Catch::Contains("ComponentIds"));
    // The same pin named twice through two capabilities.
    CHECK_THAT(with({{"Gpio", {27}}, {"Uart", {"ISU0"}}}), Catch::Contains("gpio27"));
    CHECK_THAT(with({{"Uart", {"ISU1"}}, {"SpiMaster", {"ISU1"}}}), Catch::Contains("ISU1"));
}

TEST_CASE("a malformed manifest is an error with a reason, never a crash") {
    CHECK_THAT(refusal(nlohmann::json::array()), Catch::Contains("object"));
    auto j = base();
    j["SchemaVersion"] = 2;
    CHECK_THAT(refusal(j), Catch::Contains("SchemaVersion"));
    j = base();
    j["Name"] = std::string(32, 'a');
    CHECK_THAT(refusal(j), Catch::Contains("Name"));
    j = base();
    j["Name"] = "../etc";
    CHECK_THAT(refusal(j), Catch::Contains("Name"));
    j = base();
    j["ComponentId"] = "nope";
    CHECK_THAT(refusal(j), Catch::Contains("ComponentId"));
    j = base();
    j.erase("EntryPoint");
    CHECK_FALSE(refusal(j).empty());
    j = base();
    j["Capabilities"] = "all";
    CHECK_THAT(refusal(j), Catch::Contains("Capabilities"));
}

TEST_CASE("install refuses device nodes, set-uid files, a missing entry point and real-time apps") {
    const auto m = AppManifest::from_json(base());
    auto files = [](const std::string& json) {
        return parse_app_files(ByteView(reinterpret_cast<const std::uint8_t*>(json.data()), json.size()));
    };
    std::string detail;
    CHECK_FALSE(check_install_policy(m, {}));
    CHECK_FALSE(check_install_policy(m, files(R"({"files":[{"path":"bin/app","mode":"0755"}]})")));
    CHECK(check_install_policy(m, files(R"({"files":[{"path":"bin/app"},{"path":"dev/mtd0","type":"chardev"}]})"), &detail) ==
          "device-node");
    CHECK(detail == "dev/mtd0");
    CHECK(check_install_policy(m, files(R"({"files":[{"path":"bin/app"},{"path":"dev/sda","type":"blockdev"}]})")) == "device-node");
    CHECK(check_install_policy(m, files(R"({"files":[{"path":"bin/app","mode":"4755"}]})"), &detail) == "setuid");
    CHECK(check_install_policy(m, files(R"({"files":[{"path":"bin/app","mode":1517}]})")) == "setuid");  // 02755
    CHECK(check_install_policy(m, files(R"({"files":[{"path":"bin/other"}]})")) == "entry-point-missing");
    auto rt = base();
    rt["ApplicationType"] = "RealTimeCapable";
    CHECK(check_install_policy(AppManifest::from_json(rt), {}) == "not-for-this-core");
    CHECK_THROWS_AS(files("not json"), InputError);
    CHECK_THROWS_AS(files(R"({"files":[{"path":"x","type":"door"}]})"), InputError);
    CHECK_THROWS_AS(files(R"({"files":[{"path":"x","mode":"9z"}]})"), InputError);
}

TEST_CASE("W^X: no mapping is both writable and executable, and nothing writable becomes executable") {
    MemoryAccount account(256 * 1024);
    AddressSpace as(account);
    // Only the loader maps code (the signed image's text).
    const auto text = as.map_fixed(0x10000, 8192, prot_read | prot_exec, "/bin/app", /*loader=*/true);
    REQUIRE(text == 0x10000);
    CHECK(as.map(4096, prot_read | prot_write | prot_exec, "[anon]") == -EACCES);
    CHECK(as.map(4096, prot_read | prot_exec, "[anon]") == -EACCES);  // no unsigned code
    const auto heap = as.map(4096, prot_read | prot_write, "[heap]");
    REQUIRE(heap > 0);
    CHECK(as.protect(static_cast<std::uint64_t>(heap), 4096, prot_read | prot_exec) == -EACCES);
    CHECK(as.protect(0x10000, 8192, prot_read | prot_write | prot_exec) == -EACCES);
    // Text may become writable (then never executable again) but not both.
    CHECK(as.protect(0x10000, 8192, prot_read | prot_write) == 0);
    CHECK(as.protect(0x10000, 8192, prot_read | prot_exec) == -EACCES);
    CHECK(as.maps_text().find("00010000-00012000 rw-p") != std::string::npos);
}

TEST_CASE("an app's memory account refuses what passes its limit, and gives back what is unmapped") {
    MemoryAccount account(256 * 1024);
    AddressSpace a(account), b(account);  // two processes of one app share the account
    std::vector<std::int64_t> got;
    std::int64_t rc;
    while ((rc = a.map(16 * 1024, prot_read | prot_write, "[heap]")) > 0) got.push_back(rc);
    CHECK(rc == -ENOMEM);
    CHECK(got.size() == 16);
    CHECK(b.map(4096, prot_read | prot_write, "[heap]") == -ENOMEM);
    CHECK(account.peak() == 256 * 1024);
    REQUIRE(a.unmap(static_cast<std::uint64_t>(got.back()), 16 * 1024) == 0);
    CHECK(b.map(4096, prot_read | prot_write, "[heap]") > 0);
    a.release_all();
    CHECK(account.used() == 4096);
}

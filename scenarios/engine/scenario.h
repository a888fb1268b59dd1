// A scenario file, parsed and validated (scenarios/README.md documents the format).
// Every value keeps the line it came from, so a mistake anywhere is `file:line: what`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/util/bytes.h"

namespace svp::scenario {

struct KeySpec {
    std::string name;
    std::string file;  // PEM; empty = derived from the scenario seed and the key name
    int line = 0;
};

struct ImageSpec {
    std::string name, type, component, version = "1.0.0", key;
    std::uint32_t counter = 0;
    bool development = false;
    std::string payload_text;        // payload bytes as text
    std::uint64_t payload_size = 0;  // pad the payload to this size (bytes of 0x00)
    bool os_config = false;          // payload = the OS configuration the runner generates
    nlohmann::json manifest;         // protected area (app_manifest.json for apps)
    std::string product;             // defaults to the scenario's product
    std::uint32_t load_address = 0, entry_point = 0;
    std::string file;                // a ready image (`spherevp image pack/sign`); the other fields unused
    std::string elf;                 // rt-firmware: the payload is this ELF file (checked at load)
    std::string source;              // the scenario or fragment file it was written in
    int line = 0;
};

struct DeviceSpec {
    std::vector<std::string> trusted_keys;  // fuse slots, in order
    std::vector<std::string> revoked_keys;
    std::map<std::string, unsigned> counters;
    bool debug_locked = true;
    std::map<std::string, std::vector<std::string>> flash;  // partition -> image names (apps: several)
    std::string source;
    int line = 0;
};

struct Action {
    std::uint64_t at_ns = 0;     // when; with `after`, the delay after the trigger event
    std::string after_src, after_ev;                 // trigger: the first such event...
    std::map<std::string, std::string> after_where;  // ...whose fields match
    // tamper-flash, glitch, link, redirect-cloud, attach-debugger, debug-read-secret, reset, power-cut,
    // bus-write, bus-read, start-rt-core, stop-rt-core, uart-input, set-sensor, set-adc-input; on the cloud (is_cloud_action):
    // revoke-device, replay-attestation, clone-challenge, clone-quote
    std::string kind;
    std::string partition;
    std::uint64_t offset = 0;
    Bytes bytes;
    std::string point;   // glitch: the fault point
    unsigned nth = 1;    // glitch: strike at its nth execution from `at`
    std::string core;    // attach-debugger, start-rt-core, stop-rt-core
    // link: the NIC's link conditions from `at` on
    std::uint64_t delay_ns = 0;
    double loss = 0.0;
    bool down = false;
    std::string corrupt;  // "", "uplink" or "downlink"
    std::string to;       // redirect-cloud: "spoof" or "cloud"
    // bus-write / bus-read: one access made as `initiator` (software on that core)
    std::string initiator;
    std::uint64_t address = 0;
    std::uint32_t value = 0;
    unsigned width = 4;
    std::string reason;  // revoke-device: kept in the cloud's audit log
    // The board's world: uart-input, bytes a device wired to a UART sends it (a legacy device,
    // G1); set-sensor, the room an I2C sensor measures; set-adc-input, the voltage on an input.
    std::string peripheral;          // the uart, i2c-master or adc the action names
    std::string text;                // uart-input: the bytes
    unsigned channel = 0;            // set-sensor: the sensor's address; set-adc-input: the channel
    std::optional<double> temperature_c, humidity, mv;
    int device = -1;   // -1 = every device
    std::string source;  // the scenario or fragment file it was written in
    int line = 0;
};

// Actions done on the cloud stub over its API at the action's simulated time (the stub's clock
// reads it), each logged as sim/cloud.action {action, status, error}:
//   revoke-device        the administrator revokes the scenario's device (C5)
//   replay-attestation   an attacker resends the last quote the device signed (C2)
//   clone-challenge      a clone of the device (a copy of its fuse secret and images, so of its
//                        DICE identity) asks for a nonce in the device's name (C4) ...
//   clone-quote          ... and answers it with a quote signed by the cloned identity
inline bool is_cloud_action(const std::string& kind) {
    return kind == "revoke-device" || kind == "replay-attestation" || kind == "clone-challenge" || kind == "clone-quote";
}

struct Expectation {
    // occurs/never: decided from events; state: checked on the device at the end of the run.
    enum class Kind { occurs, never, state } kind = Kind::occurs;
    std::string state;                          // fuse-counter, boot-slot, partition-erased
    std::map<std::string, std::string> params;  // the state check's parameters
    std::string src, ev;                       // "sec.boot", "image.rejected"
    std::map<std::string, std::string> where;  // field -> expected value (as text)
    std::uint64_t within_ns = 0;               // occurs: by this time (0 = by the end)
    std::uint64_t for_ns = 0;                  // never: during [0, for) (0 = whole run)
    std::string source;
    int line = 0;
    std::string describe() const;
};

struct Scenario {
    std::string file, name, summary;
    std::vector<std::string> includes;  // every fragment file it pulled in, in order
    std::vector<std::string> tags;
    std::vector<std::string> defences;  // what it exercises (defences.def): regression power turns each off
    std::string variant = "mt3620";
    std::uint64_t seed = 1;
    std::int64_t epoch_unix_s = 1'767'225'600;  // 2026-01-01T00:00:00Z
    std::uint64_t duration_ns = 0;
    int devices = 1;
    bool cloud = true;                          // start a cloud stub for this run
    std::vector<std::string> cloud_known_good;  // image names uploaded as known-good
    std::string product;
    std::vector<KeySpec> keys;
    std::vector<ImageSpec> images;
    DeviceSpec device;
    std::vector<Action> timeline;
    std::vector<Expectation> expectations;

    const ImageSpec& image(const std::string& name) const;
};

// Throws InputError (file:line) for anything malformed or inconsistent. A scenario may
// `include:` fragments (parameterised with `with:`); an error inside one names the fragment's
// own file and line.
Scenario load(const std::string& path);

}  // namespace svp::scenario

// Device <-> cloud software updates and failure reports (the contract both sides build on;
// issues 6 and 7). Shaped after TUF/Uptane: the cloud signs what a device group should run,
// with a version that only goes up and an expiry, and the device refuses rollback, freeze,
// mix-and-match and endless data (SCENARIOS.md U6-U10).
//
// All endpoints need mutual TLS with the device certificate (the device id comes from it).
//
// POST /v1/updates/check   {"installed": [Installed...]}
//   -> 200 {"manifest": SignedManifest::to_json()}        what the device's group should run
// GET  /v1/images/{sha256}  (Range: bytes=a-b supported)  -> the signed image file, exact length
// POST /v1/reports         {"reports": [FailureReport...]} -> 200 {"accepted": n}
//
// The manifest is signed by the tenant's update key (ECDSA P-256 over SHA-256 of the
// canonical JSON of "signed": keys sorted, no spaces). The device trusts the update keys its
// OS image carries (os config "update_keys", PEM).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/crypto/ec_key.h"

namespace svp::protocol {

struct Installed {
    std::string component;    // GUID
    std::uint16_t image_type = 0;
    std::string version;      // "1.2.3"
    std::uint32_t counter = 0;
    nlohmann::json to_json() const;
    static Installed from_json(const nlohmann::json& j);  // InputError naming the field
};

struct Requirement {
    std::string component;    // GUID of the image that must be present...
    std::string min_version;  // ...at this version or newer (mix-and-match protection)
};

struct ManifestImage {
    std::string component;    // GUID
    std::uint16_t image_type = 0;
    std::string version;
    std::uint32_t counter = 0;   // the image's security counter
    std::uint64_t size = 0;      // exact length of the image file: never download more
    std::string sha256;          // hex SHA-256 of the whole image file (download name)
    std::string measurement;     // hex SHA-256 of the signed region (what attestation reports)
    std::vector<Requirement> requires_;
};

struct ManifestBody {
    std::uint64_t version = 0;   // per device group; a device never accepts a lower one
    std::int64_t expires = 0;    // Unix seconds; a device refuses an expired manifest
    std::string product;         // GUID
    std::string device_group;
    std::vector<ManifestImage> images;
    nlohmann::json to_json() const;
    static ManifestBody from_json(const nlohmann::json& j);
    // The bytes that are signed: nlohmann's compact dump of to_json() (object keys sorted).
    std::string canonical() const;
};

struct SignedManifest {
    ManifestBody body;
    crypto::Digest key_id{};          // SHA-256 of the signer's raw public key
    crypto::RawSignature signature{};  // over SHA-256(body.canonical())

    static SignedManifest sign(ManifestBody body, const crypto::EcPrivateKey& key);
    bool verify(const crypto::EcPublicKey& key) const;
    nlohmann::json to_json() const;    // {"signed": body, "key_id": hex, "signature": hex}
    static SignedManifest from_json(const nlohmann::json& j);
};

// Why a device refuses a manifest (the events and tests use these names).
enum class ManifestVerdict { accepted, untrusted_key, bad_signature, expired, rollback, wrong_product, incompatible };
std::string_view to_string(ManifestVerdict v);

struct FailureReport {
    std::uint64_t seq = 0;   // per device, increasing; the cloud stores each seq once
    std::string app;         // component name or id
    std::string kind;        // "crash", "exit", "watchdog", ...
    int status = 0;          // exit status or signal number
    std::int64_t time_ms = 0;
    std::string detail;
    nlohmann::json to_json() const;
    static FailureReport from_json(const nlohmann::json& j);
};

}  // namespace svp::protocol

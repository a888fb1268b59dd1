// Device <-> cloud attestation messages (the contract both sides build on).
//
// 1. POST /v1/attestation/challenge   {"device_id": HEX128}
//    -> 200 {"nonce": HEX64, "expires_at": UNIX_S}
// 2. POST /v1/attestation/quote       Quote::to_json()
//    -> 200 {"certificate": PEM, "serial": HEX, "not_after": UNIX_S}
//    -> 4xx {"error": REASON, "detail": TEXT}
// 3. POST /v1/telemetry (mutual TLS with the certificate from step 2)
//    {"records": [{"seq": N, "kind": TEXT, "value": NUMBER}, ...]} -> 200 {"accepted": N}
//
// The device id is the 64-byte raw device identity public key in hex (128 characters), as an
// Azure Sphere device id is derived from its key pair (reference §1.7).
// The security subsystem signs SHA-256 of Quote::to_be_signed(), a fixed binary layout, so
// JSON formatting can never change what was signed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/crypto/ec_key.h"

namespace svp::protocol {

inline constexpr std::size_t kNonceSize = 32;
inline constexpr std::size_t kMaxMeasurements = 20;  // Pluton's attestation carries up to 20

struct Measurement {
    std::uint16_t image_type = 0;  // image::ImageType of the stage
    std::string stage;             // "security-monitor", "os-kernel", ... (informative)
    std::string component;         // component GUID (informative)
    std::string version;           // "1.2.3" (informative)
    crypto::Digest digest{};       // SHA-256 of the stage's signed region (authoritative)
};

struct Quote {
    Bytes nonce;                           // 32 bytes from the cloud's challenge
    crypto::RawPublicKey device_key{};     // device identity public key
    std::vector<Measurement> measurements; // boot order
    crypto::RawSignature signature{};      // over sha256(to_be_signed())

    // "SVPQ" | u16 version=1 | u16 count | nonce[32] | device_key[64] |
    // count x (u16 image_type | u16 0 | digest[32])
    Bytes to_be_signed() const;
    crypto::Digest digest() const;

    nlohmann::json to_json() const;
    // Strict: every missing or malformed field is an InputError naming it.
    static Quote from_json(const nlohmann::json& j);
};

std::string device_id(const crypto::RawPublicKey& key);  // hex of the raw key
// Throws InputError when `id` is not 128 hex digits of a P-256 point.
crypto::RawPublicKey device_key_from_id(std::string_view id);

}  // namespace svp::protocol

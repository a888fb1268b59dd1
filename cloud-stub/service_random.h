// Where the cloud stub's random values come from. A real service draws from OpenSSL's
// generator; a scenario run (--seed N) draws each kind of value from its own seeded stream,
// so the n-th nonce or serial depends only on the seed and on how many came before it, never
// on the host (rule 2 of the design). Streams are labelled "cloud/<kind>".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/crypto/deterministic_random.h"
#include "common/crypto/ec_key.h"

namespace svp::cloud {

class ServiceRandom {
public:
    static ServiceRandom system();
    static ServiceRandom seeded(std::uint64_t seed);

    Bytes nonce();               // attestation nonce (protocol::kNonceSize bytes)
    Bytes serial();              // certificate serial: 16 bytes, positive as X.509 requires
    std::string admin_token();   // 64 hex digits
    std::string guid();          // a random (version 4) GUID, 8-4-4-4-12 lowercase hex: product ids
    // A new P-256 key for one of the service's own identities ("service-ca", "tenant-ca",
    // "server"). Seeded, each purpose has its own stream, so the PKI is the same whether it
    // was created before or after any request.
    crypto::EcPrivateKey new_key(std::string_view purpose);

    std::optional<std::uint64_t> seed() const { return seed_; }

private:
    Bytes draw(std::optional<crypto::DeterministicRandom>& stream, std::size_t n);

    std::optional<std::uint64_t> seed_;
    std::optional<crypto::DeterministicRandom> nonces_, serials_, tokens_, ids_;
};

}  // namespace svp::cloud

// A seeded random generator: the one source of randomness a simulated device may use
// (rule 2 of the design: same scenario + same seed => byte-identical event log).
// It is a ChaCha20 key stream (OpenSSL) keyed from the seed and a stream label, so several
// independent streams can come from one seed ("device-0/loss", "device-0/nonces", ...).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/crypto/openssl_util.h"
#include "common/util/bytes.h"

namespace svp::crypto {

class DeterministicRandom {
public:
    DeterministicRandom(std::uint64_t seed, std::string_view label);

    void fill(std::span<std::uint8_t> out);
    Bytes bytes(std::size_t n);
    std::uint64_t next_u64();
    // Uniform in [0, n) without modulo bias; n > 0.
    std::uint64_t below(std::uint64_t n);
    // Uniform in [0, 1).
    double uniform();

private:
    void refill();
    std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX_free>> ctx_;
    std::uint8_t block_[256];
    std::size_t used_ = sizeof block_;
};

// Makes every OpenSSL random draw in this process (TLS randoms, ECDHE shares, ECDSA nonces)
// come from a DeterministicRandom seeded with `seed`. Only scenario runs and tests call this:
// it turns real crypto into reproducible crypto, which is what a simulator needs and what a
// real service must never do.
void use_deterministic_openssl_rand(std::uint64_t seed, std::string_view label);
bool openssl_rand_is_deterministic();

}  // namespace svp::crypto

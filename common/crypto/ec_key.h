// ECDSA P-256 keys and signatures (OpenSSL). Public keys travel as 64 raw bytes X||Y and
// signatures as 64 raw bytes r||s, the shapes Azure Sphere's Pluton API uses
// (reference: pluton.h azure_sphere_ecc256_public_key, ECDSA-P256 R[32] S[32]).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "common/crypto/digest.h"
#include "common/crypto/openssl_util.h"

namespace svp::crypto {

using RawPublicKey = std::array<std::uint8_t, 64>;
using RawSignature = std::array<std::uint8_t, 64>;

class EcPublicKey {
public:
    // Throws InputError naming `what` when the bytes are not a point on P-256.
    static EcPublicKey from_raw(ByteView xy, std::string_view what = "public key");
    static EcPublicKey from_pem(std::string_view pem, std::string_view what = "public key");
    explicit EcPublicKey(PkeyPtr key);

    RawPublicKey raw() const;
    std::string pem() const;
    // SHA-256 of the raw key: the key id images and keystores refer to.
    Digest key_id() const;

    bool verify_digest(const Digest& digest, const RawSignature& sig) const;
    bool verify_digest_der(const Digest& digest, ByteView der) const;

    EVP_PKEY* get() const { return key_.get(); }

private:
    std::shared_ptr<EVP_PKEY> key_;
};

class EcPrivateKey {
public:
    static EcPrivateKey generate();
    // Deterministic key from 32 bytes of secret material (DICE-style derivation): the scalar
    // is (seed mod (n - 1)) + 1, so every seed gives a valid key.
    static EcPrivateKey from_seed(ByteView seed);
    // The key with private scalar d (32 bytes, big-endian); throws InputError unless 1 <= d < n.
    static EcPrivateKey from_scalar(ByteView d);
    static EcPrivateKey from_pem(std::string_view pem, std::string_view what = "private key");
    explicit EcPrivateKey(PkeyPtr key);

    std::string pem() const;  // PKCS#8
    // The private scalar d, 32 bytes big-endian (for loading it into a crypto engine's key port).
    Bytes scalar() const;
    EcPublicKey public_key() const;

    RawSignature sign_digest(const Digest& digest) const;
    Bytes sign_digest_der(const Digest& digest) const;

    EVP_PKEY* get() const { return key_.get(); }

private:
    std::shared_ptr<EVP_PKEY> key_;
};

Bytes signature_to_der(const RawSignature& sig);
// Throws InputError when `der` is not an ECDSA signature with 32-byte r and s.
RawSignature signature_from_der(ByteView der);

}  // namespace svp::crypto

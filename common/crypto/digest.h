// SHA-256, HMAC-SHA-256 and HKDF-SHA-256, all computed by OpenSSL.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "common/crypto/openssl_util.h"
#include "common/util/bytes.h"

namespace svp::crypto {

using Digest = std::array<std::uint8_t, 32>;

Digest sha256(ByteView data);
inline Digest sha256(std::string_view s) { return sha256(as_bytes(s)); }

// Incremental SHA-256, for streaming an image from flash in chunks.
class Sha256 {
public:
    Sha256();
    void update(ByteView data);
    Digest finish();

private:
    MdCtxPtr ctx_;
};

Digest hmac_sha256(ByteView key, ByteView data);
// RFC 5869 HKDF with SHA-256 (extract and expand).
Bytes hkdf_sha256(ByteView secret, ByteView salt, ByteView info, std::size_t length);

inline Bytes to_bytes(const Digest& d) { return Bytes(d.begin(), d.end()); }

}  // namespace svp::crypto

// AES-GCM (NIST SP 800-38D) with 128- or 256-bit keys, computed by OpenSSL. The tag is 16
// bytes. Used by the security subsystem's crypto engine.
#pragma once

#include <optional>

#include "common/util/bytes.h"

namespace svp::crypto {

struct GcmSealed {
    Bytes ciphertext;
    Bytes tag;  // 16 bytes
};

// Throws InputError for a key that is not 16 or 32 bytes or an empty IV.
GcmSealed aes_gcm_encrypt(ByteView key, ByteView iv, ByteView aad, ByteView plaintext);
// The plaintext, or nullopt when the tag does not authenticate (ciphertext, AAD, IV or key differ).
std::optional<Bytes> aes_gcm_decrypt(ByteView key, ByteView iv, ByteView aad, ByteView ciphertext, ByteView tag);

}  // namespace svp::crypto

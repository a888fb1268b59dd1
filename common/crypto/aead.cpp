#include "common/crypto/aead.h"

#include "common/crypto/openssl_util.h"
#include "common/util/input_error.h"

namespace svp::crypto {
namespace {

using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX_free>>;

const EVP_CIPHER* gcm_for(ByteView key) {
    if (key.size() == 16) return EVP_aes_128_gcm();
    if (key.size() == 32) return EVP_aes_256_gcm();
    throw InputError("AES-GCM: key of " + std::to_string(key.size()) + " bytes (expected 16 or 32)");
}

CipherCtxPtr start(ByteView key, ByteView iv, bool encrypt) {
    const EVP_CIPHER* cipher = gcm_for(key);
    if (iv.empty() || iv.size() > 128) throw InputError("AES-GCM: IV of " + std::to_string(iv.size()) + " bytes (expected 1..128)");
    CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    if (!ctx || EVP_CipherInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr, encrypt ? 1 : 0) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr) != 1 ||
        EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data(), encrypt ? 1 : 0) != 1)
        throw_openssl("AES-GCM init");
    return ctx;
}

void feed_aad(EVP_CIPHER_CTX* ctx, ByteView aad) {
    int len = 0;
    if (!aad.empty() && EVP_CipherUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
        throw_openssl("AES-GCM AAD");
}

}  // namespace

GcmSealed aes_gcm_encrypt(ByteView key, ByteView iv, ByteView aad, ByteView plaintext) {
    auto ctx = start(key, iv, true);
    feed_aad(ctx.get(), aad);
    GcmSealed out;
    out.ciphertext.resize(plaintext.size() + 16);
    int len = 0, total = 0;
    if (!plaintext.empty() &&
        EVP_EncryptUpdate(ctx.get(), out.ciphertext.data(), &len, plaintext.data(), static_cast<int>(plaintext.size())) != 1)
        throw_openssl("AES-GCM encrypt");
    total = len;
    if (EVP_EncryptFinal_ex(ctx.get(), out.ciphertext.data() + total, &len) != 1) throw_openssl("AES-GCM encrypt final");
    out.ciphertext.resize(static_cast<std::size_t>(total + len));
    out.tag.resize(16);
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, out.tag.data()) != 1) throw_openssl("AES-GCM tag");
    return out;
}

std::optional<Bytes> aes_gcm_decrypt(ByteView key, ByteView iv, ByteView aad, ByteView ciphertext, ByteView tag) {
    if (tag.size() != 16) return std::nullopt;
    auto ctx = start(key, iv, false);
    feed_aad(ctx.get(), aad);
    Bytes plain(ciphertext.size() + 16);
    int len = 0, total = 0;
    if (!ciphertext.empty() &&
        EVP_DecryptUpdate(ctx.get(), plain.data(), &len, ciphertext.data(), static_cast<int>(ciphertext.size())) != 1)
        throw_openssl("AES-GCM decrypt");
    total = len;
    Bytes t(tag.begin(), tag.end());
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, t.data()) != 1) throw_openssl("AES-GCM set tag");
    if (EVP_DecryptFinal_ex(ctx.get(), plain.data() + total, &len) != 1) {
        openssl_errors();  // an authentication failure is an answer, not a fault
        return std::nullopt;
    }
    plain.resize(static_cast<std::size_t>(total + len));
    return plain;
}

}  // namespace svp::crypto

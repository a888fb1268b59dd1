#include "common/crypto/digest.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>

namespace svp::crypto {

Digest sha256(ByteView data) {
    Sha256 h;
    h.update(data);
    return h.finish();
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
        throw_openssl("SHA-256 init");
}

void Sha256::update(ByteView data) {
    if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1)
        throw_openssl("SHA-256 update");
}

Digest Sha256::finish() {
    Digest d{};
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), d.data(), &len) != 1 || len != d.size())
        throw_openssl("SHA-256 final");
    return d;
}

Digest hmac_sha256(ByteView key, ByteView data) {
    Digest out{};
    std::size_t len = out.size();
    if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                   data.data(), data.size(), out.data(), out.size(), &len) ||
        len != out.size())
        throw_openssl("HMAC-SHA-256");
    return out;
}

Bytes hkdf_sha256(ByteView secret, ByteView salt, ByteView info, std::size_t length) {
    std::unique_ptr<EVP_KDF, Deleter<EVP_KDF_free>> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
    if (!kdf) throw_openssl("HKDF fetch");
    std::unique_ptr<EVP_KDF_CTX, Deleter<EVP_KDF_CTX_free>> ctx(EVP_KDF_CTX_new(kdf.get()));
    if (!ctx) throw_openssl("HKDF context");
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(secret.data()),
                                          secret.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()),
                                          salt.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<std::uint8_t*>(info.data()),
                                          info.size()),
        OSSL_PARAM_construct_end()};
    Bytes out(length);
    if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) throw_openssl("HKDF derive");
    return out;
}

}  // namespace svp::crypto

#include "common/crypto/ec_key.h"

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "common/util/input_error.h"

namespace svp::crypto {
namespace {

constexpr char kCurve[] = "prime256v1";

EcGroupPtr p256() {
    EcGroupPtr g(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
    if (!g) throw_openssl("P-256 group");
    return g;
}

// Builds an EVP_PKEY from an uncompressed point (and optionally a private scalar).
PkeyPtr pkey_from_parts(ByteView uncompressed_point, const BIGNUM* priv) {
    std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>> bld(OSSL_PARAM_BLD_new());
    if (!bld ||
        !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, kCurve, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                          uncompressed_point.data(), uncompressed_point.size()) ||
        (priv && !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv)))
        throw_openssl("EC key parameters");
    std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>> params(OSSL_PARAM_BLD_to_param(bld.get()));
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* key = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                          params.get()) != 1)
        return nullptr;
    return PkeyPtr(key);
}

std::shared_ptr<EVP_PKEY> share(PkeyPtr p) {
    return std::shared_ptr<EVP_PKEY>(p.release(), EVP_PKEY_free);
}

void require_p256(EVP_PKEY* key, std::string_view what) {
    char name[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
        EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) != 1 ||
        std::string_view(name) != kCurve)
        throw InputError(std::string(what) + ": not an ECDSA P-256 key");
}

bool verify_der(EVP_PKEY* key, const Digest& digest, ByteView der) {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1)
        throw_openssl("ECDSA verify init");
    int rc = EVP_PKEY_verify(ctx.get(), der.data(), der.size(), digest.data(), digest.size());
    openssl_errors();  // a bad signature leaves an error on the queue; it is an answer, not a fault
    return rc == 1;
}

}  // namespace

// ---- public key -------------------------------------------------------------------------

EcPublicKey::EcPublicKey(PkeyPtr key) : key_(share(std::move(key))) {}

EcPublicKey EcPublicKey::from_raw(ByteView xy, std::string_view what) {
    if (xy.size() != 64)
        throw InputError(std::string(what) + ": expected 64 bytes (X||Y), got " +
                         std::to_string(xy.size()));
    Bytes point{0x04};
    point.insert(point.end(), xy.begin(), xy.end());
    auto key = pkey_from_parts(point, nullptr);
    if (!key) {
        openssl_errors();
        throw InputError(std::string(what) + ": not a point on P-256");
    }
    return EcPublicKey(std::move(key));
}

EcPublicKey EcPublicKey::from_pem(std::string_view pem, std::string_view what) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key) {
        openssl_errors();
        throw InputError(std::string(what) + ": not a PEM public key");
    }
    require_p256(key.get(), what);
    return EcPublicKey(std::move(key));
}

RawPublicKey EcPublicKey::raw() const {
    std::uint8_t point[65];
    std::size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                        sizeof point, &len) != 1 ||
        len != 65 || point[0] != 0x04)
        throw_openssl("export P-256 public key");
    RawPublicKey out{};
    std::copy(point + 1, point + 65, out.begin());
    return out;
}

std::string EcPublicKey::pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) throw_openssl("write public key PEM");
    return bio_to_string(bio.get());
}

Digest EcPublicKey::key_id() const {
    auto r = raw();
    return sha256(ByteView(r));
}

bool EcPublicKey::verify_digest(const Digest& digest, const RawSignature& sig) const {
    return verify_der(key_.get(), digest, signature_to_der(sig));
}

bool EcPublicKey::verify_digest_der(const Digest& digest, ByteView der) const {
    return verify_der(key_.get(), digest, der);
}

// ---- private key ------------------------------------------------------------------------

EcPrivateKey::EcPrivateKey(PkeyPtr key) : key_(share(std::move(key))) {}

EcPrivateKey EcPrivateKey::generate() {
    PkeyPtr key(EVP_EC_gen(kCurve));
    if (!key) throw_openssl("generate P-256 key");
    return EcPrivateKey(std::move(key));
}

namespace {
EcPrivateKey key_from_valid_scalar(const EC_GROUP* group, BIGNUM* scalar, BN_CTX* bn_ctx);
}

EcPrivateKey EcPrivateKey::from_seed(ByteView seed) {
    auto group = p256();
    BnCtxPtr bn_ctx(BN_CTX_new());
    BnPtr order(BN_new()), n_minus_1(BN_new()), scalar(BN_bin2bn(seed.data(), static_cast<int>(seed.size()), nullptr));
    if (!bn_ctx || !order || !n_minus_1 || !scalar ||
        EC_GROUP_get_order(group.get(), order.get(), bn_ctx.get()) != 1 ||
        !BN_sub(n_minus_1.get(), order.get(), BN_value_one()) ||
        !BN_mod(scalar.get(), scalar.get(), n_minus_1.get(), bn_ctx.get()) ||
        !BN_add(scalar.get(), scalar.get(), BN_value_one()))
        throw_openssl("derive P-256 scalar");
    return key_from_valid_scalar(group.get(), scalar.get(), bn_ctx.get());
}

EcPrivateKey EcPrivateKey::from_scalar(ByteView d) {
    if (d.size() != 32) throw InputError("P-256 private scalar: expected 32 bytes, got " + std::to_string(d.size()));
    auto group = p256();
    BnCtxPtr bn_ctx(BN_CTX_new());
    BnPtr order(BN_new()), scalar(BN_bin2bn(d.data(), 32, nullptr));
    if (!bn_ctx || !order || !scalar || EC_GROUP_get_order(group.get(), order.get(), bn_ctx.get()) != 1)
        throw_openssl("P-256 order");
    if (BN_is_zero(scalar.get()) || BN_cmp(scalar.get(), order.get()) >= 0)
        throw InputError("P-256 private scalar: not in 1..n-1");
    return key_from_valid_scalar(group.get(), scalar.get(), bn_ctx.get());
}

Bytes EcPrivateKey::scalar() const {
    BIGNUM* d = nullptr;
    if (EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1) throw_openssl("export P-256 scalar");
    BnPtr owned(d);
    Bytes out(32);
    if (BN_bn2binpad(d, out.data(), 32) != 32) throw_openssl("encode P-256 scalar");
    return out;
}

namespace {
// The key pair of a scalar already known to lie in 1..n-1.
EcPrivateKey key_from_valid_scalar(const EC_GROUP* group, BIGNUM* scalar, BN_CTX* bn_ctx) {
    EcPointPtr pub(EC_POINT_new(group));
    if (!pub || EC_POINT_mul(group, pub.get(), scalar, nullptr, nullptr, bn_ctx) != 1)
        throw_openssl("derive P-256 public point");
    std::uint8_t point[65];
    if (EC_POINT_point2oct(group, pub.get(), POINT_CONVERSION_UNCOMPRESSED, point, sizeof point, bn_ctx) != sizeof point)
        throw_openssl("encode P-256 public point");
    auto key = pkey_from_parts(ByteView(point, sizeof point), scalar);
    if (!key) throw_openssl("build P-256 key pair");
    return EcPrivateKey(std::move(key));
}
}  // namespace

EcPrivateKey EcPrivateKey::from_pem(std::string_view pem, std::string_view what) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) {
        openssl_errors();
        throw InputError(std::string(what) + ": not a PEM private key");
    }
    require_p256(key.get(), what);
    return EcPrivateKey(std::move(key));
}

std::string EcPrivateKey::pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw_openssl("write private key PEM");
    return bio_to_string(bio.get());
}

EcPublicKey EcPrivateKey::public_key() const {
    std::uint8_t point[65];
    std::size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                        sizeof point, &len) != 1 || len != 65)
        throw_openssl("export P-256 public key");
    return EcPublicKey::from_raw(ByteView(point + 1, 64));
}

Bytes EcPrivateKey::sign_digest_der(const Digest& digest) const {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1)
        throw_openssl("ECDSA sign init");
    std::size_t len = 0;
    if (EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) != 1)
        throw_openssl("ECDSA sign size");
    Bytes der(len);
    if (EVP_PKEY_sign(ctx.get(), der.data(), &len, digest.data(), digest.size()) != 1)
        throw_openssl("ECDSA sign");
    der.resize(len);
    return der;
}

RawSignature EcPrivateKey::sign_digest(const Digest& digest) const {
    return signature_from_der(sign_digest_der(digest));
}

// ---- signature encodings ----------------------------------------------------------------

Bytes signature_to_der(const RawSignature& sig) {
    EcdsaSigPtr s(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(sig.data(), 32, nullptr);
    BIGNUM* ss = BN_bin2bn(sig.data() + 32, 32, nullptr);
    if (!s || !r || !ss || ECDSA_SIG_set0(s.get(), r, ss) != 1) {
        BN_free(r);
        BN_free(ss);
        throw_openssl("ECDSA signature encode");
    }
    int len = i2d_ECDSA_SIG(s.get(), nullptr);
    Bytes der(static_cast<std::size_t>(len));
    auto* p = der.data();
    i2d_ECDSA_SIG(s.get(), &p);
    return der;
}

RawSignature signature_from_der(ByteView der) {
    const auto* p = der.data();
    EcdsaSigPtr s(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
    if (!s || p != der.data() + der.size()) {
        openssl_errors();
        throw InputError("ECDSA signature: not a DER ECDSA-Sig-Value");
    }
    const BIGNUM *r = nullptr, *ss = nullptr;
    ECDSA_SIG_get0(s.get(), &r, &ss);
    RawSignature out{};
    if (BN_bn2binpad(r, out.data(), 32) != 32 || BN_bn2binpad(ss, out.data() + 32, 32) != 32)
        throw InputError("ECDSA signature: r or s longer than 32 bytes");
    return out;
}

}  // namespace svp::crypto

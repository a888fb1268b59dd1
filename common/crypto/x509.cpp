#include "common/crypto/x509.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/util/input_error.h"

namespace svp::crypto {
namespace {

std::string name_entry(X509_NAME* name, int nid) {
    int idx = X509_NAME_get_index_by_NID(name, nid, -1);
    if (idx < 0) return {};
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                       static_cast<std::size_t>(ASN1_STRING_length(data)));
}

std::int64_t asn1_time_to_unix(const ASN1_TIME* t) {
    struct tm tm {};
    if (ASN1_TIME_to_tm(t, &tm) != 1) throw_openssl("certificate time");
    return static_cast<std::int64_t>(timegm(&tm));
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>> ext(
        X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) throw_openssl("certificate extension");
}

}  // namespace

Certificate::Certificate(X509Ptr cert) : cert_(cert.release(), X509_free) {}

Certificate Certificate::from_pem(std::string_view pem, std::string_view what) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
        openssl_errors();
        throw InputError(std::string(what) + ": not a PEM certificate");
    }
    return Certificate(std::move(cert));
}

Certificate Certificate::from_der(ByteView der, std::string_view what) {
    const auto* p = der.data();
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert || p != der.data() + der.size()) {
        openssl_errors();
        throw InputError(std::string(what) + ": not a DER certificate");
    }
    return Certificate(std::move(cert));
}

std::string Certificate::pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_X509(bio.get(), cert_.get()) != 1) throw_openssl("write certificate PEM");
    return bio_to_string(bio.get());
}

Bytes Certificate::der() const {
    int len = i2d_X509(cert_.get(), nullptr);
    if (len <= 0) throw_openssl("certificate DER size");
    Bytes out(static_cast<std::size_t>(len));
    auto* p = out.data();
    i2d_X509(cert_.get(), &p);
    return out;
}

std::string Certificate::subject_common_name() const {
    return name_entry(X509_get_subject_name(cert_.get()), NID_commonName);
}

std::string Certificate::issuer_common_name() const {
    return name_entry(X509_get_issuer_name(cert_.get()), NID_commonName);
}

std::string Certificate::serial_hex() const {
    BnPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert_.get()), nullptr));
    if (!bn) throw_openssl("certificate serial");
    Bytes out(static_cast<std::size_t>(BN_num_bytes(bn.get())));
    BN_bn2bin(bn.get(), out.data());
    return to_hex(out);
}

std::int64_t Certificate::not_before() const { return asn1_time_to_unix(X509_get0_notBefore(cert_.get())); }
std::int64_t Certificate::not_after() const { return asn1_time_to_unix(X509_get0_notAfter(cert_.get())); }

EcPublicKey Certificate::public_key() const {
    EVP_PKEY* key = X509_get_pubkey(cert_.get());  // a new reference
    if (!key) throw_openssl("certificate public key");
    PkeyPtr owned(key);
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
        throw InputError("certificate public key: not an EC key");
    return EcPublicKey(std::move(owned));
}

bool Certificate::is_ca() const { return X509_check_ca(cert_.get()) != 0; }

Certificate issue_certificate(const CertificateRequest& request, const EcPublicKey& subject_key,
                              const EcPrivateKey& issuer_key, const Certificate* issuer) {
    X509Ptr cert(X509_new());
    if (!cert || X509_set_version(cert.get(), 2) != 1) throw_openssl("new certificate");

    BnPtr serial(BN_bin2bn(request.serial.data(), static_cast<int>(request.serial.size()), nullptr));
    if (!serial || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
        throw_openssl("certificate serial");

    if (!ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(request.not_before)) ||
        !ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(request.not_after)))
        throw_openssl("certificate validity");

    X509_NAME* subject = X509_get_subject_name(cert.get());
    auto add = [&](const char* field, const std::string& value) {
        if (!value.empty() &&
            // V_ASN1_UTF8STRING (not MBSTRING_UTF8) skips the 64-character ub-common-name check:
            // a device id is 128 hex characters, as on Azure Sphere.
            X509_NAME_add_entry_by_txt(subject, field, V_ASN1_UTF8STRING,
                                       reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) != 1)
            throw_openssl(std::string("certificate subject ") + field);
    };
    add("O", request.organization);
    add("CN", request.common_name);
    if (X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer->get()) : subject) != 1)
        throw_openssl("certificate issuer");
    if (X509_set_pubkey(cert.get(), subject_key.get()) != 1) throw_openssl("certificate key");

    X509* issuer_cert = issuer ? issuer->get() : cert.get();
    switch (request.role) {
    case CertificateRole::authority:
        add_extension(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(cert.get(), issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
        break;
    case CertificateRole::server:
        add_extension(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
        add_extension(cert.get(), issuer_cert, NID_key_usage, "critical,digitalSignature");
        add_extension(cert.get(), issuer_cert, NID_ext_key_usage, "serverAuth");
        break;
    case CertificateRole::client:
        add_extension(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
        add_extension(cert.get(), issuer_cert, NID_key_usage, "critical,digitalSignature");
        add_extension(cert.get(), issuer_cert, NID_ext_key_usage, "clientAuth");
        break;
    }
    add_extension(cert.get(), issuer_cert, NID_subject_key_identifier, "hash");
    if (issuer) add_extension(cert.get(), issuer_cert, NID_authority_key_identifier, "keyid:always");
    std::string san;
    for (const auto& d : request.dns_names) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
    for (const auto& ip : request.ip_addresses) san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
    if (!san.empty()) add_extension(cert.get(), issuer_cert, NID_subject_alt_name, san.c_str());

    if (X509_sign(cert.get(), issuer_key.get(), EVP_sha256()) <= 0) throw_openssl("sign certificate");
    return Certificate(std::move(cert));
}

std::optional<std::string> verify_certificate(const Certificate& leaf, const Certificate& root,
                                              std::int64_t at_time) {
    X509StorePtr store(X509_STORE_new());
    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!store || !ctx || X509_STORE_add_cert(store.get(), root.get()) != 1 ||
        X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) != 1)
        throw_openssl("certificate store");
    X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(at_time));
    if (X509_verify_cert(ctx.get()) == 1) return std::nullopt;
    openssl_errors();
    return std::string(X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
}

}  // namespace svp::crypto

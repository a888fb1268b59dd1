#include "cloud-stub/tls_server_context.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "common/crypto/openssl_util.h"

namespace svp::cloud {
namespace {

namespace ssl = boost::asio::ssl;

// Replaces OpenSSL's X509_verify_cert for client certificates: the same verification, but at
// the service clock read now (in a scenario, the simulated moment of the handshake).
// The anchors are the tenant CAs trusted at that moment (they change when the CA rotates and
// when a previous one retires), given as the context's trusted stack.
int verify_at_service_clock(X509_STORE_CTX* store_ctx, void* arg) {
    const auto* trust = static_cast<const TenantTrust*>(arg);
    const auto now_s = trust->clock.now_unix_s();
    X509_STORE_CTX_set_time(store_ctx, 0, static_cast<time_t>(now_s));
    STACK_OF(X509)* anchors = sk_X509_new_null();
    if (!anchors) crypto::throw_openssl("trust anchors");
    for (const auto* ca : trust->pki.tenant_anchors(now_s)) sk_X509_push(anchors, ca->get());  // borrowed
    X509_STORE_CTX_set0_trusted_stack(store_ctx, anchors);
    // OpenSSL records the context's error as the connection's verify result; a failure
    // without an error code must not read as success.
    if (X509_verify_cert(store_ctx) != 1 && X509_STORE_CTX_get_error(store_ctx) == X509_V_OK)
        X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_UNSPECIFIED);
    sk_X509_free(anchors);
    return 1;  // the endpoint decides (see the header)
}

// Per connection, before the CertificateRequest: the CA names a client should pick its
// certificate by are the anchors trusted now.
int client_ca_names_now(SSL* ssl, void* arg) {
    const auto* trust = static_cast<const TenantTrust*>(arg);
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    if (!names) return 0;
    for (const auto* ca : trust->pki.tenant_anchors(trust->clock.now_unix_s()))
        if (X509_NAME* n = X509_NAME_dup(X509_get_subject_name(ca->get()))) sk_X509_NAME_push(names, n);
    SSL_set_client_CA_list(ssl, names);  // takes ownership
    return 1;
}

}  // namespace

ssl::context make_server_tls_context(const TenantTrust& trust) {
    const auto& pki = trust.pki;
    ssl::context ctx(ssl::context::tls_server);
    SSL_CTX* native = ctx.native_handle();
    if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) crypto::throw_openssl("TLS minimum version");
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression | ssl::context::single_dh_use);
    // TLS 1.2 suites: ECDHE with AEAD only (forward secrecy; the server key is ECDSA).
    if (SSL_CTX_set_cipher_list(native, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                                        "ECDHE-ECDSA-CHACHA20-POLY1305") != 1)
        crypto::throw_openssl("TLS 1.2 cipher list");

    const auto cert_pem = pki.server_certificate().pem();
    const auto key_pem = pki.server_key().pem();
    ctx.use_certificate(boost::asio::buffer(cert_pem), ssl::context::pem);
    ctx.use_private_key(boost::asio::buffer(key_pem), ssl::context::pem);

    const auto tenant_pem = pki.tenant_ca().pem();
    ctx.add_certificate_authority(boost::asio::buffer(tenant_pem));
    // Tell clients which CA's certificates to offer (the CertificateRequest's authorities).
    if (SSL_CTX_add_client_CA(native, pki.tenant_ca().get()) != 1) crypto::throw_openssl("client CA list");
    ctx.set_verify_mode(ssl::verify_peer);  // request, not require (no verify_fail_if_no_peer_cert)
    ctx.set_verify_depth(2);
    SSL_CTX_set_cert_verify_callback(native, verify_at_service_clock, const_cast<TenantTrust*>(&trust));
    SSL_CTX_set_cert_cb(native, client_ca_names_now, const_cast<TenantTrust*>(&trust));
    return ctx;
}

PeerCertificate peer_certificate(SSL* ssl) {
    PeerCertificate peer;
    if (X509* cert = SSL_get1_peer_certificate(ssl)) {
        peer.certificate.emplace(crypto::X509Ptr(cert));
        peer.verify_error = SSL_get_verify_result(ssl);
    }
    return peer;
}

}  // namespace svp::cloud

// EC_KEY_METHOD is deprecated in OpenSSL 3 but remains the supported way to give libssl a
// key whose signing happens elsewhere without writing a provider module.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "os-sim/net/tls_session.h"

#include <cerrno>
#include <cstring>

#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/crypto/openssl_util.h"
#include "common/util/log.h"

namespace svp::os {
namespace {

int key_index() {
    static const int index = EC_KEY_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

// ECDSA signing for the device key: forwards the digest to the security subsystem.
ECDSA_SIG* sign_in_security_subsystem(const unsigned char* digest, int length, const BIGNUM*, const BIGNUM*,
                                      EC_KEY* key) {
    auto* identity = static_cast<ClientIdentity*>(EC_KEY_get_ex_data(key, key_index()));
    if (!identity || length != 32) return nullptr;
    crypto::Digest d{};
    std::memcpy(d.data(), digest, 32);
    auto sig = identity->sign(d);
    if (!sig) return nullptr;
    ECDSA_SIG* out = ECDSA_SIG_new();
    ECDSA_SIG_set0(out, BN_bin2bn(sig->data(), 32, nullptr), BN_bin2bn(sig->data() + 32, 32, nullptr));
    return out;
}

const EC_KEY_METHOD* device_key_method() {
    static EC_KEY_METHOD* method = [] {
        EC_KEY_METHOD* m = EC_KEY_METHOD_new(EC_KEY_get_default_method());
        int (*sign)(int, const unsigned char*, int, unsigned char*, unsigned int*, const BIGNUM*, const BIGNUM*,
                    EC_KEY*) = nullptr;
        int (*setup)(EC_KEY*, BN_CTX*, BIGNUM**, BIGNUM**) = nullptr;
        EC_KEY_METHOD_get_sign(m, &sign, &setup, nullptr);
        EC_KEY_METHOD_set_sign(m, sign, setup, sign_in_security_subsystem);
        return m;
    }();
    return method;
}

}  // namespace

// The BIO that carries TLS records through the NIC driver.
struct TlsBio {
    static BIO_METHOD* method() {
        static BIO_METHOD* m = [] {
            BIO_METHOD* b = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "spherevp-nic");
            BIO_meth_set_write(b, write);
            BIO_meth_set_read(b, read);
            BIO_meth_set_ctrl(b, ctrl);
            BIO_meth_set_create(b, [](BIO* bio) { BIO_set_init(bio, 1); return 1; });
            return b;
        }();
        return m;
    }
    static int write(BIO* bio, const char* data, int n) {
        auto* s = static_cast<TlsSession*>(BIO_get_data(bio));
        const long rc = s->nic_.send(s->socket_, {reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(n)});
        return rc < 0 ? -1 : static_cast<int>(rc);
    }
    static int read(BIO* bio, char* data, int n) {
        auto* s = static_cast<TlsSession*>(BIO_get_data(bio));
        if (s->deadline_ != sc_core::SC_ZERO_TIME && sc_core::sc_time_stamp() >= s->deadline_) {
            s->deadline_passed_ = true;
            return -1;
        }
        const long rc = s->nic_.recv(s->socket_, {reinterpret_cast<std::uint8_t*>(data), static_cast<std::size_t>(n)});
        if (rc == -EAGAIN) {
            // The peer will send nothing more: the socket's receive timeout runs out.
            s->cpu_.block_for(s->receive_timeout_);
            s->timed_out_ = true;
            return -1;
        }
        return rc < 0 ? -1 : static_cast<int>(rc);
    }
    static long ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }
};

struct TlsSession::Impl {
    SSL_CTX* ctx = nullptr;
    SSL* ssl = nullptr;
    ClientIdentity identity;
    ~Impl() {
        if (ssl) SSL_free(ssl);
        if (ctx) SSL_CTX_free(ctx);
    }
};

TlsSession::TlsSession(NicDriver& nic, CpuScheduler& cpu, std::uint64_t handshake_cycles)
    : nic_(nic), cpu_(cpu), handshake_cycles_(handshake_cycles) {}

TlsSession::~TlsSession() { close(); }

std::optional<std::string> TlsSession::open(std::uint32_t ip, std::uint16_t port, const TlsOptions& o) {
    close();
    impl_ = std::make_unique<Impl>();
    receive_timeout_ = o.receive_timeout;
    timed_out_ = false;
    auto& ctx = impl_->ctx;
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    // Trust exactly the roots the OS image carries.
    {
        crypto::BioPtr bio(BIO_new_mem_buf(o.trusted_roots_pem.data(), static_cast<int>(o.trusted_roots_pem.size())));
        X509_STORE* store = SSL_CTX_get_cert_store(ctx);
        int added = 0;
        while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
            X509_STORE_add_cert(store, cert);
            X509_free(cert);
            ++added;
        }
        ERR_clear_error();
        if (added == 0) return "no trusted root certificates configured";
    }
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(o.now_unix_s));
    if (o.client) {
        impl_->identity = *o.client;
        crypto::BioPtr bio(BIO_new_mem_buf(o.client->certificate_pem.data(), static_cast<int>(o.client->certificate_pem.size())));
        crypto::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (!cert) return "device certificate is not PEM";
        // A key object holding only the public half; signing is forwarded (above).
        EC_KEY* ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
        std::uint8_t point[65] = {0x04};
        std::memcpy(point + 1, o.client->public_key.data(), 64);
        EC_KEY_oct2key(ec, point, sizeof point, nullptr);
        EC_KEY_set_method(ec, device_key_method());
        EC_KEY_set_ex_data(ec, key_index(), &impl_->identity);
        EVP_PKEY* key = EVP_PKEY_new();
        EVP_PKEY_assign_EC_KEY(key, ec);
        const bool ok = SSL_CTX_use_certificate(ctx, cert.get()) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1;
        EVP_PKEY_free(key);
        if (!ok) return "device certificate does not match the device key: " + crypto::openssl_errors();
    }

    socket_ = nic_.connect(ip, port);
    if (socket_ < 0) {
        const int err = -socket_;
        socket_ = -1;
        return err == ECONNREFUSED ? std::string("connection refused") : "connect failed: " + std::string(std::strerror(err));
    }
    auto& ssl = impl_->ssl;
    ssl = SSL_new(ctx);
    SSL_set1_host(ssl, o.server_name.c_str());
    SSL_set_tlsext_host_name(ssl, o.server_name.c_str());
    BIO* bio = BIO_new(TlsBio::method());
    BIO_set_data(bio, this);
    SSL_set_bio(ssl, bio, bio);
    cpu_.consume(handshake_cycles_);
    if (SSL_connect(ssl) != 1) {
        std::string reason;
        const long verify = SSL_get_verify_result(ssl);
        if (timed_out_)
            reason = "timeout";
        else if (verify != X509_V_OK)
            reason = std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
        else
            reason = "handshake failed: " + crypto::openssl_errors();
        ERR_clear_error();
        close();
        return reason;
    }
    return std::nullopt;
}

long TlsSession::write(const void* data, std::size_t n) {
    if (!impl_ || !impl_->ssl) return -1;
    const int rc = SSL_write(impl_->ssl, data, static_cast<int>(n));
    return rc > 0 ? rc : -1;
}

long TlsSession::read(void* data, std::size_t n) {
    if (!impl_ || !impl_->ssl) return -1;
    const int rc = SSL_read(impl_->ssl, data, static_cast<int>(n));
    if (rc > 0) return rc;
    const int err = SSL_get_error(impl_->ssl, rc);
    ERR_clear_error();
    return err == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

void TlsSession::close() {
    // While a killed process unwinds (the end of a run) it may not wait: drop the session
    // without the close_notify and the NIC's close, which would both wait for the bus.
    if (sc_core::sc_is_unwinding()) {
        impl_.reset();
        socket_ = -1;
        return;
    }
    if (impl_ && impl_->ssl && socket_ >= 0) SSL_shutdown(impl_->ssl);
    impl_.reset();
    if (socket_ >= 0) nic_.close(socket_);
    socket_ = -1;
}

std::string TlsSession::version() const {
    return impl_ && impl_->ssl ? SSL_get_version(impl_->ssl) : "";
}

}  // namespace svp::os

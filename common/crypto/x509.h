// X.509 certificates (OpenSSL): the tenant CA, the cloud's server certificate and the
// short-lived device certificates the cloud issues after attestation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/crypto/ec_key.h"

namespace svp::crypto {

class Certificate {
public:
    static Certificate from_pem(std::string_view pem, std::string_view what = "certificate");
    static Certificate from_der(ByteView der, std::string_view what = "certificate");
    explicit Certificate(X509Ptr cert);

    std::string pem() const;
    Bytes der() const;
    std::string subject_common_name() const;
    std::string issuer_common_name() const;
    std::string serial_hex() const;
    std::int64_t not_before() const;  // seconds since the Unix epoch
    std::int64_t not_after() const;
    EcPublicKey public_key() const;
    bool is_ca() const;

    X509* get() const { return cert_.get(); }

private:
    std::shared_ptr<X509> cert_;
};

enum class CertificateRole { authority, server, client };

struct CertificateRequest {
    std::string common_name;
    std::string organization = "spherevp";
    CertificateRole role = CertificateRole::client;
    Bytes serial;                        // big-endian; caller supplies (from a seeded generator in a run)
    std::int64_t not_before = 0;         // seconds since the Unix epoch
    std::int64_t not_after = 0;
    std::vector<std::string> dns_names;  // subjectAltName for servers
    std::vector<std::string> ip_addresses;
};

// Issues a certificate for `subject_key`, signed with ECDSA P-256/SHA-256 by `issuer_key`.
// With no `issuer` certificate it is self-signed (the issuer is the subject).
Certificate issue_certificate(const CertificateRequest& request, const EcPublicKey& subject_key,
                              const EcPrivateKey& issuer_key, const Certificate* issuer);

// Verifies that `leaf` chains to `root` and is valid at `at_time` (seconds since the epoch).
// Returns std::nullopt on success, else OpenSSL's reason ("certificate has expired", ...).
std::optional<std::string> verify_certificate(const Certificate& leaf, const Certificate& root,
                                              std::int64_t at_time);

}  // namespace svp::crypto

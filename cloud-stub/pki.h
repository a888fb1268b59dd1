// The service's certificate authorities, kept in a directory next to the database
// (<db>.pki/) and created on first start:
//
//   service-ca  root of the service's own identity: signs the TLS server certificate. Clients
//               (devices, `cloud admin`, curl) trust it to know they talk to this service.
//   server      the TLS certificate, SAN IP:127.0.0.1 and DNS:localhost.
//   tenant-ca   signs the 24-hour device certificates issued after attestation; the HTTPS
//               server trusts it for mutual TLS (reference §4: tenant CA, 2-year lifetime).
//   update key  signs update manifests (common/protocol/updates.h). Not a certificate: the
//               device trusts the bare public key (update-key.pem), which its OS image carries.
//
// All ECDSA P-256 with SHA-256. Private keys are 0600 files. Validity is judged at the
// service clock, so under a scenario the PKI starts at the scenario's epoch.
#pragma once

#include <cstdint>
#include <filesystem>

#include "cloud-stub/service_random.h"
#include "common/crypto/x509.h"

namespace svp::cloud {

inline constexpr std::int64_t kServiceCaLifetimeS = 20LL * 365 * 86400;
inline constexpr std::int64_t kTenantCaLifetimeS = 2LL * 365 * 86400;  // reference §4
inline constexpr std::int64_t kServerCertificateLifetimeS = 365LL * 86400;
// Reissue the server certificate at start when less than this remains.
inline constexpr std::int64_t kServerCertificateRenewS = 30LL * 86400;
inline constexpr std::int64_t kDeviceCertificateLifetimeS = 24LL * 3600;  // reference §4: 24 hours

struct PkiPaths {
    std::filesystem::path dir;
    std::filesystem::path service_ca() const { return dir / "service-ca.pem"; }
    std::filesystem::path service_ca_key() const { return dir / "service-ca.key"; }
    std::filesystem::path server_cert() const { return dir / "server.pem"; }
    std::filesystem::path server_key() const { return dir / "server.key"; }
    std::filesystem::path tenant_ca() const { return dir / "tenant-ca.pem"; }
    std::filesystem::path tenant_ca_key() const { return dir / "tenant-ca.key"; }
    std::filesystem::path update_key_public() const { return dir / "update-key.pem"; }
    std::filesystem::path update_key() const { return dir / "update.key"; }
};

class ServicePki {
public:
    // Loads the PKI in `dir`, creating what is missing (the directory, both CAs, the server
    // certificate) and renewing the server certificate when it is near its end. Throws
    // InputError when a CA exists but is not valid at `now_s`.
    static ServicePki load_or_create(const std::filesystem::path& dir, std::int64_t now_s, ServiceRandom& random);

    // A device certificate: CN = the 128-hex device id, key = the device identity key,
    // valid from `now_s` for kDeviceCertificateLifetimeS, signed by the tenant CA.
    crypto::Certificate issue_device_certificate(const crypto::RawPublicKey& device_key, const Bytes& serial,
                                                 std::int64_t now_s) const;

    const PkiPaths& paths() const { return paths_; }
    const crypto::Certificate& service_ca() const { return service_ca_; }
    const crypto::Certificate& server_certificate() const { return server_cert_; }
    const crypto::EcPrivateKey& server_key() const { return server_key_; }
    const crypto::Certificate& tenant_ca() const { return tenant_ca_; }
    const crypto::EcPrivateKey& update_key() const { return update_key_; }
    bool created() const { return created_; }  // true when this start made the CAs

private:
    ServicePki(PkiPaths paths, crypto::Certificate service_ca, crypto::Certificate server_cert,
               crypto::EcPrivateKey server_key, crypto::Certificate tenant_ca, crypto::EcPrivateKey tenant_key,
               crypto::EcPrivateKey update_key, bool created);

    PkiPaths paths_;
    crypto::Certificate service_ca_;
    crypto::Certificate server_cert_;
    crypto::EcPrivateKey server_key_;
    crypto::Certificate tenant_ca_;
    crypto::EcPrivateKey tenant_key_;
    crypto::EcPrivateKey update_key_;
    bool created_;
};

}  // namespace svp::cloud

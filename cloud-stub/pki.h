// The service's certificate authorities, kept in a directory next to the database
// (<db>.pki/) and created on first start:
//
//   service-ca  root of the service's own identity: signs the TLS server certificate. Clients
//               (devices, `cloud admin`, curl) trust it to know they talk to this service.
//   server      the TLS certificate, SAN IP:127.0.0.1 and DNS:localhost.
//   tenant-ca   signs the 24-hour device certificates issued after attestation; the HTTPS
//               server trusts it for mutual TLS (reference §4: tenant CA, 2-year lifetime).
//               It can be rotated (tenant_ca_api.h): the new CA issues every certificate from
//               then on; a previous one stays a trust anchor until its overlap ends (by
//               default when the last certificate it issued expires), then is retired.
//               tenant-ca-bundle.pem holds every CA trusted now (what relying parties load).
//   update key  signs update manifests (common/protocol/updates.h). Not a certificate: the
//               device trusts the bare public key (update-key.pem), which its OS image carries.
//
// All ECDSA P-256 with SHA-256. Private keys are 0600 files. Validity is judged at the
// service clock, so under a scenario the PKI starts at the scenario's epoch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

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
    // A rotation writes the new CA here first, and renames it into place once the store has
    // committed it (a crash between the two is finished, or undone, at the next start).
    std::filesystem::path tenant_ca_next() const { return dir / "tenant-ca.pem.next"; }
    std::filesystem::path tenant_ca_key_next() const { return dir / "tenant-ca.key.next"; }
    std::filesystem::path tenant_ca_bundle() const { return dir / "tenant-ca-bundle.pem"; }
    std::filesystem::path update_key_public() const { return dir / "update-key.pem"; }
    std::filesystem::path update_key() const { return dir / "update.key"; }
};

// A tenant CA that was rotated out: still a trust anchor for device certificates until
// `retire_at_s` (service time).
struct PreviousTenantCa {
    crypto::Certificate certificate;
    std::int64_t retire_at_s = 0;
};

// A new tenant CA, written next to the PKI but not in use yet (ServicePki::activate_tenant_ca).
struct PendingTenantCa {
    crypto::Certificate certificate;
    crypto::EcPrivateKey key;
};

class ServicePki {
public:
    // Loads the PKI in `dir`, creating what is missing (the directory, both CAs, the server
    // certificate) and renewing the server certificate when it is near its end. Throws
    // InputError when a CA exists but is not valid at `now_s`. A rotation interrupted by a
    // crash is finished if `rotation_committed(serial)` says the store recorded the new CA,
    // else undone.
    static ServicePki load_or_create(const std::filesystem::path& dir, std::int64_t now_s, ServiceRandom& random,
                                     const std::function<bool(const std::string& serial)>& rotation_committed = {});

    // A device certificate: CN = the 128-hex device id, key = the device identity key,
    // valid from `now_s` for kDeviceCertificateLifetimeS, signed by the tenant CA.
    crypto::Certificate issue_device_certificate(const crypto::RawPublicKey& device_key, const Bytes& serial,
                                                 std::int64_t now_s) const;

    const PkiPaths& paths() const { return paths_; }
    const crypto::Certificate& service_ca() const { return service_ca_; }
    const crypto::Certificate& server_certificate() const { return server_cert_; }
    const crypto::EcPrivateKey& server_key() const { return server_key_; }
    const crypto::Certificate& tenant_ca() const { return tenant_ca_; }  // the active one: it issues

    // Tenant CA rotation. prepare: a new CA (its key from the stream of `generation`), written
    // to the ".next" files. activate: after the store committed it, it replaces the active CA,
    // which stays trusted until `retire_at_s`. The old private key is gone.
    PendingTenantCa prepare_tenant_ca(std::int64_t now_s, int generation, ServiceRandom& random) const;
    void activate_tenant_ca(PendingTenantCa next, std::int64_t retire_at_s, std::int64_t now_s);
    // The rotated-out CAs still trusted (from the store at start); retire() drops one.
    void set_previous_tenant_cas(std::vector<PreviousTenantCa> previous, std::int64_t now_s);
    const std::vector<PreviousTenantCa>& previous_tenant_cas() const { return previous_; }
    void retire_tenant_ca(const std::string& serial, std::int64_t now_s);
    // What a device certificate may chain to at `now_s`: the active CA and every previous one
    // whose overlap has not ended.
    std::vector<const crypto::Certificate*> tenant_anchors(std::int64_t now_s) const;
    // The PEM bundle of tenant_anchors(now_s), as written to tenant-ca-bundle.pem.
    std::string tenant_bundle_pem(std::int64_t now_s) const;
    const crypto::EcPrivateKey& update_key() const { return update_key_; }
    bool created() const { return created_; }  // true when this start made the CAs

private:
    ServicePki(PkiPaths paths, crypto::Certificate service_ca, crypto::Certificate server_cert,
               crypto::EcPrivateKey server_key, crypto::Certificate tenant_ca, crypto::EcPrivateKey tenant_key,
               crypto::EcPrivateKey update_key, bool created);

    void write_bundle(std::int64_t now_s) const;

    PkiPaths paths_;
    crypto::Certificate service_ca_;
    crypto::Certificate server_cert_;
    crypto::EcPrivateKey server_key_;
    crypto::Certificate tenant_ca_;
    crypto::EcPrivateKey tenant_key_;
    crypto::EcPrivateKey update_key_;
    std::vector<PreviousTenantCa> previous_;
    bool created_;
};

}  // namespace svp::cloud

#include "cloud-stub/pki.h"

#include <fmt/format.h>

#include "cloud-stub/secret_file.h"
#include "common/protocol/attestation.h"
#include "common/util/input_error.h"

namespace svp::cloud {
namespace {

namespace fs = std::filesystem;

struct Authority {
    crypto::Certificate cert;
    crypto::EcPrivateKey key;
};

// The serials of the service's own certificates come from a stream of their own, so creating
// the PKI does not shift the device-certificate serials of a seeded run.
Bytes pki_serial(ServiceRandom& random, std::string_view purpose) {
    if (auto seed = random.seed()) {
        auto s = crypto::DeterministicRandom(*seed, "cloud/pki/serial/" + std::string(purpose)).bytes(16);
        s[0] = static_cast<std::uint8_t>((s[0] & 0x3F) | 0x40);
        return s;
    }
    return random.serial();
}

Authority create_authority(std::string_view purpose, const std::string& common_name,
                           std::int64_t now_s, std::int64_t lifetime_s, ServiceRandom& random,
                           const fs::path& cert_path, const fs::path& key_path) {
    auto key = random.new_key(purpose);
    crypto::CertificateRequest req;
    req.common_name = common_name;
    req.role = crypto::CertificateRole::authority;
    req.serial = pki_serial(random, purpose);
    req.not_before = now_s;
    req.not_after = now_s + lifetime_s;
    auto cert = crypto::issue_certificate(req, key.public_key(), key, nullptr);
    write_secret_file(key_path, as_bytes(key.pem()));
    write_file_atomic(cert_path, as_bytes(cert.pem()));
    return {std::move(cert), std::move(key)};
}

Authority load_authority(const fs::path& cert_path, const fs::path& key_path, std::int64_t now_s) {
    auto cert = crypto::Certificate::from_pem(read_text_file(cert_path), cert_path.string());
    auto key = crypto::EcPrivateKey::from_pem(read_secret_file(key_path), key_path.string());
    if (cert.public_key().raw() != key.public_key().raw())
        throw InputError(key_path.string(), 0, "this key does not belong to " + cert_path.string());
    if (now_s < cert.not_before() || now_s > cert.not_after())
        throw InputError(cert_path.string(), 0,
                         fmt::format("certificate authority is not valid at service time {} (valid {} .. {}); "
                                     "remove {} to create a new PKI (devices must then attest again)",
                                     now_s, cert.not_before(), cert.not_after(), cert_path.parent_path().string()));
    return {std::move(cert), std::move(key)};
}

Authority issue_server_certificate(const PkiPaths& paths, const Authority& ca, std::int64_t now_s,
                                   ServiceRandom& random) {
    auto key = random.new_key("server");
    crypto::CertificateRequest req;
    req.common_name = "spherevp cloud stub";
    req.role = crypto::CertificateRole::server;
    req.serial = pki_serial(random, "server");
    req.not_before = now_s;
    // Never beyond the issuer: a chain is only as valid as its shortest link.
    req.not_after = std::min(now_s + kServerCertificateLifetimeS, ca.cert.not_after());
    // localhost for tools on this machine; the name the simulated device knows its cloud by.
    req.dns_names = {"localhost", "as3.spherevp.test"};
    req.ip_addresses = {"127.0.0.1"};
    auto cert = crypto::issue_certificate(req, key.public_key(), ca.key, &ca.cert);
    write_secret_file(paths.server_key(), as_bytes(key.pem()));
    write_file_atomic(paths.server_cert(), as_bytes(cert.pem()));
    return {std::move(cert), std::move(key)};
}

// The manifest signing key; a PKI made before manifests existed gets one at its next start.
crypto::EcPrivateKey load_or_create_update_key(const PkiPaths& paths, ServiceRandom& random) {
    if (fs::exists(paths.update_key())) {
        auto key = crypto::EcPrivateKey::from_pem(read_secret_file(paths.update_key()), paths.update_key().string());
        if (!fs::exists(paths.update_key_public())) write_file_atomic(paths.update_key_public(), as_bytes(key.public_key().pem()));
        return key;
    }
    auto key = random.new_key("update-key");
    write_secret_file(paths.update_key(), as_bytes(key.pem()));
    write_file_atomic(paths.update_key_public(), as_bytes(key.public_key().pem()));
    return key;
}

// A rotation writes the new CA to ".next" files, commits it to the store, then renames the
// files into place. After a crash: committed -> finish the renames; not -> forget the files.
void finish_or_undo_rotation(const PkiPaths& paths, const std::function<bool(const std::string&)>& committed) {
    if (!fs::exists(paths.tenant_ca_next())) {
        fs::remove(paths.tenant_ca_key_next());
        return;
    }
    auto next = crypto::Certificate::from_pem(read_text_file(paths.tenant_ca_next()), paths.tenant_ca_next().string());
    if (committed && committed(next.serial_hex())) {
        if (fs::exists(paths.tenant_ca_key_next())) fs::rename(paths.tenant_ca_key_next(), paths.tenant_ca_key());
        fs::rename(paths.tenant_ca_next(), paths.tenant_ca());
    } else {
        fs::remove(paths.tenant_ca_next());
        fs::remove(paths.tenant_ca_key_next());
    }
}

}  // namespace

ServicePki::ServicePki(PkiPaths paths, crypto::Certificate service_ca, crypto::Certificate server_cert,
                       crypto::EcPrivateKey server_key, crypto::Certificate tenant_ca, crypto::EcPrivateKey tenant_key,
                       crypto::EcPrivateKey update_key, bool created)
    : paths_(std::move(paths)), service_ca_(std::move(service_ca)), server_cert_(std::move(server_cert)),
      server_key_(std::move(server_key)), tenant_ca_(std::move(tenant_ca)), tenant_key_(std::move(tenant_key)),
      update_key_(std::move(update_key)), created_(created) {}

ServicePki ServicePki::load_or_create(const fs::path& dir, std::int64_t now_s, ServiceRandom& random,
                                      const std::function<bool(const std::string&)>& rotation_committed) {
    PkiPaths paths{fs::absolute(dir).lexically_normal()};
    fs::create_directories(paths.dir);
    fs::permissions(paths.dir, fs::perms::owner_all, fs::perm_options::replace);
    finish_or_undo_rotation(paths, rotation_committed);

    const bool have_service_ca = fs::exists(paths.service_ca());
    const bool have_tenant_ca = fs::exists(paths.tenant_ca());
    auto service_ca = have_service_ca
                          ? load_authority(paths.service_ca(), paths.service_ca_key(), now_s)
                          : create_authority("service-ca", "spherevp service root CA", now_s, kServiceCaLifetimeS,
                                             random, paths.service_ca(), paths.service_ca_key());
    auto tenant_ca = have_tenant_ca
                         ? load_authority(paths.tenant_ca(), paths.tenant_ca_key(), now_s)
                         : create_authority("tenant-ca", "spherevp tenant CA", now_s, kTenantCaLifetimeS, random,
                                            paths.tenant_ca(), paths.tenant_ca_key());

    std::optional<Authority> server;
    if (have_service_ca && fs::exists(paths.server_cert())) {
        auto cert = crypto::Certificate::from_pem(read_text_file(paths.server_cert()), paths.server_cert().string());
        auto key = crypto::EcPrivateKey::from_pem(read_secret_file(paths.server_key()), paths.server_key().string());
        const bool usable = cert.public_key().raw() == key.public_key().raw() &&
                            !crypto::verify_certificate(cert, service_ca.cert, now_s) &&
                            cert.not_after() - now_s >= kServerCertificateRenewS;
        if (usable) server.emplace(Authority{std::move(cert), std::move(key)});
    }
    if (!server) server.emplace(issue_server_certificate(paths, service_ca, now_s, random));
    auto update_key = load_or_create_update_key(paths, random);

    ServicePki pki(std::move(paths), std::move(service_ca.cert), std::move(server->cert), std::move(server->key),
                   std::move(tenant_ca.cert), std::move(tenant_ca.key), std::move(update_key),
                   !have_service_ca || !have_tenant_ca);
    pki.write_bundle(now_s);
    return pki;
}

PendingTenantCa ServicePki::prepare_tenant_ca(std::int64_t now_s, int generation, ServiceRandom& random) const {
    // Each generation has its own key stream: a seeded stub's second CA is not its first again.
    const auto purpose = fmt::format("tenant-ca/{}", generation);
    auto key = random.new_key(purpose);
    crypto::CertificateRequest req;
    req.common_name = fmt::format("spherevp tenant CA {}", generation);
    req.role = crypto::CertificateRole::authority;
    req.serial = pki_serial(random, purpose);
    req.not_before = now_s;
    req.not_after = now_s + kTenantCaLifetimeS;
    auto cert = crypto::issue_certificate(req, key.public_key(), key, nullptr);
    write_secret_file(paths_.tenant_ca_key_next(), as_bytes(key.pem()));
    write_file_atomic(paths_.tenant_ca_next(), as_bytes(cert.pem()));
    return {std::move(cert), std::move(key)};
}

void ServicePki::activate_tenant_ca(PendingTenantCa next, std::int64_t retire_at_s, std::int64_t now_s) {
    fs::rename(paths_.tenant_ca_key_next(), paths_.tenant_ca_key());
    fs::rename(paths_.tenant_ca_next(), paths_.tenant_ca());
    previous_.push_back({std::move(tenant_ca_), retire_at_s});
    tenant_ca_ = std::move(next.certificate);
    tenant_key_ = std::move(next.key);
    write_bundle(now_s);
}

void ServicePki::set_previous_tenant_cas(std::vector<PreviousTenantCa> previous, std::int64_t now_s) {
    previous_ = std::move(previous);
    write_bundle(now_s);
}

void ServicePki::retire_tenant_ca(const std::string& serial, std::int64_t now_s) {
    std::erase_if(previous_, [&](const PreviousTenantCa& p) { return p.certificate.serial_hex() == serial; });
    write_bundle(now_s);
}

std::vector<const crypto::Certificate*> ServicePki::tenant_anchors(std::int64_t now_s) const {
    std::vector<const crypto::Certificate*> out{&tenant_ca_};
    for (const auto& p : previous_)
        if (now_s < p.retire_at_s) out.push_back(&p.certificate);
    return out;
}

std::string ServicePki::tenant_bundle_pem(std::int64_t now_s) const {
    std::string pem;
    for (const auto* c : tenant_anchors(now_s)) pem += c->pem();
    return pem;
}

void ServicePki::write_bundle(std::int64_t now_s) const {
    const auto pem = tenant_bundle_pem(now_s);
    if (fs::exists(paths_.tenant_ca_bundle()) && read_text_file(paths_.tenant_ca_bundle()) == pem) return;
    write_file_atomic(paths_.tenant_ca_bundle(), as_bytes(pem));
}

crypto::Certificate ServicePki::issue_device_certificate(const crypto::RawPublicKey& device_key, const Bytes& serial,
                                                         std::int64_t now_s) const {
    crypto::CertificateRequest req;
    req.common_name = protocol::device_id(device_key);
    req.role = crypto::CertificateRole::client;
    req.serial = serial;
    req.not_before = now_s;
    req.not_after = std::min(now_s + kDeviceCertificateLifetimeS, tenant_ca_.not_after());
    return crypto::issue_certificate(req, crypto::EcPublicKey::from_raw(device_key, "device key"), tenant_key_,
                                     &tenant_ca_);
}

}  // namespace svp::cloud

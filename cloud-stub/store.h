// The cloud's durable state in one SQLite file: known-good images, devices and their
// revocation and quarantine, attestation nonces, issued certificates, telemetry, failure
// reports and the audit log. The deployment model (products, groups, deployments, OS feeds,
// signed manifests) is DeploymentStore's, in the same file.
//
// Durability: WAL journal with synchronous=FULL, so a write is on disk when its statement or
// transaction returns; the service answers a request only after that, hence no acknowledged
// write is lost to kill -9 or power loss. Every method is one statement or one transaction.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cloud-stub/sqlite_db.h"

namespace svp::cloud {

struct ImageRecord {
    std::string measurement;  // hex SHA-256 of the signed region
    int type = 0;
    std::string component;
    std::string product;
    std::string version;
    std::uint32_t security_counter = 0;
    std::uint64_t size = 0;
    std::string signer_key_id;
    std::int64_t uploaded_ns = 0;
    std::string sha256;       // hex SHA-256 of the stored file (size bytes): its download name
};

struct DeviceRecord {
    std::string device_id;
    std::optional<std::int64_t> first_seen_ns;
    std::optional<std::int64_t> last_attested_ns;
    std::optional<std::int64_t> revoked_ns;
    std::string revoke_reason;
    std::optional<std::int64_t> group_id;        // none: the default group
    std::optional<std::int64_t> quarantined_ns;
    std::string quarantine_reason;
    std::string installed;                       // JSON array from its latest update check ("" if none)
    std::optional<std::int64_t> installed_ns;
    std::uint64_t manifest_seen = 0;             // the highest manifest version it was served
    bool revoked() const { return revoked_ns.has_value(); }
    bool quarantined() const { return quarantined_ns.has_value(); }
};

struct NonceRecord {
    std::string nonce;
    std::string device_id;
    std::int64_t issued_ns = 0;
    std::int64_t expires_ns = 0;
    std::optional<std::int64_t> used_ns;
    std::int64_t issued_order = 0;   // assigned by the store ('attestation' counter)
    std::int64_t connection = 0;     // the connection it was issued on
};

// Which of the attestation rules the store enforces while it spends a nonce: both, unless a
// regression-power run switched the defence off (cloud_defences.h).
struct AttestationRules {
    bool fresh_nonce = true;  // accept_attestation: the nonce must not be spent already
    bool clone_rule = true;   // spend: overlapping attestations quarantine the device
};

// What spending a nonce found out (see CloudStore::spend_nonce).
struct NonceSpent {
    bool spent = false;               // false: already used (or never issued)
    bool cloned = false;              // the cloned-identity rule fired; the device is now quarantined
    bool newly_quarantined = false;   // ...and was not before
    std::int64_t issued_order = 0;    // of this nonce
    std::int64_t quote_order = 0;     // of this quote
    std::int64_t prior_quote_order = 0;  // of the device's previous validly signed quote (0: none)
};

struct ReportRecord {
    std::string device_id;
    std::int64_t seq = 0;
    std::string app;
    std::string kind;
    std::int64_t status = 0;
    std::int64_t time_ms = 0;
    std::string detail;
    std::int64_t received_ns = 0;
};

struct ReportsAdded {
    std::size_t added = 0;        // stored now
    std::size_t duplicates = 0;   // stored before with the same content (a resend)
    std::size_t conflicts = 0;    // stored before with different content: kept as first stored
};

struct CertificateRecord {
    std::string serial;
    std::string device_id;
    std::int64_t not_before_s = 0;
    std::int64_t not_after_s = 0;
    std::int64_t issued_ns = 0;
    std::string pem;
};

struct TelemetryRecord {
    std::string device_id;
    std::int64_t seq = 0;
    std::string kind;
    double value = 0;
    std::int64_t received_ns = 0;
};

struct AuditRecord {
    std::int64_t id = 0;  // assigned by the store
    std::int64_t at_ns = 0;
    std::string actor;
    std::string action;
    std::string subject;
    std::string outcome;  // "ok" or "refused"
    std::string reason;
    std::string detail;
};

// A tenant CA the service has used (tenant_ca_api.h).
struct TenantCaRecord {
    std::string serial;
    std::string pem;
    std::int64_t not_after_s = 0;
    std::int64_t activated_ns = 0;
    std::optional<std::int64_t> rotated_out_ns;  // none: the active CA
    std::optional<std::int64_t> retire_at_s;     // trusted until then
    std::optional<std::int64_t> retired_ns;
    std::string state() const { return !rotated_out_ns ? "active" : retired_ns ? "retired" : "trusted"; }
};

// Takes the next value of a service-wide counter (schema: counters). Call it inside the
// transaction that uses the value, so a value is never handed out twice.
std::int64_t next_counter(Database& db, std::string_view name);
// Adds an audit row (inside the caller's transaction, if any).
void insert_audit(Database& db, const AuditRecord& record);

class CloudStore {
public:
    // Opens or creates the file, sets WAL + synchronous=FULL and applies missing migrations.
    CloudStore(const std::filesystem::path& path, std::int64_t now_unix_ns);

    const std::filesystem::path& path() const { return db_.path(); }
    // The database's journal mode and synchronous level, as SQLite reports them.
    std::string journal_mode();
    int synchronous_level();
    int schema_version();

    // Images are immutable and identified by measurement: a second upload is not an error.
    // Returns false when the measurement was already present (nothing changes).
    bool add_image(const ImageRecord& image, ByteView bytes);
    std::optional<ImageRecord> find_image(std::string_view measurement);
    std::optional<ImageRecord> find_image_by_sha256(std::string_view sha256);
    std::vector<ImageRecord> images();
    // `length` bytes of the stored image file from `offset` (the caller keeps within its size).
    std::string image_bytes(std::string_view sha256, std::uint64_t offset, std::uint64_t length);

    // Records a nonce and gives it the next 'attestation' order; false (nothing stored) when
    // the nonce already exists, which a seeded stub restarted on the same database can draw.
    bool add_nonce(const NonceRecord& nonce);
    std::optional<NonceRecord> find_nonce(std::string_view nonce);
    // Marks the nonce used at `now`; false when it was already used (or never issued).
    // One UPDATE, so two quotes racing for one nonce cannot both win.
    bool consume_nonce(std::string_view nonce, std::int64_t now_ns);
    // Forgets nonces that expired before `before_ns`: a quote naming one is refused as stale
    // either way, and the table must not grow with every challenge ever asked for.
    std::int64_t purge_nonces(std::int64_t before_ns);
    // Spends the nonce for a quote of `device_id` that arrived now, in one transaction. When
    // `signature_valid` (the device's key signed this quote), the quote takes the next
    // 'attestation' order and becomes the device's latest; if the device's previous validly
    // signed quote came after this nonce was issued, two attestations of one key overlapped:
    // the cloned-identity rule fires and the device is quarantined in the same transaction.
    NonceSpent spend_nonce(std::string_view nonce, std::string_view device_id, std::int64_t now_ns, bool signature_valid,
                           std::string_view quarantine_reason, AttestationRules rules = {});
    // The order of the device key's latest validly signed quote (0: none yet).
    std::int64_t last_quote_order(std::string_view device_id);
    // A quote that passed every check, in one transaction: spends its nonce (as spend_nonce
    // with a valid signature), records the attestation and its certificate, and the audit row.
    // Returns true when this is the device's first attestation. Throws DatabaseError if the
    // nonce was spent meanwhile or the clone rule fires (the caller checked both before).
    bool accept_attestation(std::string_view nonce, std::string_view device_id, const CertificateRecord& certificate,
                            std::int64_t now_ns, const AuditRecord& audit, AttestationRules rules = {});

    std::optional<DeviceRecord> find_device(std::string_view device_id);
    std::vector<DeviceRecord> devices();
    // Records a successful attestation and its certificate in one transaction; returns true
    // when this is the device's first.
    bool record_attestation(std::string_view device_id, const CertificateRecord& certificate, std::int64_t now_ns);
    // Revokes a device (also one never seen: a leaked key can be revoked before it is used).
    // Returns false when it was already revoked (the first revocation's time and reason stay).
    bool revoke_device(std::string_view device_id, std::int64_t now_ns, std::string_view reason);
    std::vector<CertificateRecord> certificates(std::string_view device_id);
    bool certificate_exists(std::string_view serial);
    // Holds a device (also one never seen). False when it was already held (the first hold's
    // time and reason stay).
    bool quarantine_device(std::string_view device_id, std::int64_t now_ns, std::string_view reason);
    // Lifts a hold; false when the device was not held.
    bool release_device(std::string_view device_id);
    // Claims a device (also one never seen) into a device group.
    void assign_group(std::string_view device_id, std::int64_t group_id);
    // Records what a device reported installed and the manifest version it was served; writes
    // (and returns true) only when either changed (the version only goes up).
    bool record_installed(std::string_view device_id, std::string_view installed_json, std::int64_t now_ns,
                          std::uint64_t served_version = 0);

    // Stores the records not stored before (by device and seq) in one transaction; returns
    // how many were new.
    std::size_t add_telemetry(const std::vector<TelemetryRecord>& records);
    // The latest `limit` records, oldest first; an empty device means every device.
    std::vector<TelemetryRecord> telemetry(std::string_view device_id, std::size_t limit);

    // Stores the reports not stored before (by device and seq), and the audit row, in one
    // transaction.
    ReportsAdded add_reports(const std::vector<ReportRecord>& reports, const AuditRecord& audit);
    // The latest `limit` reports, oldest first; an empty device means every device.
    std::vector<ReportRecord> reports(std::string_view device_id, std::size_t limit);

    // Tenant CAs, oldest first. `register_tenant_ca` records the active CA if the store does
    // not know it (a database that predates rotation, or a new PKI); `rotate_tenant_ca`
    // replaces the active one in one transaction with its audit row.
    std::vector<TenantCaRecord> tenant_cas();
    void register_tenant_ca(const TenantCaRecord& active);
    void rotate_tenant_ca(const TenantCaRecord& next, std::int64_t retire_at_s, const AuditRecord& audit);
    void retire_tenant_ca(std::string_view serial, std::int64_t now_ns, const AuditRecord& audit);
    bool tenant_ca_active(std::string_view serial);

    void audit(AuditRecord record);
    // The latest `limit` rows, oldest first.
    std::vector<AuditRecord> audit_log(std::size_t limit);

    // For the stores that share this file (DeploymentStore).
    Database& database() { return db_; }

private:
    NonceSpent spend(std::string_view nonce, std::string_view device_id, std::int64_t now_ns, bool signature_valid,
                     std::string_view quarantine_reason, AttestationRules rules);
    bool record(std::string_view device_id, const CertificateRecord& certificate, std::int64_t now_ns);

    Database db_;
};

}  // namespace svp::cloud

// The cloud's durable state in one SQLite file: known-good images, devices and their
// revocation, attestation nonces, issued certificates, telemetry and the audit log.
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
};

struct DeviceRecord {
    std::string device_id;
    std::optional<std::int64_t> first_seen_ns;
    std::optional<std::int64_t> last_attested_ns;
    std::optional<std::int64_t> revoked_ns;
    std::string revoke_reason;
    bool revoked() const { return revoked_ns.has_value(); }
};

struct NonceRecord {
    std::string nonce;
    std::string device_id;
    std::int64_t issued_ns = 0;
    std::int64_t expires_ns = 0;
    std::optional<std::int64_t> used_ns;
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
    std::vector<ImageRecord> images();

    void add_nonce(const NonceRecord& nonce);
    std::optional<NonceRecord> find_nonce(std::string_view nonce);
    // Marks the nonce used at `now`; false when it was already used (or never issued).
    // One UPDATE, so two quotes racing for one nonce cannot both win.
    bool consume_nonce(std::string_view nonce, std::int64_t now_ns);
    // Forgets nonces that expired before `before_ns`: a quote naming one is refused as stale
    // either way, and the table must not grow with every challenge ever asked for.
    std::int64_t purge_nonces(std::int64_t before_ns);

    std::optional<DeviceRecord> find_device(std::string_view device_id);
    std::vector<DeviceRecord> devices();
    // Records a successful attestation and its certificate in one transaction; returns true
    // when this is the device's first.
    bool record_attestation(std::string_view device_id, const CertificateRecord& certificate, std::int64_t now_ns);
    // Revokes a device (also one never seen: a leaked key can be revoked before it is used).
    // Returns false when it was already revoked (the first revocation's time and reason stay).
    bool revoke_device(std::string_view device_id, std::int64_t now_ns, std::string_view reason);
    std::vector<CertificateRecord> certificates(std::string_view device_id);

    // Stores the records not stored before (by device and seq) in one transaction; returns
    // how many were new.
    std::size_t add_telemetry(const std::vector<TelemetryRecord>& records);
    // The latest `limit` records, oldest first; an empty device means every device.
    std::vector<TelemetryRecord> telemetry(std::string_view device_id, std::size_t limit);

    void audit(AuditRecord record);
    // The latest `limit` rows, oldest first.
    std::vector<AuditRecord> audit_log(std::size_t limit);

private:
    Database db_;
};

}  // namespace svp::cloud

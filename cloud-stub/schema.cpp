#include "cloud-stub/schema.h"

#include <fmt/format.h>

namespace svp::cloud {
namespace {

// Times are integers in Unix nanoseconds of the service clock (*_ns) or, where they mirror a
// certificate field, Unix seconds (*_s). Hex text is lowercase.
constexpr Migration kMigrations[] = {
    {1, "images, devices, nonces, certificates, telemetry, audit", R"sql(
CREATE TABLE images (
    measurement      TEXT PRIMARY KEY,   -- SHA-256 of the signed region (common/image)
    type             INTEGER NOT NULL,   -- image::ImageType
    component        TEXT NOT NULL,      -- GUID
    product          TEXT NOT NULL,      -- GUID
    version          TEXT NOT NULL,      -- MAJOR.MINOR.PATCH
    security_counter INTEGER NOT NULL,
    size             INTEGER NOT NULL,   -- bytes of the signed image (trailing bytes dropped)
    signer_key_id    TEXT NOT NULL,
    uploaded_ns      INTEGER NOT NULL,
    bytes            BLOB NOT NULL       -- the image itself, for the deployments that serve it
);
CREATE TABLE devices (
    device_id        TEXT PRIMARY KEY,   -- 128 hex digits: the raw identity public key
    first_seen_ns    INTEGER,            -- first successful attestation; NULL if never attested
    last_attested_ns INTEGER,
    revoked_ns       INTEGER,            -- NULL while the device is in good standing
    revoke_reason    TEXT
);
CREATE TABLE nonces (
    nonce            TEXT PRIMARY KEY,   -- 64 hex digits
    device_id        TEXT NOT NULL,
    issued_ns        INTEGER NOT NULL,
    expires_ns       INTEGER NOT NULL,
    used_ns          INTEGER             -- set once, by the first quote that names the nonce
);
CREATE INDEX nonces_by_expiry ON nonces(expires_ns);
CREATE TABLE certificates (
    serial           TEXT PRIMARY KEY,
    device_id        TEXT NOT NULL,
    not_before_s     INTEGER NOT NULL,
    not_after_s      INTEGER NOT NULL,
    issued_ns        INTEGER NOT NULL,
    pem              TEXT NOT NULL
);
CREATE INDEX certificates_by_device ON certificates(device_id);
CREATE TABLE telemetry (
    device_id        TEXT NOT NULL,
    seq              INTEGER NOT NULL,   -- the device's record number: a resend is not stored twice
    kind             TEXT NOT NULL,
    value            REAL NOT NULL,
    received_ns      INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq)
);
CREATE TABLE audit (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ns            INTEGER NOT NULL,
    actor            TEXT NOT NULL,      -- a device id, "admin", or "anonymous"
    action           TEXT NOT NULL,      -- "attest", "telemetry", "image.upload", ...
    subject          TEXT NOT NULL,      -- what the action was about (device, measurement, path)
    outcome          TEXT NOT NULL,      -- "ok" or "refused"
    reason           TEXT NOT NULL,      -- the refusal's code ("" when ok)
    detail           TEXT NOT NULL
);
)sql"},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return kMigrations[std::size(kMigrations) - 1].version; }

int schema_version(Database& db) {
    db.exec("CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ns INTEGER NOT NULL)");
    auto text = db.query_text("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    return text.empty() ? 0 : std::stoi(text);
}

int migrate(Database& db, std::int64_t now_unix_ns) {
    const int current = schema_version(db);
    if (current > latest_schema_version())
        throw DatabaseError(fmt::format("{}: schema version {} is newer than this spherevp knows ({}); "
                                        "use a newer spherevp or another --db",
                                        db.path().string(), current, latest_schema_version()));
    int applied = 0;
    for (const auto& m : kMigrations) {
        if (m.version <= current) continue;
        Transaction tx(db);
        db.exec(m.sql);
        db.prepare("INSERT INTO schema_version(version, name, applied_ns) VALUES (?1, ?2, ?3)")
            .bind(1, std::int64_t{m.version})
            .bind(2, m.name)
            .bind(3, now_unix_ns)
            .run();
        tx.commit();
        ++applied;
    }
    return applied;
}

}  // namespace svp::cloud

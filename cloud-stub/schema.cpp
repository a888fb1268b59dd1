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
    {2, "deployments, OS feeds, signed manifests, failure reports, quarantine, clone evidence", R"sql(
-- Service-wide counters that only go up (never reused, even after rows are deleted):
--   'attestation'  orders nonce issues and quote arrivals (the cloned-identity rule)
--   'manifest'     manifest versions: one sequence for every group, so a device moved to
--                  another group never sees a lower version than it already trusts
CREATE TABLE counters (
    name             TEXT PRIMARY KEY,
    value            INTEGER NOT NULL
);
INSERT INTO counters(name, value) VALUES ('attestation', 0), ('manifest', 0);
CREATE TABLE settings (
    name             TEXT PRIMARY KEY,   -- 'default_group': where unclaimed devices land
    value            TEXT NOT NULL
);
CREATE TABLE products (
    product_id       TEXT PRIMARY KEY,   -- GUID, as in the image header's product id
    name             TEXT NOT NULL UNIQUE,
    description      TEXT NOT NULL,
    created_ns       INTEGER NOT NULL
);
CREATE TABLE device_groups (
    group_id         INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id       TEXT NOT NULL REFERENCES products(product_id),
    name             TEXT NOT NULL,
    os_feed          TEXT NOT NULL CHECK (os_feed IN ('Retail', 'RetailEval')),
    update_policy    TEXT NOT NULL CHECK (update_policy IN ('UpdateAll', 'No3rdPartyAppUpdates', 'NoUpdates')),
    manifest_lifetime_s INTEGER NOT NULL,
    frozen           INTEGER NOT NULL DEFAULT 0,  -- 1: the manifest is no longer re-signed (it expires)
    created_ns       INTEGER NOT NULL,
    UNIQUE (product_id, name)
);
-- Devices not claimed into a product get the Retail OS feed and nothing else.
INSERT INTO products(product_id, name, description, created_ns)
    VALUES ('00000000-0000-0000-0000-000000000000', 'Unassigned', 'devices not claimed into a product', 0);
INSERT INTO device_groups(product_id, name, os_feed, update_policy, manifest_lifetime_s, created_ns)
    VALUES ('00000000-0000-0000-0000-000000000000', 'Unassigned', 'Retail', 'No3rdPartyAppUpdates', 604800, 0);
INSERT INTO settings(name, value) VALUES ('default_group', CAST(last_insert_rowid() AS TEXT));
CREATE TABLE deployments (
    deployment_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id         INTEGER NOT NULL REFERENCES device_groups(group_id),
    version          INTEGER NOT NULL,   -- 1, 2, 3 ... per group; the latest is the group's
    created_ns       INTEGER NOT NULL,
    UNIQUE (group_id, version)
);
CREATE TABLE deployment_images (
    deployment_id    INTEGER NOT NULL REFERENCES deployments(deployment_id),
    position         INTEGER NOT NULL,
    measurement      TEXT NOT NULL REFERENCES images(measurement),
    requires         TEXT NOT NULL,      -- JSON [{"component", "min_version"}]
    PRIMARY KEY (deployment_id, position)
);
CREATE TABLE os_releases (
    release_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    feed             TEXT NOT NULL CHECK (feed IN ('Retail', 'RetailEval')),
    version          INTEGER NOT NULL,   -- 1, 2, 3 ... per feed; the latest is the feed's
    created_ns       INTEGER NOT NULL,
    UNIQUE (feed, version)
);
CREATE TABLE os_release_images (
    release_id       INTEGER NOT NULL REFERENCES os_releases(release_id),
    position         INTEGER NOT NULL,
    measurement      TEXT NOT NULL REFERENCES images(measurement),
    PRIMARY KEY (release_id, position)
);
-- Every manifest ever signed, exactly as served (replay scenarios fetch old ones).
CREATE TABLE manifests (
    version          INTEGER PRIMARY KEY,
    group_id         INTEGER NOT NULL REFERENCES device_groups(group_id),
    expires_s        INTEGER NOT NULL,
    signed_ns        INTEGER NOT NULL,
    content          TEXT NOT NULL,      -- what it says apart from version and expiry: re-sign when it changes
    json             TEXT NOT NULL       -- the SignedManifest as served
);
CREATE INDEX manifests_by_group ON manifests(group_id, version);
CREATE TABLE manifest_images (
    version          INTEGER NOT NULL REFERENCES manifests(version),
    sha256           TEXT NOT NULL,      -- a device of the group may download this image
    PRIMARY KEY (version, sha256)
);
CREATE INDEX manifest_images_by_sha256 ON manifest_images(sha256);
CREATE TABLE reports (
    device_id        TEXT NOT NULL,
    seq              INTEGER NOT NULL,   -- the device's report number: a resend is stored once
    app              TEXT NOT NULL,
    kind             TEXT NOT NULL,
    status           INTEGER NOT NULL,
    time_ms          INTEGER NOT NULL,
    detail           TEXT NOT NULL,
    received_ns      INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq)
);
ALTER TABLE images ADD COLUMN sha256 TEXT;           -- SHA-256 of the stored file: its download name
CREATE UNIQUE INDEX images_by_sha256 ON images(sha256);
ALTER TABLE devices ADD COLUMN group_id INTEGER REFERENCES device_groups(group_id);  -- NULL: the default group
ALTER TABLE devices ADD COLUMN quarantined_ns INTEGER;  -- NULL unless held (cloned identity, or an operator)
ALTER TABLE devices ADD COLUMN quarantine_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN installed TEXT;        -- JSON the device reported at its latest update check
ALTER TABLE devices ADD COLUMN installed_ns INTEGER;
-- The cloned-identity rule: per device key, the 'attestation' order of its latest validly
-- signed quote (kept apart from devices, which lists only devices that attested or were acted on).
CREATE TABLE key_quotes (
    device_id        TEXT PRIMARY KEY,
    last_quote_order INTEGER NOT NULL
);
ALTER TABLE nonces ADD COLUMN issued_order INTEGER;   -- 'attestation' counter when issued
ALTER TABLE nonces ADD COLUMN connection INTEGER;     -- the connection it was issued on (audit detail)
)sql"},
    {3, "staged rollouts, install outcomes, per-device manifest high-water, tenant CA history", R"sql(
-- A deployment rolled out in phases (U12). Absent: the deployment went to the whole group at once.
CREATE TABLE rollouts (
    deployment_id    INTEGER PRIMARY KEY REFERENCES deployments(deployment_id),
    phases           TEXT NOT NULL,      -- JSON [percent...], ascending, the last 100
    phase            INTEGER NOT NULL,   -- index of the current phase
    failure_threshold_percent INTEGER NOT NULL,
    min_outcomes     INTEGER NOT NULL,   -- outcomes needed before the threshold is judged
    state            TEXT NOT NULL CHECK (state IN ('rolling', 'complete', 'halted')),
    changed_ns       INTEGER NOT NULL,   -- when state or phase last changed
    halt_reason      TEXT NOT NULL DEFAULT ''
);
-- What each device reported about installing a rollout's deployment; a failure is never
-- overwritten by a later success (a crash after a confirmed install still counts).
CREATE TABLE rollout_outcomes (
    deployment_id    INTEGER NOT NULL REFERENCES deployments(deployment_id),
    device_id        TEXT NOT NULL,
    outcome          TEXT NOT NULL CHECK (outcome IN ('success', 'failed-to-confirm', 'crash-after-update')),
    phase            INTEGER NOT NULL,   -- the rollout's phase when it was reported
    reported_ns      INTEGER NOT NULL,
    PRIMARY KEY (deployment_id, device_id)
);
-- Which deployment a manifest offers (0: none). A group in a rollout has one line of manifests
-- per deployment offered; each is re-signed when its content changes, as before.
ALTER TABLE manifests ADD COLUMN deployment_id INTEGER NOT NULL DEFAULT 0;
-- The highest manifest version a device was served: a device moving between a rollout's lines
-- must never be offered a lower version than it has seen (it would refuse it as a rollback).
ALTER TABLE devices ADD COLUMN manifest_seen INTEGER NOT NULL DEFAULT 0;
-- Every tenant CA the service has used. The active one has rotated_out_ns NULL; a rotated-out
-- one stays a trust anchor for device certificates until retire_at_s, then is retired.
CREATE TABLE tenant_cas (
    serial           TEXT PRIMARY KEY,
    pem              TEXT NOT NULL,
    not_after_s      INTEGER NOT NULL,
    activated_ns     INTEGER NOT NULL,
    rotated_out_ns   INTEGER,
    retire_at_s      INTEGER,
    retired_ns       INTEGER
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

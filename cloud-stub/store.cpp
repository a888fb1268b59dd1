#include "cloud-stub/store.h"

#include "cloud-stub/schema.h"
#include "common/crypto/digest.h"

namespace svp::cloud {
namespace {

constexpr std::string_view kImageColumns =
    "measurement, type, component, product, version, security_counter, size, signer_key_id, uploaded_ns, sha256";

ImageRecord read_image(const Statement& s) {
    ImageRecord r;
    r.measurement = s.text(0);
    r.type = static_cast<int>(s.int64(1));
    r.component = s.text(2);
    r.product = s.text(3);
    r.version = s.text(4);
    r.security_counter = static_cast<std::uint32_t>(s.int64(5));
    r.size = static_cast<std::uint64_t>(s.int64(6));
    r.signer_key_id = s.text(7);
    r.uploaded_ns = s.int64(8);
    r.sha256 = s.text(9);
    return r;
}

constexpr std::string_view kDeviceColumns =
    "device_id, first_seen_ns, last_attested_ns, revoked_ns, revoke_reason, group_id, quarantined_ns, "
    "quarantine_reason, installed, installed_ns, manifest_seen";

DeviceRecord read_device(const Statement& s) {
    DeviceRecord d;
    d.device_id = s.text(0);
    d.first_seen_ns = s.optional_int64(1);
    d.last_attested_ns = s.optional_int64(2);
    d.revoked_ns = s.optional_int64(3);
    d.revoke_reason = s.text(4);
    d.group_id = s.optional_int64(5);
    d.quarantined_ns = s.optional_int64(6);
    d.quarantine_reason = s.text(7);
    d.installed = s.text(8);
    d.installed_ns = s.optional_int64(9);
    d.manifest_seen = static_cast<std::uint64_t>(s.int64(10));
    return d;
}

void ensure_device(Database& db, std::string_view device_id) {
    db.prepare("INSERT OR IGNORE INTO devices(device_id) VALUES (?1)").bind(1, device_id).run();
}

std::string sha256_hex(ByteView bytes) { return to_hex(ByteView(crypto::sha256(bytes))); }

// Images uploaded before schema 2 have no download name yet.
void backfill_image_sha256(Database& db) {
    std::vector<std::pair<std::string, std::string>> names;
    {
        auto s = db.prepare("SELECT measurement, bytes FROM images WHERE sha256 IS NULL");
        while (s.step()) names.emplace_back(s.text(0), sha256_hex(s.blob(1)));
    }
    if (names.empty()) return;
    Transaction tx(db);
    for (const auto& [measurement, sha] : names)
        db.prepare("UPDATE images SET sha256 = ?2 WHERE measurement = ?1").bind(1, measurement).bind(2, sha).run();
    tx.commit();
}

std::int64_t as_limit(std::size_t limit) {
    return static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
}

// The latest ?2 rows of `table` (by rowid) that match `where`, oldest first.
std::string fmt_select_latest(std::string_view columns, std::string_view table, std::string_view where) {
    return "SELECT " + std::string(columns) + " FROM (SELECT rowid AS r, * FROM " + std::string(table) + " " +
           std::string(where) + " ORDER BY rowid DESC LIMIT ?2) ORDER BY r";
}

}  // namespace

void insert_audit(Database& db, const AuditRecord& r) {
    db.prepare("INSERT INTO audit(at_ns, actor, action, subject, outcome, reason, detail) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        .bind(1, r.at_ns)
        .bind(2, r.actor)
        .bind(3, r.action)
        .bind(4, r.subject)
        .bind(5, r.outcome)
        .bind(6, r.reason)
        .bind(7, r.detail)
        .run();
}

std::int64_t next_counter(Database& db, std::string_view name) {
    db.prepare("UPDATE counters SET value = value + 1 WHERE name = ?1").bind(1, name).run();
    if (db.changes() != 1) throw DatabaseError("no counter '" + std::string(name) + "'");
    auto s = db.prepare("SELECT value FROM counters WHERE name = ?1");
    s.bind(1, name);
    s.step();
    return s.int64(0);
}

CloudStore::CloudStore(const std::filesystem::path& path, std::int64_t now_unix_ns) : db_(path) {
    // WAL: readers never block the writer and a crash never leaves a half-applied commit.
    // synchronous=FULL: in WAL mode NORMAL may lose the last commits on power loss; FULL
    // fsyncs the log at each commit, which is what "acknowledged" must mean.
    db_.exec("PRAGMA journal_mode=WAL");
    db_.exec("PRAGMA synchronous=FULL");
    db_.exec("PRAGMA foreign_keys=ON");
    // The service is one process with one connection; a second process (an operator's sqlite3
    // shell) may hold a lock briefly.
    db_.exec("PRAGMA busy_timeout=5000");
    migrate(db_, now_unix_ns);
    backfill_image_sha256(db_);
}

std::string CloudStore::journal_mode() { return db_.query_text("PRAGMA journal_mode"); }
int CloudStore::synchronous_level() { return std::stoi(db_.query_text("PRAGMA synchronous")); }
int CloudStore::schema_version() { return cloud::schema_version(db_); }

bool CloudStore::add_image(const ImageRecord& r, ByteView bytes) {
    db_.prepare("INSERT OR IGNORE INTO images(measurement, type, component, product, version, security_counter, "
                "size, signer_key_id, uploaded_ns, bytes, sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")
        .bind(1, r.measurement)
        .bind(2, std::int64_t{r.type})
        .bind(3, r.component)
        .bind(4, r.product)
        .bind(5, r.version)
        .bind(6, std::int64_t{r.security_counter})
        .bind(7, static_cast<std::int64_t>(r.size))
        .bind(8, r.signer_key_id)
        .bind(9, r.uploaded_ns)
        .bind(10, bytes)
        .bind(11, sha256_hex(bytes))
        .run();
    return db_.changes() == 1;
}

std::optional<ImageRecord> CloudStore::find_image_by_sha256(std::string_view sha256) {
    auto s = db_.prepare(std::string("SELECT ") + std::string(kImageColumns) + " FROM images WHERE sha256 = ?1");
    s.bind(1, sha256);
    if (!s.step()) return std::nullopt;
    return read_image(s);
}

std::string CloudStore::image_bytes(std::string_view sha256, std::uint64_t offset, std::uint64_t length) {
    // substr() of a BLOB counts bytes, from 1.
    auto s = db_.prepare("SELECT substr(bytes, ?2, ?3) FROM images WHERE sha256 = ?1");
    s.bind(1, sha256).bind(2, static_cast<std::int64_t>(offset + 1)).bind(3, static_cast<std::int64_t>(length));
    if (!s.step()) return {};
    return as_string(s.blob(0));
}

std::optional<ImageRecord> CloudStore::find_image(std::string_view measurement) {
    auto s = db_.prepare(std::string("SELECT ") + std::string(kImageColumns) + " FROM images WHERE measurement = ?1");
    s.bind(1, measurement);
    if (!s.step()) return std::nullopt;
    return read_image(s);
}

std::vector<ImageRecord> CloudStore::images() {
    auto s = db_.prepare(std::string("SELECT ") + std::string(kImageColumns) + " FROM images ORDER BY uploaded_ns, measurement");
    std::vector<ImageRecord> out;
    while (s.step()) out.push_back(read_image(s));
    return out;
}

bool CloudStore::add_nonce(const NonceRecord& n) {
    Transaction tx(db_);
    db_.prepare("INSERT OR IGNORE INTO nonces(nonce, device_id, issued_ns, expires_ns, used_ns) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(1, n.nonce)
        .bind(2, n.device_id)
        .bind(3, n.issued_ns)
        .bind(4, n.expires_ns)
        .bind(5, n.used_ns)
        .run();
    if (db_.changes() != 1) return false;  // rolled back
    db_.prepare("UPDATE nonces SET issued_order = ?2, connection = ?3 WHERE nonce = ?1")
        .bind(1, n.nonce)
        .bind(2, next_counter(db_, "attestation"))
        .bind(3, n.connection)
        .run();
    tx.commit();
    return true;
}

std::optional<NonceRecord> CloudStore::find_nonce(std::string_view nonce) {
    auto s = db_.prepare("SELECT nonce, device_id, issued_ns, expires_ns, used_ns, COALESCE(issued_order, 0), "
                         "COALESCE(connection, 0) FROM nonces WHERE nonce = ?1");
    s.bind(1, nonce);
    if (!s.step()) return std::nullopt;
    return NonceRecord{s.text(0), s.text(1), s.int64(2), s.int64(3), s.optional_int64(4), s.int64(5), s.int64(6)};
}

NonceSpent CloudStore::spend_nonce(std::string_view nonce, std::string_view device_id, std::int64_t now_ns,
                                   bool signature_valid, std::string_view quarantine_reason, AttestationRules rules) {
    Transaction tx(db_);
    auto out = spend(nonce, device_id, now_ns, signature_valid, quarantine_reason, rules);
    tx.commit();
    return out;
}

std::int64_t CloudStore::last_quote_order(std::string_view device_id) {
    auto s = db_.prepare("SELECT last_quote_order FROM key_quotes WHERE device_id = ?1");
    s.bind(1, device_id);
    return s.step() ? s.int64(0) : 0;
}

bool CloudStore::accept_attestation(std::string_view nonce, std::string_view device_id, const CertificateRecord& c,
                                    std::int64_t now_ns, const AuditRecord& audit, AttestationRules rules) {
    Transaction tx(db_);
    auto spent = spend(nonce, device_id, now_ns, true, "", rules);
    if ((!spent.spent && rules.fresh_nonce) || spent.cloned) throw DatabaseError("accept_attestation: the nonce was spent, or the clone rule fired, after the checks");
    const bool first = record(device_id, c, now_ns);
    insert_audit(db_, audit);
    tx.commit();
    return first;
}

NonceSpent CloudStore::spend(std::string_view nonce, std::string_view device_id, std::int64_t now_ns,
                             bool signature_valid, std::string_view quarantine_reason, AttestationRules rules) {
    NonceSpent out;
    db_.prepare("UPDATE nonces SET used_ns = ?2 WHERE nonce = ?1 AND used_ns IS NULL").bind(1, nonce).bind(2, now_ns).run();
    if (db_.changes() != 1) return out;
    out.spent = true;
    if (signature_valid) {
        auto issued = db_.prepare("SELECT COALESCE(issued_order, 0) FROM nonces WHERE nonce = ?1");
        issued.bind(1, nonce);
        issued.step();
        out.issued_order = issued.int64(0);
        auto prior = db_.prepare("SELECT last_quote_order FROM key_quotes WHERE device_id = ?1");
        prior.bind(1, device_id);
        out.prior_quote_order = prior.step() ? prior.int64(0) : 0;
        out.quote_order = next_counter(db_, "attestation");
        db_.prepare("INSERT INTO key_quotes(device_id, last_quote_order) VALUES (?1, ?2) "
                    "ON CONFLICT(device_id) DO UPDATE SET last_quote_order = excluded.last_quote_order")
            .bind(1, device_id)
            .bind(2, out.quote_order)
            .run();
        out.cloned = rules.clone_rule && out.prior_quote_order > out.issued_order;
        if (out.cloned) {
            ensure_device(db_, device_id);
            db_.prepare("UPDATE devices SET quarantined_ns = ?2, quarantine_reason = ?3 "
                        "WHERE device_id = ?1 AND quarantined_ns IS NULL")
                .bind(1, device_id)
                .bind(2, now_ns)
                .bind(3, quarantine_reason)
                .run();
            out.newly_quarantined = db_.changes() == 1;
        }
    }
    return out;
}

bool CloudStore::consume_nonce(std::string_view nonce, std::int64_t now_ns) {
    db_.prepare("UPDATE nonces SET used_ns = ?2 WHERE nonce = ?1 AND used_ns IS NULL").bind(1, nonce).bind(2, now_ns).run();
    return db_.changes() == 1;
}

std::int64_t CloudStore::purge_nonces(std::int64_t before_ns) {
    db_.prepare("DELETE FROM nonces WHERE expires_ns < ?1").bind(1, before_ns).run();
    return db_.changes();
}

std::optional<DeviceRecord> CloudStore::find_device(std::string_view device_id) {
    auto s = db_.prepare(std::string("SELECT ") + std::string(kDeviceColumns) + " FROM devices WHERE device_id = ?1");
    s.bind(1, device_id);
    if (!s.step()) return std::nullopt;
    return read_device(s);
}

std::vector<DeviceRecord> CloudStore::devices() {
    auto s = db_.prepare(std::string("SELECT ") + std::string(kDeviceColumns) + " FROM devices ORDER BY device_id");
    std::vector<DeviceRecord> out;
    while (s.step()) out.push_back(read_device(s));
    return out;
}

bool CloudStore::record_attestation(std::string_view device_id, const CertificateRecord& c, std::int64_t now_ns) {
    Transaction tx(db_);
    const bool first = record(device_id, c, now_ns);
    tx.commit();
    return first;
}

bool CloudStore::record(std::string_view device_id, const CertificateRecord& c, std::int64_t now_ns) {
    ensure_device(db_, device_id);
    db_.prepare("UPDATE devices SET first_seen_ns = ?2 WHERE device_id = ?1 AND first_seen_ns IS NULL")
        .bind(1, device_id)
        .bind(2, now_ns)
        .run();
    const bool first = db_.changes() == 1;
    db_.prepare("UPDATE devices SET last_attested_ns = ?2 WHERE device_id = ?1").bind(1, device_id).bind(2, now_ns).run();
    db_.prepare("INSERT INTO certificates(serial, device_id, not_before_s, not_after_s, issued_ns, pem) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind(1, c.serial)
        .bind(2, c.device_id)
        .bind(3, c.not_before_s)
        .bind(4, c.not_after_s)
        .bind(5, c.issued_ns)
        .bind(6, c.pem)
        .run();
    return first;
}

bool CloudStore::revoke_device(std::string_view device_id, std::int64_t now_ns, std::string_view reason) {
    Transaction tx(db_);
    ensure_device(db_, device_id);
    db_.prepare("UPDATE devices SET revoked_ns = ?2, revoke_reason = ?3 WHERE device_id = ?1 AND revoked_ns IS NULL")
        .bind(1, device_id)
        .bind(2, now_ns)
        .bind(3, reason)
        .run();
    const bool changed = db_.changes() == 1;
    tx.commit();
    return changed;
}

std::vector<CertificateRecord> CloudStore::certificates(std::string_view device_id) {
    auto s = db_.prepare("SELECT serial, device_id, not_before_s, not_after_s, issued_ns, pem FROM certificates "
                         "WHERE device_id = ?1 ORDER BY issued_ns, serial");
    s.bind(1, device_id);
    std::vector<CertificateRecord> out;
    while (s.step()) out.push_back({s.text(0), s.text(1), s.int64(2), s.int64(3), s.int64(4), s.text(5)});
    return out;
}

bool CloudStore::certificate_exists(std::string_view serial) {
    auto s = db_.prepare("SELECT 1 FROM certificates WHERE serial = ?1");
    s.bind(1, serial);
    return s.step();
}

bool CloudStore::quarantine_device(std::string_view device_id, std::int64_t now_ns, std::string_view reason) {
    Transaction tx(db_);
    ensure_device(db_, device_id);
    db_.prepare("UPDATE devices SET quarantined_ns = ?2, quarantine_reason = ?3 WHERE device_id = ?1 AND quarantined_ns IS NULL")
        .bind(1, device_id)
        .bind(2, now_ns)
        .bind(3, reason)
        .run();
    const bool changed = db_.changes() == 1;
    tx.commit();
    return changed;
}

bool CloudStore::release_device(std::string_view device_id) {
    db_.prepare("UPDATE devices SET quarantined_ns = NULL, quarantine_reason = '' "
                "WHERE device_id = ?1 AND quarantined_ns IS NOT NULL")
        .bind(1, device_id)
        .run();
    return db_.changes() == 1;
}

void CloudStore::assign_group(std::string_view device_id, std::int64_t group_id) {
    Transaction tx(db_);
    ensure_device(db_, device_id);
    db_.prepare("UPDATE devices SET group_id = ?2 WHERE device_id = ?1").bind(1, device_id).bind(2, group_id).run();
    tx.commit();
}

bool CloudStore::record_installed(std::string_view device_id, std::string_view installed_json, std::int64_t now_ns,
                                  std::uint64_t served_version) {
    db_.prepare("UPDATE devices SET installed = ?2, installed_ns = CASE WHEN installed IS NOT ?2 THEN ?3 ELSE installed_ns END, "
                "manifest_seen = MAX(manifest_seen, ?4) WHERE device_id = ?1 AND (installed IS NOT ?2 OR manifest_seen < ?4)")
        .bind(1, device_id)
        .bind(2, installed_json)
        .bind(3, now_ns)
        .bind(4, static_cast<std::int64_t>(served_version))
        .run();
    return db_.changes() == 1;
}

ReportsAdded CloudStore::add_reports(const std::vector<ReportRecord>& reports, const AuditRecord& audit) {
    ReportsAdded out;
    Transaction tx(db_);
    auto insert = db_.prepare("INSERT OR IGNORE INTO reports(device_id, seq, app, kind, status, time_ms, detail, received_ns) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    auto same = db_.prepare("SELECT app = ?3 AND kind = ?4 AND status = ?5 AND time_ms = ?6 AND detail = ?7 "
                            "FROM reports WHERE device_id = ?1 AND seq = ?2");
    for (const auto& r : reports) {
        insert.bind(1, r.device_id).bind(2, r.seq).bind(3, r.app).bind(4, r.kind).bind(5, r.status).bind(6, r.time_ms);
        insert.bind(7, r.detail).bind(8, r.received_ns).run();
        insert.reset();
        if (db_.changes() == 1) {
            ++out.added;
            continue;
        }
        same.bind(1, r.device_id).bind(2, r.seq).bind(3, r.app).bind(4, r.kind).bind(5, r.status).bind(6, r.time_ms);
        same.bind(7, r.detail);
        same.step();
        if (same.int64(0) == 1) ++out.duplicates;
        else ++out.conflicts;
        same.reset();
    }
    AuditRecord row = audit;
    row.detail += " (" + std::to_string(out.added) + " new, " + std::to_string(out.duplicates) + " resent, " +
                  std::to_string(out.conflicts) + " conflicting)";
    insert_audit(db_, row);
    tx.commit();
    return out;
}

std::vector<ReportRecord> CloudStore::reports(std::string_view device_id, std::size_t limit) {
    constexpr std::string_view columns = "device_id, seq, app, kind, status, time_ms, detail, received_ns";
    auto s = device_id.empty()
                 ? db_.prepare(fmt_select_latest(columns, "reports", ""))
                 : db_.prepare(fmt_select_latest(columns, "reports", "WHERE device_id = ?1"));
    if (!device_id.empty()) s.bind(1, device_id);
    s.bind(2, as_limit(limit));
    std::vector<ReportRecord> out;
    while (s.step())
        out.push_back({s.text(0), s.int64(1), s.text(2), s.text(3), s.int64(4), s.int64(5), s.text(6), s.int64(7)});
    return out;
}

std::size_t CloudStore::add_telemetry(const std::vector<TelemetryRecord>& records) {
    Transaction tx(db_);
    auto s = db_.prepare("INSERT OR IGNORE INTO telemetry(device_id, seq, kind, value, received_ns) "
                         "VALUES (?1, ?2, ?3, ?4, ?5)");
    std::size_t added = 0;
    for (const auto& r : records) {
        s.bind(1, r.device_id).bind(2, r.seq).bind(3, r.kind).bind(4, r.value).bind(5, r.received_ns).run();
        added += static_cast<std::size_t>(db_.changes());
        s.reset();
    }
    tx.commit();
    return added;
}

std::vector<TelemetryRecord> CloudStore::telemetry(std::string_view device_id, std::size_t limit) {
    // Two statements rather than "?1 = '' OR device_id = ?1", which would defeat the
    // (device_id, seq) index.
    auto s = device_id.empty()
                 ? db_.prepare("SELECT device_id, seq, kind, value, received_ns FROM ("
                               " SELECT rowid AS r, * FROM telemetry ORDER BY rowid DESC LIMIT ?2) ORDER BY r")
                 : db_.prepare("SELECT device_id, seq, kind, value, received_ns FROM ("
                               " SELECT rowid AS r, * FROM telemetry WHERE device_id = ?1"
                               " ORDER BY rowid DESC LIMIT ?2) ORDER BY r");
    if (!device_id.empty()) s.bind(1, device_id);
    s.bind(2, as_limit(limit));
    std::vector<TelemetryRecord> out;
    while (s.step()) out.push_back({s.text(0), s.int64(1), s.text(2), s.real(3), s.int64(4)});
    return out;
}

void CloudStore::audit(AuditRecord r) { insert_audit(db_, r); }

std::vector<AuditRecord> CloudStore::audit_log(std::size_t limit) {
    auto s = db_.prepare("SELECT id, at_ns, actor, action, subject, outcome, reason, detail FROM ("
                         " SELECT * FROM audit ORDER BY id DESC LIMIT ?1) ORDER BY id");
    s.bind(1, as_limit(limit));
    std::vector<AuditRecord> out;
    while (s.step())
        out.push_back({s.int64(0), s.int64(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6), s.text(7)});
    return out;
}

std::vector<TenantCaRecord> CloudStore::tenant_cas() {
    auto s = db_.prepare("SELECT serial, pem, not_after_s, activated_ns, rotated_out_ns, retire_at_s, retired_ns "
                         "FROM tenant_cas ORDER BY activated_ns, rowid");
    std::vector<TenantCaRecord> out;
    while (s.step())
        out.push_back({s.text(0), s.text(1), s.int64(2), s.int64(3), s.optional_int64(4), s.optional_int64(5),
                       s.optional_int64(6)});
    return out;
}

void CloudStore::register_tenant_ca(const TenantCaRecord& active) {
    db_.prepare("INSERT OR IGNORE INTO tenant_cas(serial, pem, not_after_s, activated_ns) VALUES (?1, ?2, ?3, ?4)")
        .bind(1, active.serial)
        .bind(2, active.pem)
        .bind(3, active.not_after_s)
        .bind(4, active.activated_ns)
        .run();
}

void CloudStore::rotate_tenant_ca(const TenantCaRecord& next, std::int64_t retire_at_s, const AuditRecord& audit) {
    Transaction tx(db_);
    db_.prepare("UPDATE tenant_cas SET rotated_out_ns = ?1, retire_at_s = ?2 WHERE rotated_out_ns IS NULL")
        .bind(1, next.activated_ns)
        .bind(2, retire_at_s)
        .run();
    db_.prepare("INSERT INTO tenant_cas(serial, pem, not_after_s, activated_ns) VALUES (?1, ?2, ?3, ?4)")
        .bind(1, next.serial)
        .bind(2, next.pem)
        .bind(3, next.not_after_s)
        .bind(4, next.activated_ns)
        .run();
    insert_audit(db_, audit);
    tx.commit();
}

void CloudStore::retire_tenant_ca(std::string_view serial, std::int64_t now_ns, const AuditRecord& audit) {
    Transaction tx(db_);
    db_.prepare("UPDATE tenant_cas SET retired_ns = ?2 WHERE serial = ?1 AND retired_ns IS NULL").bind(1, serial).bind(2, now_ns).run();
    insert_audit(db_, audit);
    tx.commit();
}

bool CloudStore::tenant_ca_active(std::string_view serial) {
    auto s = db_.prepare("SELECT 1 FROM tenant_cas WHERE serial = ?1 AND rotated_out_ns IS NULL");
    s.bind(1, serial);
    return s.step();
}

}  // namespace svp::cloud

#include "cloud-stub/deployment_store.h"

#include <fmt/format.h>

#include "common/image/image_format.h"

namespace svp::cloud {
namespace {

constexpr std::string_view kGroupColumns =
    "group_id, product_id, name, os_feed, update_policy, manifest_lifetime_s, frozen, created_ns";

GroupRecord read_group(const Statement& s) {
    GroupRecord g;
    g.group_id = s.int64(0);
    g.product_id = s.text(1);
    g.name = s.text(2);
    g.os_feed = s.text(3);
    g.update_policy = s.text(4);
    g.manifest_lifetime_s = s.int64(5);
    g.frozen = s.int64(6) != 0;
    g.created_ns = s.int64(7);
    return g;
}

std::string select_groups(std::string_view where) {
    return "SELECT " + std::string(kGroupColumns) + " FROM device_groups " + std::string(where);
}

constexpr std::string_view kManifestColumns = "version, group_id, expires_s, signed_ns, content, json, deployment_id";

ManifestRecord read_manifest(const Statement& s) {
    return {static_cast<std::uint64_t>(s.int64(0)), s.int64(1), s.int64(2), s.int64(3), s.text(4), s.text(5), s.int64(6)};
}

std::optional<RolloutRecord> read_rollout(Database& db, std::int64_t deployment_id) {
    auto s = db.prepare(
        "SELECT r.deployment_id, d.group_id, d.version, r.phases, r.phase, r.failure_threshold_percent, r.min_outcomes, "
        "r.state, r.changed_ns, r.halt_reason, "
        "(SELECT COUNT(*) FROM rollout_outcomes o WHERE o.deployment_id = r.deployment_id), "
        "(SELECT COUNT(*) FROM rollout_outcomes o WHERE o.deployment_id = r.deployment_id AND o.outcome != 'success') "
        "FROM rollouts r JOIN deployments d ON d.deployment_id = r.deployment_id WHERE r.deployment_id = ?1");
    s.bind(1, deployment_id);
    if (!s.step()) return std::nullopt;
    RolloutRecord r;
    r.deployment_id = s.int64(0);
    r.group_id = s.int64(1);
    r.deployment_version = s.int64(2);
    r.plan.phases = phases_from_json(s.text(3));
    r.phase = static_cast<int>(s.int64(4));
    r.plan.failure_threshold_percent = static_cast<int>(s.int64(5));
    r.plan.min_outcomes = static_cast<int>(s.int64(6));
    r.state = s.text(7);
    r.changed_ns = s.int64(8);
    r.halt_reason = s.text(9);
    r.outcomes = static_cast<int>(s.int64(10));
    r.failures = static_cast<int>(s.int64(11));
    return r;
}

std::int64_t insert_group(Database& db, const GroupRecord& g) {
    db.prepare("INSERT INTO device_groups(product_id, name, os_feed, update_policy, manifest_lifetime_s, frozen, created_ns) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        .bind(1, g.product_id)
        .bind(2, g.name)
        .bind(3, g.os_feed)
        .bind(4, g.update_policy)
        .bind(5, g.manifest_lifetime_s)
        .bind(6, std::int64_t{g.frozen ? 1 : 0})
        .bind(7, g.created_ns)
        .run();
    return db.last_insert_rowid();
}

std::vector<DeploymentImage> deployment_images(Database& db, std::int64_t deployment_id) {
    auto s = db.prepare("SELECT measurement, requires FROM deployment_images WHERE deployment_id = ?1 ORDER BY position");
    s.bind(1, deployment_id);
    std::vector<DeploymentImage> out;
    while (s.step()) out.push_back({s.text(0), s.text(1)});
    return out;
}

std::vector<std::string> release_images(Database& db, std::int64_t release_id) {
    auto s = db.prepare("SELECT measurement FROM os_release_images WHERE release_id = ?1 ORDER BY position");
    s.bind(1, release_id);
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    return out;
}

}  // namespace

bool is_os_image_type(int type) {
    using image::ImageType;
    switch (static_cast<ImageType>(type)) {
    case ImageType::one_bl:
    case ImageType::security_runtime:
    case ImageType::security_monitor:
    case ImageType::os_kernel:
    case ImageType::rootfs:
    case ImageType::trusted_keystore: return true;
    default: return false;
    }
}

bool is_app_image_type(int type) {
    using image::ImageType;
    return type == static_cast<int>(ImageType::application) || type == static_cast<int>(ImageType::rt_firmware);
}

void DeploymentStore::add_product(const ProductRecord& p, const AuditRecord& audit) {
    Transaction tx(db_);
    db_.prepare("INSERT INTO products(product_id, name, description, created_ns) VALUES (?1, ?2, ?3, ?4)")
        .bind(1, p.product_id)
        .bind(2, p.name)
        .bind(3, p.description)
        .bind(4, p.created_ns)
        .run();
    for (const auto& d : kDefaultGroups) {
        GroupRecord g;
        g.product_id = p.product_id;
        g.name = d.name;
        g.os_feed = d.os_feed;
        g.update_policy = d.update_policy;
        g.created_ns = p.created_ns;
        insert_group(db_, g);
    }
    insert_audit(db_, audit);
    tx.commit();
}

std::optional<ProductRecord> DeploymentStore::find_product(std::string_view name_or_id) {
    auto s = db_.prepare("SELECT product_id, name, description, created_ns FROM products "
                         "WHERE product_id = lower(?1) OR name = ?1 ORDER BY product_id = lower(?1) DESC LIMIT 1");
    s.bind(1, name_or_id);
    if (!s.step()) return std::nullopt;
    return ProductRecord{s.text(0), s.text(1), s.text(2), s.int64(3)};
}

std::vector<ProductRecord> DeploymentStore::products() {
    auto s = db_.prepare("SELECT product_id, name, description, created_ns FROM products ORDER BY created_ns, name");
    std::vector<ProductRecord> out;
    while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.int64(3)});
    return out;
}

std::int64_t DeploymentStore::add_group(const GroupRecord& g, const AuditRecord& audit) {
    Transaction tx(db_);
    auto id = insert_group(db_, g);
    insert_audit(db_, audit);
    tx.commit();
    return id;
}

std::optional<GroupRecord> DeploymentStore::group(std::int64_t group_id) {
    auto s = db_.prepare(select_groups("WHERE group_id = ?1"));
    s.bind(1, group_id);
    if (!s.step()) return std::nullopt;
    return read_group(s);
}

std::optional<GroupRecord> DeploymentStore::find_group(std::string_view product_id, std::string_view name) {
    auto s = db_.prepare(select_groups("WHERE product_id = ?1 AND name = ?2"));
    s.bind(1, product_id).bind(2, name);
    if (!s.step()) return std::nullopt;
    return read_group(s);
}

std::vector<GroupRecord> DeploymentStore::groups(std::string_view product_id) {
    auto s = db_.prepare(select_groups("WHERE product_id = ?1 ORDER BY group_id"));
    s.bind(1, product_id);
    std::vector<GroupRecord> out;
    while (s.step()) out.push_back(read_group(s));
    return out;
}

void DeploymentStore::update_group(const GroupRecord& g, const AuditRecord& audit) {
    Transaction tx(db_);
    db_.prepare("UPDATE device_groups SET os_feed = ?2, update_policy = ?3, manifest_lifetime_s = ?4, frozen = ?5 "
                "WHERE group_id = ?1")
        .bind(1, g.group_id)
        .bind(2, g.os_feed)
        .bind(3, g.update_policy)
        .bind(4, g.manifest_lifetime_s)
        .bind(5, std::int64_t{g.frozen ? 1 : 0})
        .run();
    insert_audit(db_, audit);
    tx.commit();
}

std::int64_t DeploymentStore::default_group_id() {
    return std::stoll(db_.query_text("SELECT value FROM settings WHERE name = 'default_group'"));
}

void DeploymentStore::set_default_group(std::int64_t group_id, const AuditRecord& audit) {
    Transaction tx(db_);
    db_.prepare("UPDATE settings SET value = ?1 WHERE name = 'default_group'").bind(1, std::to_string(group_id)).run();
    insert_audit(db_, audit);
    tx.commit();
}

DeploymentRecord DeploymentStore::add_deployment(std::int64_t group_id, const std::vector<DeploymentImage>& images,
                                                 std::int64_t now_ns, const AuditRecord& audit,
                                                 const std::optional<RolloutPlan>& rollout) {
    Transaction tx(db_);
    DeploymentRecord d;
    d.group_id = group_id;
    d.created_ns = now_ns;
    d.images = images;
    d.version = std::stoll(db_.query_text(
                    "SELECT COALESCE(MAX(version), 0) FROM deployments WHERE group_id = " + std::to_string(group_id))) +
                1;
    db_.prepare("INSERT INTO deployments(group_id, version, created_ns) VALUES (?1, ?2, ?3)")
        .bind(1, group_id)
        .bind(2, d.version)
        .bind(3, now_ns)
        .run();
    d.deployment_id = db_.last_insert_rowid();
    auto s = db_.prepare("INSERT INTO deployment_images(deployment_id, position, measurement, requires) VALUES (?1, ?2, ?3, ?4)");
    for (std::size_t i = 0; i < images.size(); ++i) {
        s.bind(1, d.deployment_id).bind(2, static_cast<std::int64_t>(i)).bind(3, images[i].measurement);
        s.bind(4, images[i].requires_json).run();
        s.reset();
    }
    if (rollout)
        db_.prepare("INSERT INTO rollouts(deployment_id, phases, phase, failure_threshold_percent, min_outcomes, state, "
                    "changed_ns) VALUES (?1, ?2, 0, ?3, ?4, 'rolling', ?5)")
            .bind(1, d.deployment_id)
            .bind(2, phases_json(rollout->phases))
            .bind(3, std::int64_t{rollout->failure_threshold_percent})
            .bind(4, std::int64_t{rollout->min_outcomes})
            .bind(5, now_ns)
            .run();
    insert_audit(db_, audit);
    tx.commit();
    return d;
}

std::optional<DeploymentRecord> DeploymentStore::latest_deployment(std::int64_t group_id) {
    auto s = db_.prepare("SELECT deployment_id, group_id, version, created_ns FROM deployments WHERE group_id = ?1 "
                         "ORDER BY version DESC LIMIT 1");
    s.bind(1, group_id);
    if (!s.step()) return std::nullopt;
    DeploymentRecord d{s.int64(0), s.int64(1), s.int64(2), s.int64(3), {}};
    d.images = deployment_images(db_, d.deployment_id);
    return d;
}

std::optional<DeploymentRecord> DeploymentStore::deployment(std::int64_t group_id, std::int64_t version) {
    auto s = db_.prepare("SELECT deployment_id, group_id, version, created_ns FROM deployments WHERE group_id = ?1 AND version = ?2");
    s.bind(1, group_id).bind(2, version);
    if (!s.step()) return std::nullopt;
    DeploymentRecord d{s.int64(0), s.int64(1), s.int64(2), s.int64(3), {}};
    d.images = deployment_images(db_, d.deployment_id);
    return d;
}

std::vector<std::pair<std::int64_t, std::int64_t>> DeploymentStore::deployment_ids_newest_first(std::int64_t group_id) {
    auto s = db_.prepare("SELECT deployment_id, version FROM deployments WHERE group_id = ?1 ORDER BY version DESC");
    s.bind(1, group_id);
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    while (s.step()) out.emplace_back(s.int64(0), s.int64(1));
    return out;
}

std::optional<RolloutRecord> DeploymentStore::rollout(std::int64_t deployment_id) {
    // Most deployments have none: a cheap probe before the query with the outcome counts.
    auto probe = db_.prepare("SELECT 1 FROM rollouts WHERE deployment_id = ?1");
    probe.bind(1, deployment_id);
    if (!probe.step()) return std::nullopt;
    return read_rollout(db_, deployment_id);
}

OutcomeRecorded DeploymentStore::record_outcome(
    std::int64_t deployment_id, std::string_view device_id, std::string_view outcome, std::int64_t now_ns,
    const AuditRecord& audit, const std::function<std::optional<std::string>(const RolloutRecord&)>& halt_reason) {
    Transaction tx(db_);
    OutcomeRecorded out;
    auto before = read_rollout(db_, deployment_id);
    if (!before) throw DatabaseError("record_outcome: deployment " + std::to_string(deployment_id) + " has no rollout");
    // A failure stands: a later success does not overwrite it.
    db_.prepare("INSERT INTO rollout_outcomes(deployment_id, device_id, outcome, phase, reported_ns) VALUES (?1, ?2, ?3, ?4, ?5) "
                "ON CONFLICT(deployment_id, device_id) DO UPDATE SET outcome = excluded.outcome, phase = excluded.phase, "
                "reported_ns = excluded.reported_ns WHERE rollout_outcomes.outcome = 'success'")
        .bind(1, deployment_id)
        .bind(2, device_id)
        .bind(3, outcome)
        .bind(4, std::int64_t{before->phase})
        .bind(5, now_ns)
        .run();
    out.stored = db_.changes() == 1;
    insert_audit(db_, audit);
    out.rollout = *read_rollout(db_, deployment_id);
    if (auto reason = halt_reason(out.rollout)) {
        db_.prepare("UPDATE rollouts SET state = 'halted', changed_ns = ?2, halt_reason = ?3 WHERE deployment_id = ?1")
            .bind(1, deployment_id)
            .bind(2, now_ns)
            .bind(3, *reason)
            .run();
        insert_audit(db_, {0, now_ns, "service", "rollout.halt", fmt::format("deployment {}", out.rollout.deployment_version),
                           "ok", "", *reason});
        out.rollout.state = kRolloutHalted;
        out.rollout.changed_ns = now_ns;
        out.rollout.halt_reason = *reason;
        out.halted_now = true;
    }
    tx.commit();
    return out;
}

RolloutRecord DeploymentStore::advance_rollout(std::int64_t deployment_id, std::int64_t now_ns, const AuditRecord& audit) {
    Transaction tx(db_);
    auto r = read_rollout(db_, deployment_id);
    if (!r || !r->rolling()) throw DatabaseError("advance_rollout: the deployment is not rolling");
    r->phase += 1;
    r->state = static_cast<std::size_t>(r->phase) + 1 == r->plan.phases.size() ? kRolloutComplete : kRolloutRolling;
    r->changed_ns = now_ns;
    db_.prepare("UPDATE rollouts SET phase = ?2, state = ?3, changed_ns = ?4 WHERE deployment_id = ?1")
        .bind(1, deployment_id)
        .bind(2, std::int64_t{r->phase})
        .bind(3, r->state)
        .bind(4, now_ns)
        .run();
    insert_audit(db_, audit);
    tx.commit();
    return *r;
}

std::vector<DeploymentRecord> DeploymentStore::deployments(std::int64_t group_id) {
    std::vector<DeploymentRecord> out;
    {
        auto s = db_.prepare("SELECT deployment_id, group_id, version, created_ns FROM deployments WHERE group_id = ?1 "
                             "ORDER BY version");
        s.bind(1, group_id);
        while (s.step()) out.push_back({s.int64(0), s.int64(1), s.int64(2), s.int64(3), {}});
    }
    for (auto& d : out) d.images = deployment_images(db_, d.deployment_id);
    return out;
}

OsReleaseRecord DeploymentStore::add_os_release(std::string_view feed, const std::vector<std::string>& measurements,
                                                std::int64_t now_ns, const AuditRecord& audit) {
    Transaction tx(db_);
    OsReleaseRecord r;
    r.feed = std::string(feed);
    r.created_ns = now_ns;
    r.images = measurements;
    {
        auto v = db_.prepare("SELECT COALESCE(MAX(version), 0) + 1 FROM os_releases WHERE feed = ?1");
        v.bind(1, feed);
        v.step();
        r.version = v.int64(0);
    }
    db_.prepare("INSERT INTO os_releases(feed, version, created_ns) VALUES (?1, ?2, ?3)")
        .bind(1, feed)
        .bind(2, r.version)
        .bind(3, now_ns)
        .run();
    r.release_id = db_.last_insert_rowid();
    auto s = db_.prepare("INSERT INTO os_release_images(release_id, position, measurement) VALUES (?1, ?2, ?3)");
    for (std::size_t i = 0; i < measurements.size(); ++i) {
        s.bind(1, r.release_id).bind(2, static_cast<std::int64_t>(i)).bind(3, measurements[i]).run();
        s.reset();
    }
    insert_audit(db_, audit);
    tx.commit();
    return r;
}

std::optional<OsReleaseRecord> DeploymentStore::latest_os_release(std::string_view feed) {
    auto s = db_.prepare("SELECT release_id, feed, version, created_ns FROM os_releases WHERE feed = ?1 "
                         "ORDER BY version DESC LIMIT 1");
    s.bind(1, feed);
    if (!s.step()) return std::nullopt;
    OsReleaseRecord r{s.int64(0), s.text(1), s.int64(2), s.int64(3), {}};
    r.images = release_images(db_, r.release_id);
    return r;
}

std::vector<OsReleaseRecord> DeploymentStore::os_releases(std::string_view feed) {
    std::vector<OsReleaseRecord> out;
    {
        auto s = db_.prepare("SELECT release_id, feed, version, created_ns FROM os_releases WHERE feed = ?1 ORDER BY version");
        s.bind(1, feed);
        while (s.step()) out.push_back({s.int64(0), s.text(1), s.int64(2), s.int64(3), {}});
    }
    for (auto& r : out) r.images = release_images(db_, r.release_id);
    return out;
}

ManifestRecord DeploymentStore::add_manifest(std::int64_t group_id,
                                             const std::function<ManifestRecord(std::uint64_t)>& sign,
                                             const std::vector<std::string>& downloads, const AuditRecord& audit) {
    Transaction tx(db_);
    const auto version = static_cast<std::uint64_t>(next_counter(db_, "manifest"));
    auto m = sign(version);
    m.version = version;
    m.group_id = group_id;
    db_.prepare("INSERT INTO manifests(version, group_id, expires_s, signed_ns, content, json, deployment_id) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        .bind(1, static_cast<std::int64_t>(version))
        .bind(2, group_id)
        .bind(3, m.expires_s)
        .bind(4, m.signed_ns)
        .bind(5, m.content)
        .bind(6, m.json)
        .bind(7, m.deployment_id)
        .run();
    auto s = db_.prepare("INSERT OR IGNORE INTO manifest_images(version, sha256) VALUES (?1, ?2)");
    for (const auto& sha : downloads) {
        s.bind(1, static_cast<std::int64_t>(version)).bind(2, sha).run();
        s.reset();
    }
    AuditRecord row = audit;
    row.subject = "manifest " + std::to_string(version);
    insert_audit(db_, row);
    tx.commit();
    return m;
}

std::optional<ManifestRecord> DeploymentStore::latest_manifest(std::int64_t group_id) {
    auto s = db_.prepare("SELECT " + std::string(kManifestColumns) +
                         " FROM manifests WHERE group_id = ?1 ORDER BY version DESC LIMIT 1");
    s.bind(1, group_id);
    if (!s.step()) return std::nullopt;
    return read_manifest(s);
}

std::optional<ManifestRecord> DeploymentStore::latest_manifest(std::int64_t group_id, std::int64_t deployment_id) {
    auto s = db_.prepare("SELECT " + std::string(kManifestColumns) +
                         " FROM manifests WHERE group_id = ?1 AND deployment_id = ?2 ORDER BY version DESC LIMIT 1");
    s.bind(1, group_id).bind(2, deployment_id);
    if (!s.step()) return std::nullopt;
    return read_manifest(s);
}

std::optional<ManifestRecord> DeploymentStore::manifest(std::int64_t group_id, std::uint64_t version) {
    auto s = db_.prepare("SELECT " + std::string(kManifestColumns) + " FROM manifests WHERE group_id = ?1 AND version = ?2");
    s.bind(1, group_id).bind(2, static_cast<std::int64_t>(version));
    if (!s.step()) return std::nullopt;
    return read_manifest(s);
}

std::vector<ManifestRecord> DeploymentStore::manifests(std::int64_t group_id) {
    auto s = db_.prepare("SELECT " + std::string(kManifestColumns) + " FROM manifests WHERE group_id = ?1 ORDER BY version");
    s.bind(1, group_id);
    std::vector<ManifestRecord> out;
    while (s.step()) out.push_back(read_manifest(s));
    return out;
}

bool DeploymentStore::group_may_download(std::int64_t group_id, std::string_view sha256) {
    auto s = db_.prepare("SELECT 1 FROM manifest_images mi JOIN manifests m ON m.version = mi.version "
                         "WHERE mi.sha256 = ?2 AND m.group_id = ?1 LIMIT 1");
    s.bind(1, group_id).bind(2, sha256);
    return s.step();
}

}  // namespace svp::cloud

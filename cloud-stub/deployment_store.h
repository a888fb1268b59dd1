// The deployment model (reference §4, "Deployment model"), in the cloud store's SQLite file:
//
//   product        one per device model; its GUID is the product id in its images' headers
//   device group   per product; Development, Field Test, Field Test OS Evaluation, Production
//                  and Production OS Evaluation are made with it. Each group has an OS feed
//                  (Retail or RetailEval), an update policy (UpdateAll, No3rdPartyAppUpdates,
//                  NoUpdates), a manifest lifetime and a frozen flag.
//   deployment     a set of uploaded application images for one group, versioned 1, 2, 3...
//                  per group; the latest is what the group runs.
//   OS release     a set of OS images published on a feed, versioned per feed.
//   manifest       what a group should run, signed with the update key (common/protocol/
//                  updates.h); every manifest ever signed is kept, exactly as served.
//
// Devices not claimed into a group belong to the default group (a setting), at first the
// built-in "Unassigned" product's "Unassigned" group (Retail feed, OS updates only).
// Every write is one transaction, committed (fsynced) before the service answers.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloud-stub/rollout.h"
#include "cloud-stub/sqlite_db.h"
#include "cloud-stub/store.h"

namespace svp::cloud {

inline constexpr std::string_view kUnassignedProductId = "00000000-0000-0000-0000-000000000000";
inline constexpr std::int64_t kDefaultManifestLifetimeS = 7LL * 86400;
inline constexpr std::int64_t kMinManifestLifetimeS = 60;
inline constexpr std::int64_t kMaxManifestLifetimeS = 366LL * 86400;

inline constexpr std::array<std::string_view, 2> kOsFeeds = {"Retail", "RetailEval"};
inline constexpr std::array<std::string_view, 3> kUpdatePolicies = {"UpdateAll", "No3rdPartyAppUpdates", "NoUpdates"};

struct GroupDefaults {
    std::string_view name;
    std::string_view os_feed;
    std::string_view update_policy;
};
// The groups every new product gets (reference §4, manage-device-groups). Development takes
// no cloud app updates: developers sideload there.
inline constexpr std::array<GroupDefaults, 5> kDefaultGroups = {{
    {"Development", "Retail", "No3rdPartyAppUpdates"},
    {"Field Test", "Retail", "UpdateAll"},
    {"Field Test OS Evaluation", "RetailEval", "UpdateAll"},
    {"Production", "Retail", "UpdateAll"},
    {"Production OS Evaluation", "RetailEval", "UpdateAll"},
}};

// Which images go where: OS feeds carry the OS (Microsoft's part of an Azure Sphere device),
// deployments carry the tenant's applications.
bool is_os_image_type(int type);
bool is_app_image_type(int type);

struct ProductRecord {
    std::string product_id;  // GUID
    std::string name;
    std::string description;
    std::int64_t created_ns = 0;
};

struct GroupRecord {
    std::int64_t group_id = 0;
    std::string product_id;
    std::string name;
    std::string os_feed;
    std::string update_policy;
    std::int64_t manifest_lifetime_s = kDefaultManifestLifetimeS;
    bool frozen = false;
    std::int64_t created_ns = 0;
};

struct DeploymentImage {
    std::string measurement;
    std::string requires_json = "[]";  // [{"component", "min_version"}]
};

struct DeploymentRecord {
    std::int64_t deployment_id = 0;
    std::int64_t group_id = 0;
    std::int64_t version = 0;
    std::int64_t created_ns = 0;
    std::vector<DeploymentImage> images;
};

struct OsReleaseRecord {
    std::int64_t release_id = 0;
    std::string feed;
    std::int64_t version = 0;
    std::int64_t created_ns = 0;
    std::vector<std::string> images;  // measurements
};

struct ManifestRecord {
    std::uint64_t version = 0;
    std::int64_t group_id = 0;
    std::int64_t expires_s = 0;
    std::int64_t signed_ns = 0;
    std::string content;  // the manifest apart from version and expiry
    std::string json;     // SignedManifest::to_json(), as served
    std::int64_t deployment_id = 0;  // the deployment it offers (0: none)
};

// What recording an install outcome did (DeploymentStore::record_outcome).
struct OutcomeRecorded {
    RolloutRecord rollout;     // after the outcome (and the halt, if any)
    bool stored = false;       // false: the device had reported a failure before; it stands
    bool halted_now = false;   // this outcome made the rollout halt
};

class DeploymentStore {
public:
    explicit DeploymentStore(Database& db) : db_(db) {}

    // A product and its default groups, in one transaction.
    void add_product(const ProductRecord& product, const AuditRecord& audit);
    std::optional<ProductRecord> find_product(std::string_view name_or_id);
    std::vector<ProductRecord> products();

    std::int64_t add_group(const GroupRecord& group, const AuditRecord& audit);
    std::optional<GroupRecord> group(std::int64_t group_id);
    std::optional<GroupRecord> find_group(std::string_view product_id, std::string_view name);
    std::vector<GroupRecord> groups(std::string_view product_id);
    // Writes the group's feed, policy, lifetime and frozen flag.
    void update_group(const GroupRecord& group, const AuditRecord& audit);

    std::int64_t default_group_id();
    void set_default_group(std::int64_t group_id, const AuditRecord& audit);

    // The group's next deployment (version = latest + 1), staged by `rollout` if given.
    DeploymentRecord add_deployment(std::int64_t group_id, const std::vector<DeploymentImage>& images,
                                    std::int64_t now_ns, const AuditRecord& audit,
                                    const std::optional<RolloutPlan>& rollout = std::nullopt);
    std::optional<DeploymentRecord> latest_deployment(std::int64_t group_id);
    std::vector<DeploymentRecord> deployments(std::int64_t group_id);  // oldest first
    std::optional<DeploymentRecord> deployment(std::int64_t group_id, std::int64_t version);
    // The group's deployments as (deployment id, version), newest first, without their images:
    // what an update check walks until it finds the one a device is offered.
    std::vector<std::pair<std::int64_t, std::int64_t>> deployment_ids_newest_first(std::int64_t group_id);

    // Staged rollouts (rollout.h), with their outcome counts.
    std::optional<RolloutRecord> rollout(std::int64_t deployment_id);
    // Records a device's install outcome and, in the same transaction, halts the rollout when
    // `halt_reason` (given the counts with this outcome) says so; audit rows for both.
    OutcomeRecorded record_outcome(std::int64_t deployment_id, std::string_view device_id, std::string_view outcome,
                                   std::int64_t now_ns, const AuditRecord& audit,
                                   const std::function<std::optional<std::string>(const RolloutRecord&)>& halt_reason);
    // Moves a rolling deployment to its next phase (the last makes it complete).
    RolloutRecord advance_rollout(std::int64_t deployment_id, std::int64_t now_ns, const AuditRecord& audit);

    OsReleaseRecord add_os_release(std::string_view feed, const std::vector<std::string>& measurements,
                                   std::int64_t now_ns, const AuditRecord& audit);
    std::optional<OsReleaseRecord> latest_os_release(std::string_view feed);
    std::vector<OsReleaseRecord> os_releases(std::string_view feed);

    // Signs and stores the group's next manifest in one transaction: `sign` gets the version
    // (the next value of the service-wide 'manifest' counter) and returns the record to keep;
    // `downloads` are the sha256 names the group's devices may then fetch.
    ManifestRecord add_manifest(std::int64_t group_id, const std::function<ManifestRecord(std::uint64_t)>& sign,
                                const std::vector<std::string>& downloads, const AuditRecord& audit);
    std::optional<ManifestRecord> latest_manifest(std::int64_t group_id);  // of any deployment it offers
    std::optional<ManifestRecord> latest_manifest(std::int64_t group_id, std::int64_t deployment_id);
    std::optional<ManifestRecord> manifest(std::int64_t group_id, std::uint64_t version);
    std::vector<ManifestRecord> manifests(std::int64_t group_id);  // oldest first
    // Whether a manifest of the group ever listed the image.
    bool group_may_download(std::int64_t group_id, std::string_view sha256);

private:
    Database& db_;
};

}  // namespace svp::cloud

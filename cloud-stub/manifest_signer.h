// What a device group should run, as a signed update manifest (common/protocol/updates.h):
//
//   images     by the group's update policy:
//                UpdateAll             the latest OS release of its feed + its latest deployment
//                No3rdPartyAppUpdates  the latest OS release of its feed only
//                NoUpdates             none (an empty list: the device keeps what it runs)
//              OS images first, in release order, then the deployment's, in deployment order;
//              each with exact size, SHA-256 (download name), measurement and requirements
//              (from the deployment and from the image's own signed "requires").
//   version    the next value of one service-wide counter: it increases per group. A device
//              moved into a group (claimed, or the default group changed) must not meet a
//              version lower than its old group's: resign_for_newcomers re-signs the group's
//              manifest then, above every version ever signed.
//   expires    signing time + the group's manifest lifetime (default 7 days).
//
// A group's manifest is signed once and served to all its devices until its content changes
// (a deployment, a feed release, a new policy, feed or lifetime) or half its lifetime has
// passed; then the next check signs a new version. A frozen group is never re-signed: its
// devices keep getting the last manifest, which expires (scenario U7). Every manifest signed
// is kept, so a scenario can replay an old one (U6).
//
// Staged rollouts (rollout.h): which deployment a device is offered depends on the device
// while one rolls out, so a group has one line of manifests per deployment offered, each
// signed and re-signed as above. A device moving from one line to another (a phase advances,
// a rollout halts) must never meet a version below the highest it was served: a line whose
// latest version is lower is re-signed first.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cloud-stub/service_context.h"
#include "common/protocol/updates.h"

namespace svp::cloud {

class ManifestSigner {
public:
    explicit ManifestSigner(ServiceContext& context) : ctx_(context) {}

    struct Served {
        ManifestRecord record;
        bool signed_now = false;
        bool expired = false;  // at the service clock (a frozen group's)
    };

    // The manifest to serve a device of the group now: the stored one of the deployment it is
    // offered, or a new version when due (never when frozen, except for a group that has none
    // yet). `seen_version`: the highest version the device was served before.
    Served current(const GroupRecord& group, std::string_view device_id, std::uint64_t seen_version);
    // Signs the group's next version now for devices outside any rollout, whatever is stored
    // (freezing a group with none).
    ManifestRecord sign(const GroupRecord& group, std::string_view actor);

    // The deployment a device of the group is offered (none: no app updates), by its policy and
    // the group's rollouts; `device_id` empty: a device in no rollout phase.
    std::optional<DeploymentRecord> offered(const GroupRecord& group, std::string_view device_id);
    // Devices are joining the group: re-signs its manifest, if it has one and is not frozen
    // (a frozen group stays frozen: a device moved into it may refuse its manifest as a rollback).
    void resign_for_newcomers(const GroupRecord& group, std::string_view actor);

    // What the group should run with `deployment` (version and expiry left 0), and the
    // download names it lists.
    protocol::ManifestBody desired(const GroupRecord& group, const std::optional<DeploymentRecord>& deployment,
                                   std::vector<std::string>* downloads);
    // The body without version and expiry, plus the lifetime: what "changed" compares.
    static std::string content_of(const protocol::ManifestBody& body, const GroupRecord& group);

private:
    ManifestRecord sign(const GroupRecord& group, const std::optional<DeploymentRecord>& deployment, std::string_view actor);
    ServiceContext& ctx_;
};

}  // namespace svp::cloud

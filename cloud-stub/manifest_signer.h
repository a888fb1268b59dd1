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

    // The group's manifest to serve now: the stored one, or a new version when due (never
    // when frozen, except for a group that has none yet).
    Served current(const GroupRecord& group, std::string_view actor);
    // Signs the group's next version now, whatever is stored (freezing a group with none).
    ManifestRecord sign(const GroupRecord& group, std::string_view actor);
    // Devices are joining the group: re-signs its manifest, if it has one and is not frozen
    // (a frozen group stays frozen: a device moved into it may refuse its manifest as a rollback).
    void resign_for_newcomers(const GroupRecord& group, std::string_view actor);

    // What the group should run (version and expiry left 0), and the download names it lists.
    protocol::ManifestBody desired(const GroupRecord& group, std::vector<std::string>* downloads);
    // The body without version and expiry, plus the lifetime: what "changed" compares.
    static std::string content_of(const protocol::ManifestBody& body, const GroupRecord& group);

private:
    ServiceContext& ctx_;
};

}  // namespace svp::cloud

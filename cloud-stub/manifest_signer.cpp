#include "cloud-stub/manifest_signer.h"

#include <fmt/format.h>

#include "cloud-stub/rollout.h"

namespace svp::cloud {
namespace {

protocol::ManifestImage manifest_image(const ImageRecord& r, const std::string& requires_json) {
    protocol::ManifestImage m;
    m.component = r.component;
    m.image_type = static_cast<std::uint16_t>(r.type);
    m.version = r.version;
    m.counter = r.security_counter;
    m.size = r.size;
    m.sha256 = r.sha256;
    m.measurement = r.measurement;
    for (const auto& req : nlohmann::json::parse(requires_json))
        m.requires_.push_back({req.at("component").get<std::string>(), req.at("min_version").get<std::string>()});
    return m;
}

}  // namespace

std::optional<DeploymentRecord> ManifestSigner::offered(const GroupRecord& group, std::string_view device_id) {
    if (group.update_policy != "UpdateAll") return std::nullopt;
    // Newest first; usually the first one answers (no rollout, or a complete one).
    for (const auto& [deployment_id, version] : ctx_.deployments.deployment_ids_newest_first(group.group_id)) {
        const auto rollout = ctx_.deployments.rollout(deployment_id);
        const bool offered = !rollout || rollout->state == kRolloutComplete ||
                             (rollout->rolling() && !device_id.empty() &&
                              in_rollout_phase(device_id, deployment_id, rollout->percent()));
        if (offered) return ctx_.deployments.deployment(group.group_id, version);
        // Halted (withdrawn), or this device is not in the phase yet: the release before it.
    }
    return std::nullopt;
}

protocol::ManifestBody ManifestSigner::desired(const GroupRecord& group, const std::optional<DeploymentRecord>& deployment,
                                               std::vector<std::string>* downloads) {
    protocol::ManifestBody body;
    body.product = group.product_id;
    body.device_group = group.name;
    auto add = [&](const std::string& measurement, const std::string& requires_json) {
        auto image = ctx_.store.find_image(measurement);
        if (!image) throw std::runtime_error("deployed image " + measurement + " is not in the store");
        body.images.push_back(manifest_image(*image, requires_json));
        if (downloads) downloads->push_back(image->sha256);
    };
    if (group.update_policy == "NoUpdates") return body;
    if (auto release = ctx_.deployments.latest_os_release(group.os_feed))
        for (const auto& m : release->images) add(m, "[]");
    if (deployment)
        for (const auto& img : deployment->images) add(img.measurement, img.requires_json);
    return body;
}

std::string ManifestSigner::content_of(const protocol::ManifestBody& body, const GroupRecord& group) {
    auto j = body.to_json();
    j.erase("version");
    j.erase("expires");
    j["manifest_lifetime_s"] = group.manifest_lifetime_s;
    return j.dump();
}

ManifestRecord ManifestSigner::sign(const GroupRecord& group, std::string_view actor) {
    return sign(group, offered(group, ""), actor);
}

ManifestRecord ManifestSigner::sign(const GroupRecord& group, const std::optional<DeploymentRecord>& deployment,
                                    std::string_view actor) {
    std::vector<std::string> downloads;
    auto body = desired(group, deployment, &downloads);
    const auto content = content_of(body, group);
    const auto now = ctx_.clock.now_unix_ns();
    const auto expires = now / 1'000'000'000 + group.manifest_lifetime_s;
    AuditRecord audit{0, now, std::string(actor), "manifest.sign", "", "ok", "",
                      fmt::format("group {} ({}): {} images, expires {}", group.name, group.product_id, body.images.size(),
                                  expires)};
    auto record = ctx_.deployments.add_manifest(
        group.group_id,
        [&](std::uint64_t version) {
            body.version = version;
            body.expires = expires;
            auto signed_manifest = protocol::SignedManifest::sign(body, ctx_.pki.update_key());
            ManifestRecord r;
            r.expires_s = expires;
            r.signed_ns = now;
            r.content = content;
            r.json = signed_manifest.to_json().dump();
            r.deployment_id = deployment ? deployment->deployment_id : 0;
            return r;
        },
        downloads, audit);
    auto product = ctx_.deployments.find_product(group.product_id);
    ctx_.events.emit(ev::cloud_update_signed, {{"product", product ? product->name : group.product_id},
                                               {"group", group.name},
                                               {"version", record.version},
                                               {"images", body.images.size()},
                                               {"expires", expires}});
    return record;
}

void ManifestSigner::resign_for_newcomers(const GroupRecord& group, std::string_view actor) {
    if (group.frozen || !ctx_.deployments.latest_manifest(group.group_id)) return;  // none yet: the first check signs
    sign(group, actor);
}

ManifestSigner::Served ManifestSigner::current(const GroupRecord& group, std::string_view device_id,
                                               std::uint64_t seen_version) {
    Served out;
    const auto now_s = ctx_.clock.now_unix_s();
    // Frozen: whatever the group was last signed, whichever deployment it offers.
    const auto deployment = offered(group, device_id);
    auto latest = group.frozen ? ctx_.deployments.latest_manifest(group.group_id)
                               : ctx_.deployments.latest_manifest(group.group_id, deployment ? deployment->deployment_id : 0);
    bool due = !latest;
    if (latest && !group.frozen) {
        const auto content = content_of(desired(group, deployment, nullptr), group);
        due = content != latest->content || now_s >= latest->expires_s - group.manifest_lifetime_s / 2 ||
              latest->version < seen_version;
    }
    if (due) {
        out.record = sign(group, deployment, device_id);
        out.signed_now = true;
    } else {
        out.record = *latest;
    }
    out.expired = now_s > out.record.expires_s;
    return out;
}

}  // namespace svp::cloud

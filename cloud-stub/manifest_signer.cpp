#include "cloud-stub/manifest_signer.h"

#include <fmt/format.h>

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

protocol::ManifestBody ManifestSigner::desired(const GroupRecord& group, std::vector<std::string>* downloads) {
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
    if (group.update_policy == "UpdateAll")
        if (auto deployment = ctx_.deployments.latest_deployment(group.group_id))
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
    std::vector<std::string> downloads;
    auto body = desired(group, &downloads);
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

ManifestSigner::Served ManifestSigner::current(const GroupRecord& group, std::string_view actor) {
    Served out;
    const auto now_s = ctx_.clock.now_unix_s();
    auto latest = ctx_.deployments.latest_manifest(group.group_id);
    bool due = !latest;
    if (latest && !group.frozen) {
        const auto content = content_of(desired(group, nullptr), group);
        due = content != latest->content || now_s >= latest->expires_s - group.manifest_lifetime_s / 2;
    }
    if (due) {
        out.record = sign(group, actor);
        out.signed_now = true;
    } else {
        out.record = *latest;
    }
    out.expired = now_s > out.record.expires_s;
    return out;
}

}  // namespace svp::cloud

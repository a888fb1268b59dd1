#include "cloud-stub/admin_api.h"

#include <charconv>

#include <fmt/format.h>

#include "cloud-stub/json_body.h"
#include "common/image/image_format.h"
#include "common/protocol/attestation.h"

namespace svp::cloud {
namespace {

using ojson = nlohmann::ordered_json;

ojson optional_ns(const std::optional<std::int64_t>& v) { return v ? ojson(*v) : ojson(nullptr); }

ojson image_json(const ImageRecord& r) {
    return {{"measurement", r.measurement},
            {"type", image::to_string(static_cast<image::ImageType>(r.type))},
            {"type_id", r.type},
            {"component", r.component},
            {"product", r.product},
            {"version", r.version},
            {"security_counter", r.security_counter},
            {"size", r.size},
            {"signer_key_id", r.signer_key_id},
            {"uploaded_ns", r.uploaded_ns},
            {"sha256", r.sha256}};
}

std::string optional_reason(const ApiRequest& request) {
    if (request.body.empty()) return {};
    auto body = parse_json_object(request.body);
    allow_fields(body, {"reason"});
    return body.contains("reason") ? required_string(body, "reason", kMaxRevokeReasonLength) : std::string();
}

// The device named by the route's {id}, recorded as the request's subject.
std::string route_device(RequestScope& scope) {
    const auto device_id = checked_device_id(scope.params.at("id"));
    scope.subject = device_id;
    scope.event_fields["device"] = device_id;
    return device_id;
}

}  // namespace

void AdminApi::authenticate(const ApiRequest& request, RequestScope& scope) const {
    if (request.authorization.empty())
        throw ApiError(401, reason::unauthenticated, "missing 'Authorization: Bearer <token>' (see the admin token file)");
    if (!token_.accepts(request.authorization)) throw ApiError(401, reason::unauthenticated, "wrong admin token");
    scope.actor = "admin";
}

ApiResponse AdminApi::upload_image(const ApiRequest& request, RequestScope& scope) {
    allow_only(scope, {});
    const ByteView bytes = as_bytes(request.body);
    image::ParsedImage img;
    try {
        img = image::parse_image(bytes);
    } catch (const image::ImageFormatError& e) {
        throw ApiError(400, "bad-image", e.what());
    }
    // Whether the signer is trusted is the device's decision; an image whose signature does
    // not even match its own signer key is damaged, and no device would boot it.
    if (!image::signature_matches(img))
        throw ApiError(400, "bad-image", "the signature does not match the image's signer key");

    const auto& h = img.header;
    ImageRecord r;
    r.measurement = to_hex(ByteView(img.measurement()));
    r.type = static_cast<int>(h.type);
    r.component = image::to_string(h.component_id);
    r.product = image::to_string(h.product_id);
    r.version = image::version_to_string(h.version);
    r.security_counter = h.security_counter;
    r.size = img.image_size;
    r.signer_key_id = to_hex(ByteView(img.signature.key_id()));
    r.uploaded_ns = ctx_.clock.now_unix_ns();
    scope.subject = r.measurement;

    const bool created = ctx_.store.add_image(r, bytes.first(img.image_size));
    if (created)
        ctx_.audit_ok("admin", scope.action, r.measurement,
                      fmt::format("{} {} {} ({} bytes)", image::to_string(h.type), r.component, r.version, r.size));
    ctx_.events.emit(ev::cloud_admin_image_uploaded, {{"measurement", r.measurement},
                                                      {"type", image::to_string(h.type)},
                                                      {"version", r.version},
                                                      {"size", r.size},
                                                      {"new", created}});
    auto stored = created ? r : *ctx_.store.find_image(r.measurement);
    auto body = image_json(stored);
    body["created"] = created;
    return {created ? 201u : 200u, body};
}

ApiResponse AdminApi::list_images(const ApiRequest&, RequestScope& scope) {
    allow_only(scope, {});
    ojson list = ojson::array();
    for (const auto& r : ctx_.store.images()) list.push_back(image_json(r));
    return {200, {{"images", list}}};
}

ApiResponse AdminApi::list_devices(const ApiRequest&, RequestScope& scope) {
    allow_only(scope, {});
    ojson list = ojson::array();
    const auto default_group = ctx_.deployments.default_group_id();
    for (const auto& d : ctx_.store.devices()) {
        auto group = ctx_.deployments.group(d.group_id.value_or(default_group));
        auto product = ctx_.deployments.find_product(group->product_id);
        ojson j = {{"device_id", d.device_id},
                   {"first_seen_ns", optional_ns(d.first_seen_ns)},
                   {"last_attested_ns", optional_ns(d.last_attested_ns)},
                   {"revoked", d.revoked()},
                   {"revoked_ns", optional_ns(d.revoked_ns)},
                   {"revoke_reason", d.revoke_reason},
                   {"quarantined", d.quarantined()},
                   {"quarantined_ns", optional_ns(d.quarantined_ns)},
                   {"quarantine_reason", d.quarantine_reason},
                   {"product", product->name},
                   {"group", group->name},
                   {"claimed", d.group_id.has_value()},
                   {"installed", d.installed.empty() ? ojson(nullptr) : ojson::parse(d.installed)},
                   {"installed_ns", optional_ns(d.installed_ns)},
                   {"manifest_seen", d.manifest_seen}};
        auto certs = ctx_.store.certificates(d.device_id);
        j["certificates"] = certs.size();
        if (!certs.empty())
            j["latest_certificate"] = {{"serial", certs.back().serial}, {"not_after", certs.back().not_after_s}};
        list.push_back(std::move(j));
    }
    return {200, {{"devices", list}}};
}

ApiResponse AdminApi::revoke_device(const ApiRequest& request, RequestScope& scope) {
    allow_only(scope, {});
    const auto device_id = route_device(scope);
    const auto why = optional_reason(request);
    const bool changed = ctx_.store.revoke_device(device_id, ctx_.clock.now_unix_ns(), why);
    if (changed) {
        ctx_.audit_ok("admin", scope.action, device_id, why);
        ctx_.events.emit(ev::cloud_admin_device_revoked, {{"device", device_id}, {"reason", why}});
    }
    auto device = ctx_.store.find_device(device_id);
    return {200, {{"device_id", device_id},
                  {"revoked", true},
                  {"already_revoked", !changed},
                  {"revoked_ns", optional_ns(device->revoked_ns)},
                  {"revoke_reason", device->revoke_reason}}};
}

ApiResponse AdminApi::quarantine_device(const ApiRequest& request, RequestScope& scope) {
    allow_only(scope, {});
    const auto device_id = route_device(scope);
    const auto why = optional_reason(request);
    const bool changed = ctx_.store.quarantine_device(device_id, ctx_.clock.now_unix_ns(), why);
    if (changed) {
        ctx_.audit_ok("admin", scope.action, device_id, why);
        ctx_.events.emit(ev::cloud_admin_device_quarantined, {{"device", device_id}, {"reason", why}});
    }
    auto device = ctx_.store.find_device(device_id);
    return {200, {{"device_id", device_id},
                  {"quarantined", true},
                  {"already_quarantined", !changed},
                  {"quarantined_ns", optional_ns(device->quarantined_ns)},
                  {"quarantine_reason", device->quarantine_reason}}};
}

ApiResponse AdminApi::release_device(const ApiRequest& request, RequestScope& scope) {
    allow_only(scope, {});
    const auto device_id = route_device(scope);
    allow_fields(optional_json_object(request.body), {});
    const bool changed = ctx_.store.release_device(device_id);
    if (changed) {
        ctx_.audit_ok("admin", scope.action, device_id, "");
        ctx_.events.emit(ev::cloud_admin_device_released, {{"device", device_id}});
    }
    return {200, {{"device_id", device_id}, {"quarantined", false}, {"was_quarantined", changed}}};
}

ApiResponse AdminApi::claim_device(const ApiRequest& request, RequestScope& scope) {
    allow_only(scope, {});
    const auto device_id = route_device(scope);
    auto body = parse_json_object(request.body);
    allow_fields(body, {"product", "group"});
    const auto product_ref = required_string(body, "product", kMaxNameLength);
    const auto group_name = required_string(body, "group", kMaxNameLength);
    auto product = ctx_.deployments.find_product(product_ref);
    if (!product) throw ApiError(404, reason::not_found, "no product '" + product_ref + "'");
    auto group = ctx_.deployments.find_group(product->product_id, group_name);
    if (!group) throw ApiError(404, reason::not_found, "product '" + product->name + "' has no group '" + group_name + "'");
    ctx_.store.assign_group(device_id, group->group_id);
    signer_.resign_for_newcomers(*group, "admin");
    ctx_.audit_ok("admin", scope.action, device_id, product->name + " / " + group->name);
    ctx_.events.emit(ev::cloud_admin_device_claimed,
                     {{"device", device_id}, {"product", product->name}, {"group", group->name}});
    return {200, {{"device_id", device_id}, {"product", product->name}, {"product_id", product->product_id},
                  {"group", group->name}}};
}

ApiResponse AdminApi::reports(const ApiRequest&, RequestScope& scope) {
    allow_only(scope, {"device", "limit"});
    std::string device;
    if (auto it = scope.target.query.find("device"); it != scope.target.query.end())
        device = checked_device_id(it->second);
    ojson list = ojson::array();
    for (const auto& r : ctx_.store.reports(device, limit_param(scope)))
        list.push_back({{"device_id", r.device_id}, {"seq", r.seq}, {"app", r.app}, {"kind", r.kind},
                        {"status", r.status}, {"time_ms", r.time_ms}, {"detail", r.detail},
                        {"received_ns", r.received_ns}});
    return {200, {{"reports", list}}};
}

ApiResponse AdminApi::audit_log(const ApiRequest&, RequestScope& scope) {
    allow_only(scope, {"limit"});
    ojson list = ojson::array();
    for (const auto& a : ctx_.store.audit_log(limit_param(scope)))
        list.push_back({{"id", a.id}, {"at_ns", a.at_ns}, {"actor", a.actor}, {"action", a.action},
                        {"subject", a.subject}, {"outcome", a.outcome}, {"reason", a.reason}, {"detail", a.detail}});
    return {200, {{"audit", list}}};
}

ApiResponse AdminApi::telemetry(const ApiRequest&, RequestScope& scope) {
    allow_only(scope, {"device", "limit"});
    std::string device;
    if (auto it = scope.target.query.find("device"); it != scope.target.query.end())
        device = checked_device_id(it->second);
    ojson list = ojson::array();
    for (const auto& t : ctx_.store.telemetry(device, limit_param(scope)))
        list.push_back({{"device_id", t.device_id}, {"seq", t.seq}, {"kind", t.kind}, {"value", t.value},
                        {"received_ns", t.received_ns}});
    return {200, {{"records", list}}};
}

}  // namespace svp::cloud

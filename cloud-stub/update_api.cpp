#include "cloud-stub/update_api.h"

#include <fmt/format.h>

#include "cloud-stub/admin_params.h"
#include "cloud-stub/http_range.h"
#include "cloud-stub/json_body.h"
#include "cloud-stub/rollout.h"
#include "common/image/image_format.h"

namespace svp::cloud {
namespace {

bool is_lower_hex(std::string_view s) {
    return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace

std::string parse_installed(const std::string& text) {
    auto body = parse_json_object(text);
    auto it = body.find("installed");
    if (it == body.end() || !it->is_array()) malformed("'installed' must be an array");
    if (it->size() > kMaxInstalledImages) malformed(fmt::format("at most {} installed images", kMaxInstalledImages));
    nlohmann::json out = nlohmann::json::array();
    for (const auto& entry : *it) {
        if (!entry.is_object()) malformed("each installed image must be an object");
        auto component = required_string(entry, "component", 36);
        auto version = required_string(entry, "version", 32);
        try {
            component = image::to_string(image::guid_from_string(component, "component"));
            image::version_from_string(version, "version");
        } catch (const InputError& e) {
            malformed(std::string("installed: ") + e.what());
        }
        protocol::Installed installed{component, static_cast<std::uint16_t>(required_int(entry, "type", 0, 0xFFFF)),
                                      version, static_cast<std::uint32_t>(required_int(entry, "counter", 0, 0xFFFFFFFF))};
        out.push_back(installed.to_json());
    }
    return out.dump();
}

GroupRecord UpdateApi::group_of(const std::optional<DeviceRecord>& device) {
    const auto id = device && device->group_id ? *device->group_id : ctx_.deployments.default_group_id();
    auto group = ctx_.deployments.group(id);
    if (!group) throw std::runtime_error(fmt::format("device group {} is missing", id));
    return *group;
}

ApiResponse UpdateApi::check(const ApiRequest& request, RequestScope& scope) {
    const auto now = ctx_.clock.now_unix_ns();
    const auto device_id = gate_.authenticate_device(request, scope, now / 1'000'000'000);
    gate_.charge(device_id);
    const auto device = ctx_.store.find_device(device_id);
    gate_.check_not_revoked(device);
    gate_.check_not_quarantined(device);
    const auto installed = parse_installed(request.body);

    const auto group = group_of(device);
    const auto served = signer_.current(group, device_id, device ? device->manifest_seen : 0);
    ctx_.store.record_installed(device_id, installed, now, served.record.version);
    auto manifest = nlohmann::ordered_json::parse(served.record.json);
    ctx_.events.emit(ev::cloud_update_checked, {{"device", device_id},
                                                {"group", group.name},
                                                {"version", served.record.version},
                                                {"images", manifest["signed"]["images"].size()},
                                                {"expired", served.expired}});
    return {200, {{"manifest", std::move(manifest)}}};
}

ApiResponse UpdateApi::image(const ApiRequest& request, RequestScope& scope) {
    const auto now = ctx_.clock.now_unix_ns();
    const auto device_id = gate_.authenticate_device(request, scope, now / 1'000'000'000);
    // A download that succeeds only reads: it is free. A refused one costs what any refusal does.
    if (!gate_.has_budget(device_id)) gate_.charge(device_id);
    try {
        const auto device = ctx_.store.find_device(device_id);
        gate_.check_not_revoked(device);
        gate_.check_not_quarantined(device);
        allow_only(scope, {});
        const auto& name = scope.params.at("sha256");
        if (name.size() != 64 || !is_lower_hex(name))
            malformed("an image is named by the 64 lowercase hex digits of its SHA-256");
        const auto group = group_of(device);
        auto image = ctx_.store.find_image_by_sha256(name);
        if (!image || !ctx_.deployments.group_may_download(group.group_id, name))
            throw ApiError(404, reason::not_found, fmt::format("no image {} for this device's group", name));
        scope.subject = image->measurement;

        const auto range = parse_range(request.range, image->size);
        const auto first = range ? range->first : 0;
        const auto length = range ? range->length() : image->size;
        auto bytes = ctx_.store.image_bytes(name, first, length);
        if (bytes.size() != length)
            throw std::runtime_error(fmt::format("image {}: read {} bytes of {}", name, bytes.size(), length));
        ApiResponse response;
        response.status = range ? 206 : 200;
        response.headers = {{"Accept-Ranges", "bytes"}, {"ETag", "\"" + name + "\""}};
        if (range)
            response.headers.emplace_back("Content-Range", fmt::format("bytes {}-{}/{}", range->first, range->last, image->size));
        ctx_.events.emit(ev::cloud_update_served, {{"device", device_id},
                                                   {"measurement", image->measurement},
                                                   {"first", first},
                                                   {"last", first + length - 1},
                                                   {"size", image->size},
                                                   {"partial", range.has_value()}});
        response.raw = std::move(bytes);
        return response;
    } catch (const ApiError&) {
        gate_.charge(device_id);
        throw;
    }
}

ApiResponse UpdateApi::outcome(const ApiRequest& request, RequestScope& scope) {
    const auto now = ctx_.clock.now_unix_ns();
    const auto device_id = gate_.authenticate_device(request, scope, now / 1'000'000'000);
    gate_.charge(device_id);
    const auto device = ctx_.store.find_device(device_id);
    gate_.check_not_revoked(device);
    // A quarantined device's outcome is still taken, as its failure reports are: evidence.

    auto body = parse_json_object(request.body);
    allow_fields(body, {"manifest_version", "outcome"});
    const auto version = required_int(body, "manifest_version", 1, INT64_MAX);
    const auto outcome = required_string(body, "outcome", 32);
    if (!known_outcome(outcome)) malformed(fmt::format("'outcome' must be one of {}", outcome_names()));

    const auto group = group_of(device);
    const auto manifest = ctx_.deployments.manifest(group.group_id, static_cast<std::uint64_t>(version));
    if (!manifest)
        throw ApiError(404, reason::not_found, fmt::format("group '{}' has no manifest version {}", group.name, version));
    const auto rollout = manifest->deployment_id ? ctx_.deployments.rollout(manifest->deployment_id) : std::nullopt;
    if (!rollout)
        throw ApiError(409, "not-in-rollout",
                       fmt::format("manifest {} offers no staged rollout (outcomes are taken for staged rollouts only)", version));
    if (!in_rollout_phase(device_id, rollout->deployment_id, rollout->percent()))
        throw ApiError(409, "not-in-rollout",
                       fmt::format("this device is not in phase {} ({} %) of deployment {}'s rollout", rollout->phase + 1,
                                   rollout->percent(), rollout->deployment_version));
    scope.subject = fmt::format("deployment {}", rollout->deployment_version);

    const auto recorded = ctx_.deployments.record_outcome(
        rollout->deployment_id, device_id, outcome, now,
        {0, now, device_id, scope.action, scope.subject, "ok", "", fmt::format("{} (manifest {})", outcome, version)},
        [&](const RolloutRecord& r) { return check_rollout_failure_threshold(r, ctx_.defences); });
    const auto& r = recorded.rollout;
    auto product = ctx_.deployments.find_product(group.product_id);
    const auto product_name = product ? product->name : group.product_id;
    ctx_.events.emit(ev::cloud_rollout_outcome, {{"device", device_id},
                                                 {"group", group.name},
                                                 {"deployment", r.deployment_version},
                                                 {"outcome", outcome},
                                                 {"phase", r.phase + 1},
                                                 {"stored", recorded.stored}});
    if (recorded.halted_now)
        ctx_.events.emit(ev::cloud_rollout_halted, {{"product", product_name},
                                                    {"group", group.name},
                                                    {"deployment", r.deployment_version},
                                                    {"failures", r.failures},
                                                    {"outcomes", r.outcomes},
                                                    {"threshold_percent", r.plan.failure_threshold_percent}});
    return {200, {{"deployment", r.deployment_version}, {"outcome", outcome}, {"stored", recorded.stored}, {"rollout", r.to_json()}}};
}

ApiResponse UpdateApi::update_key(const ApiRequest&, RequestScope& scope) {
    allow_only(scope, {});
    const auto key = ctx_.pki.update_key().public_key();
    return {200, {{"key_id", to_hex(ByteView(key.key_id()))}, {"pem", key.pem()}}};
}

}  // namespace svp::cloud

#include "cloud-stub/deployment_api.h"

#include <algorithm>
#include <charconv>
#include <map>

#include <fmt/format.h>

#include "cloud-stub/admin_params.h"
#include "cloud-stub/json_body.h"
#include "common/image/image_format.h"

namespace svp::cloud {
namespace {

using ojson = nlohmann::ordered_json;

bool is_one_of(std::string_view value, std::span<const std::string_view> allowed) {
    return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

std::string joined(std::span<const std::string_view> names) {
    std::string out;
    for (auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
    return out;
}

std::string checked_feed(const nlohmann::json& body) {
    auto feed = required_string(body, "os_feed", kMaxNameLength);
    if (!is_one_of(feed, kOsFeeds)) malformed(fmt::format("'os_feed' must be one of {}", joined(kOsFeeds)));
    return feed;
}

std::string checked_policy(const nlohmann::json& body) {
    auto policy = required_string(body, "update_policy", kMaxNameLength);
    if (!is_one_of(policy, kUpdatePolicies))
        malformed(fmt::format("'update_policy' must be one of {}", joined(kUpdatePolicies)));
    return policy;
}

std::int64_t checked_lifetime(const nlohmann::json& body) {
    return required_int(body, "manifest_lifetime_s", kMinManifestLifetimeS, kMaxManifestLifetimeS);
}

bool is_guid(std::string_view text) {
    try {
        image::guid_from_string(text);
        return true;
    } catch (const InputError&) {
        return false;
    }
}

std::string normalized_guid(const std::string& text, std::string_view what) {
    try {
        return image::to_string(image::guid_from_string(text, what));
    } catch (const InputError& e) {
        malformed(e.what());
    }
}

// Requirements by component, the highest minimum winning.
using Requirements = std::map<std::string, std::uint32_t>;

void add_requirements(Requirements& into, const nlohmann::json& list, std::string_view where, const char* code) {
    auto refuse = [&](const std::string& what) { throw ApiError(400, code, fmt::format("{}: {}", where, what)); };
    if (!list.is_array()) refuse("'requires' must be an array");
    if (list.size() > kMaxRequirements) refuse(fmt::format("at most {} requirements", kMaxRequirements));
    for (const auto& r : list) {
        if (!r.is_object() || !r.contains("component") || !r.contains("min_version") || !r["component"].is_string() ||
            !r["min_version"].is_string())
            refuse("each requirement is {\"component\": GUID, \"min_version\": \"x.y.z\"}");
        try {
            auto component = image::to_string(image::guid_from_string(r["component"].get<std::string>(), "component"));
            auto version = image::version_from_string(r["min_version"].get<std::string>(), "min_version");
            auto& slot = into[component];
            slot = std::max(slot, version);
        } catch (const InputError& e) {
            refuse(e.what());
        }
    }
}

std::string requirements_json(const Requirements& r) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [component, version] : r)
        out.push_back({{"component", component}, {"min_version", image::version_to_string(version)}});
    return out.dump();
}

ojson product_json(const ProductRecord& p) {
    return {{"product_id", p.product_id}, {"name", p.name}, {"description", p.description}, {"created_ns", p.created_ns}};
}

}  // namespace

ProductRecord DeploymentApi::product_param(RequestScope& scope) {
    const auto& ref = scope.params.at("product");
    auto product = ctx_.deployments.find_product(ref);
    if (!product) throw ApiError(404, reason::not_found, fmt::format("no product '{}'", ref));
    scope.subject = product->name;
    scope.event_fields["product"] = product->name;
    return *product;
}

GroupRecord DeploymentApi::group_param(RequestScope& scope, ProductRecord* product_out) {
    auto product = product_param(scope);
    const auto& name = scope.params.at("group");
    auto group = ctx_.deployments.find_group(product.product_id, name);
    if (!group) throw ApiError(404, reason::not_found, fmt::format("product '{}' has no group '{}'", product.name, name));
    scope.subject = product.name + " / " + group->name;
    scope.event_fields["group"] = group->name;
    if (product_out) *product_out = product;
    return *group;
}

ImageRecord DeploymentApi::image_by_id(const std::string& id, std::string_view where) {
    if (id.size() != 64 || id.find_first_not_of("0123456789abcdef") != std::string::npos)
        malformed(fmt::format("{}: an image id is the 64 lowercase hex digits of its measurement or sha256", where));
    auto image = ctx_.store.find_image(id);
    if (!image) image = ctx_.store.find_image_by_sha256(id);
    if (!image) throw ApiError(400, "unknown-image", fmt::format("{}: no uploaded image {}", where, id));
    return *image;
}

ojson DeploymentApi::group_json(const GroupRecord& g) {
    ojson j = {{"name", g.name},
               {"product_id", g.product_id},
               {"os_feed", g.os_feed},
               {"update_policy", g.update_policy},
               {"manifest_lifetime_s", g.manifest_lifetime_s},
               {"frozen", g.frozen},
               {"created_ns", g.created_ns}};
    auto deployment = ctx_.deployments.latest_deployment(g.group_id);
    j["deployment"] = deployment ? ojson(deployment->version) : ojson(nullptr);
    auto manifest = ctx_.deployments.latest_manifest(g.group_id);
    j["manifest"] = manifest ? ojson{{"version", manifest->version}, {"expires", manifest->expires_s}} : ojson(nullptr);
    return j;
}

void DeploymentApi::group_changed(const GroupRecord& g, const std::string& product_name) {
    ctx_.events.emit(ev::cloud_admin_group_updated, {{"product", product_name},
                                                     {"group", g.name},
                                                     {"feed", g.os_feed},
                                                     {"policy", g.update_policy},
                                                     {"manifest_lifetime_s", g.manifest_lifetime_s},
                                                     {"frozen", g.frozen}});
}

ApiResponse DeploymentApi::create_product(const ApiRequest& request, RequestScope& scope) {
    allow_only(scope, {});
    auto body = parse_json_object(request.body);
    allow_fields(body, {"name", "product_id", "description"});
    ProductRecord p;
    p.name = checked_name(required_string(body, "name", kMaxNameLength), "'name'");
    if (is_guid(p.name)) malformed("a product name must not be a GUID (products are referred to by name or GUID)");
    if (body.contains("description")) {
        p.description = required_string(body, "description", kMaxDescriptionLength);
        for (unsigned char c : p.description)
            if (c < 0x20 || c > 0x7E) malformed("'description' must be printable ASCII");
    }
    p.product_id = body.contains("product_id") ? normalized_guid(required_string(body, "product_id", 36), "product_id")
                                               : ctx_.random.guid();
    scope.subject = p.name;
    if (ctx_.deployments.find_product(p.name))
        throw ApiError(409, reason::conflict, fmt::format("a product named '{}' exists", p.name));
    if (ctx_.deployments.find_product(p.product_id))
        throw ApiError(409, reason::conflict, fmt::format("product id {} is taken", p.product_id));
    p.created_ns = ctx_.clock.now_unix_ns();
    ctx_.deployments.add_product(p, {0, p.created_ns, "admin", scope.action, p.name, "ok", "", p.product_id});
    ctx_.events.emit(ev::cloud_admin_product_created,
                     {{"product", p.name}, {"product_id", p.product_id}, {"groups", kDefaultGroups.size()}});
    auto j = product_json(p);
    ojson groups = ojson::array();
    for (const auto& g : ctx_.deployments.groups(p.product_id)) groups.push_back(group_json(g));
    j["groups"] = groups;
    return {201, j};
}

ApiResponse DeploymentApi::list_products(const ApiRequest&, RequestScope& scope) {
    allow_only(scope, {});
    ojson list = ojson::array();
    for (const auto& p : ctx_.deployments.products()) {
        auto j = product_json(p);
        j["groups"] = ctx_.deployments.groups(p.product_id).size();
        list.push_back(std::move(j));
    }
    return {200, {{"products", list}}};
}

ApiResponse DeploymentApi::list_groups(const ApiRequest&, RequestScope& scope) {
    allow_only(scope, {});
    auto product = product_param(scope);
    ojson list = ojson::array();
    for (const auto& g : ctx_.deployments.groups(product.product_id)) list.push_back(group_json(g));
    return {200, {{"product", product.name}, {"groups", list}}};
}

ApiResponse DeploymentApi::create_group(const ApiRequest& request, RequestScope& scope) {
    allow_only(scope, {});
    auto product = product_param(scope);
    auto body = parse_json_object(request.body);
    allow_fields(body, {"name", "os_feed", "update_policy", "manifest_lifetime_s"});
    GroupRecord g;
    g.product_id = product.product_id;
    g.name = checked_name(required_string(body, "name", kMaxNameLength), "'name'");
    g.os_feed = body.contains("os_feed") ? checked_feed(body) : "Retail";
    g.update_policy = body.contains("update_policy") ? checked_policy(body) : "UpdateAll";
    if (body.contains("manifest_lifetime_s")) g.manifest_lifetime_s = checked_lifetime(body);
    g.created_ns = ctx_.clock.now_unix_ns();
    scope.subject = product.name + " / " + g.name;
    if (ctx_.deployments.find_group(product.product_id, g.name))
        throw ApiError(409, reason::conflict, fmt::format("product '{}' has a group '{}'", product.name, g.name));
    g.group_id = ctx_.deployments.add_group(g, {0, g.created_ns, "admin", scope.action, scope.subject, "ok", "",
                                                fmt::format("{}, {}", g.os_feed, g.update_policy)});
    ctx_.events.emit(ev::cloud_admin_group_created,
                     {{"product", product.name}, {"group", g.name}, {"feed", g.os_feed}, {"policy", g.update_policy}});
    return {201, group_json(g)};
}

ApiResponse DeploymentApi::update_group(const ApiRequest& request, RequestScope& scope) {
    allow_only(scope, {});
    ProductRecord product;
    auto g = group_param(scope, &product);
    auto body = parse_json_object(request.body);
    allow_fields(body, {"os_feed", "update_policy", "manifest_lifetime_s"});
    if (body.empty()) malformed("nothing to change: give os_feed, update_policy or manifest_lifetime_s");
    if (body.contains("os_feed")) g.os_feed = checked_feed(body);
    if (body.contains("update_policy")) g.update_policy = checked_policy(body);
    if (body.contains("manifest_lifetime_s")) g.manifest_lifetime_s = checked_lifetime(body);
    ctx_.deployments.update_group(g, {0, ctx_.clock.now_unix_ns(), "admin", scope.action, scope.subject, "ok", "",
                                      fmt::format("{}, {}, manifests live {} s", g.os_feed, g.update_policy,
                                                  g.manifest_lifetime_s)});
    group_changed(g, product.name);
    return {200, group_json(g)};
}

ApiResponse DeploymentApi::set_frozen(RequestScope& scope, bool frozen) {
    allow_only(scope, {});
    ProductRecord product;
    auto g = group_param(scope, &product);
    // Freezing keeps serving the manifest the group has; one with none gets one first.
    if (frozen && !ctx_.deployments.latest_manifest(g.group_id)) signer_.sign(g, "admin");
    const bool changed = g.frozen != frozen;
    g.frozen = frozen;
    if (changed) {
        ctx_.deployments.update_group(g, {0, ctx_.clock.now_unix_ns(), "admin", scope.action, scope.subject, "ok", "",
                                          frozen ? "manifest no longer re-signed" : "manifest re-signed again"});
        group_changed(g, product.name);
    }
    return {200, group_json(g)};
}

ApiResponse DeploymentApi::freeze_group(const ApiRequest& request, RequestScope& scope) {
    allow_fields(optional_json_object(request.body), {});
    return set_frozen(scope, true);
}

ApiResponse DeploymentApi::unfreeze_group(const ApiRequest& request, RequestScope& scope) {
    allow_fields(optional_json_object(request.body), {});
    return set_frozen(scope, false);
}

ApiResponse DeploymentApi::deploy(const ApiRequest& request, RequestScope& scope) {
    allow_only(scope, {});
    ProductRecord product;
    auto g = group_param(scope, &product);
    auto body = parse_json_object(request.body);
    allow_fields(body, {"images", "requires", "rollout"});
    std::optional<RolloutPlan> rollout;
    if (body.contains("rollout")) rollout = parse_rollout_plan(body["rollout"]);
    auto it = body.find("images");
    if (it == body.end() || !it->is_array()) malformed("'images' must be an array of image ids");
    if (it->size() > kMaxImagesPerDeployment) malformed(fmt::format("at most {} images per deployment", kMaxImagesPerDeployment));
    Requirements common;
    if (body.contains("requires")) add_requirements(common, body["requires"], "requires", reason::malformed);

    std::vector<DeploymentImage> images;
    ojson listed = ojson::array();
    std::map<std::string, std::string> components;
    for (std::size_t i = 0; i < it->size(); ++i) {
        const auto& entry = (*it)[i];
        const auto where = fmt::format("images[{}]", i);
        Requirements req = common;
        std::string id;
        if (entry.is_string()) {
            id = entry.get<std::string>();
        } else if (entry.is_object()) {
            allow_fields(entry, {"id", "requires"});
            id = required_string(entry, "id", 64);
            if (entry.contains("requires")) add_requirements(req, entry["requires"], where + ".requires", reason::malformed);
        } else {
            malformed(where + ": an image id or {\"id\", \"requires\"}");
        }
        auto image = image_by_id(id, where);
        if (!is_app_image_type(image.type))
            throw ApiError(400, "wrong-image-type",
                           fmt::format("{}: {} is a {} image; deployments carry applications and real-time firmware "
                                       "(OS images go to a feed)",
                                       where, id, image::to_string(static_cast<image::ImageType>(image.type))));
        if (image.product != g.product_id)
            throw ApiError(400, "wrong-product", fmt::format("{}: {} is built for product {}, not {} ({})", where, id,
                                                             image.product, product.name, g.product_id));
        if (auto [at, fresh] = components.emplace(image.component, id); !fresh)
            throw ApiError(400, "duplicate-component",
                           fmt::format("{}: component {} is already deployed by {}", where, image.component, at->second));
        // What the image itself declares, under its signature.
        const auto stored = ctx_.store.image_bytes(image.sha256, 0, image.size);
        auto parsed = image::parse_image(as_bytes(stored));
        auto declared = nlohmann::json::parse(parsed.protected_area, nullptr, false);
        if (declared.is_object() && declared.contains("requires"))
            add_requirements(req, declared["requires"], where + " (its signed protected area)", "bad-requirement");
        images.push_back({image.measurement, requirements_json(req)});
        listed.push_back({{"measurement", image.measurement},
                          {"sha256", image.sha256},
                          {"component", image.component},
                          {"version", image.version},
                          {"requires", nlohmann::ordered_json::parse(images.back().requires_json)}});
    }
    const auto now = ctx_.clock.now_unix_ns();
    auto d = ctx_.deployments.add_deployment(
        g.group_id, images, now,
        {0, now, "admin", scope.action, scope.subject, "ok", "",
         rollout ? fmt::format("{} images, staged: phases {}, halt at {} % failures", images.size(),
                               phases_json(rollout->phases), rollout->failure_threshold_percent)
                 : fmt::format("{} images", images.size())},
        rollout);
    Fields fields = {{"product", product.name}, {"group", g.name}, {"deployment", d.version}, {"images", images.size()}};
    if (rollout) fields["phases"] = phases_json(rollout->phases);
    ctx_.events.emit(ev::cloud_admin_deployed, std::move(fields));
    ojson response = {{"product", product.name}, {"group", g.name}, {"deployment", d.version}, {"created_ns", now},
                      {"images", listed}, {"frozen", g.frozen}};
    if (auto r = ctx_.deployments.rollout(d.deployment_id)) response["rollout"] = r->to_json();
    return {201, response};
}

ApiResponse DeploymentApi::list_deployments(const ApiRequest&, RequestScope& scope) {
    allow_only(scope, {});
    auto g = group_param(scope);
    ojson list = ojson::array();
    for (const auto& d : ctx_.deployments.deployments(g.group_id)) {
        ojson images = ojson::array();
        for (const auto& img : d.images)
            images.push_back({{"measurement", img.measurement}, {"requires", ojson::parse(img.requires_json)}});
        ojson entry = {{"deployment", d.version}, {"created_ns", d.created_ns}, {"images", images}};
        auto r = ctx_.deployments.rollout(d.deployment_id);
        entry["rollout"] = r ? ojson(r->to_json()) : ojson(nullptr);
        list.push_back(std::move(entry));
    }
    return {200, {{"group", g.name}, {"deployments", list}}};
}

ApiResponse DeploymentApi::advance_rollout(const ApiRequest&, RequestScope& scope) {
    allow_only(scope, {});
    ProductRecord product;
    auto g = group_param(scope, &product);
    const auto& text = scope.params.at("version");
    std::int64_t version = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
    if (ec != std::errc() || end != text.data() + text.size() || version <= 0) malformed("a deployment is named by its version, a positive integer");
    auto d = ctx_.deployments.deployment(g.group_id, version);
    if (!d) throw ApiError(404, reason::not_found, fmt::format("group '{}' has no deployment {}", g.name, version));
    scope.subject = fmt::format("{}/{} deployment {}", product.name, g.name, version);
    auto r = ctx_.deployments.rollout(d->deployment_id);
    if (!r) throw ApiError(409, "not-in-rollout", fmt::format("deployment {} went to the whole group at once", version));
    if (!r->rolling())
        throw ApiError(409, "rollout-" + r->state,
                       fmt::format("deployment {}'s rollout is {}{}", version, r->state,
                                   r->halt_reason.empty() ? "" : ": " + r->halt_reason));
    const auto now = ctx_.clock.now_unix_ns();
    auto after = ctx_.deployments.advance_rollout(
        d->deployment_id, now,
        {0, now, "admin", scope.action, scope.subject, "ok", "",
         fmt::format("phase {} of {}: {} %", r->phase + 2, r->plan.phases.size(), r->plan.phases.at(r->phase + 1))});
    after.outcomes = r->outcomes;
    after.failures = r->failures;
    ctx_.events.emit(ev::cloud_rollout_advanced, {{"product", product.name},
                                                  {"group", g.name},
                                                  {"deployment", version},
                                                  {"phase", after.phase + 1},
                                                  {"percent", after.percent()},
                                                  {"state", after.state}});
    return {200, {{"product", product.name}, {"group", g.name}, {"deployment", version}, {"rollout", after.to_json()}}};
}

ApiResponse DeploymentApi::list_manifests(const ApiRequest&, RequestScope& scope) {
    allow_only(scope, {});
    auto g = group_param(scope);
    ojson list = ojson::array();
    for (const auto& m : ctx_.deployments.manifests(g.group_id))
        list.push_back({{"version", m.version},
                        {"expires", m.expires_s},
                        {"signed_ns", m.signed_ns},
                        {"images", nlohmann::json::parse(m.content).at("images").size()}});
    return {200, {{"group", g.name}, {"frozen", g.frozen}, {"manifests", list}}};
}

ApiResponse DeploymentApi::get_manifest(const ApiRequest&, RequestScope& scope) {
    allow_only(scope, {});
    auto g = group_param(scope);
    const auto& text = scope.params.at("version");
    std::uint64_t version = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
    if (ec != std::errc() || end != text.data() + text.size() || version == 0)
        malformed("a manifest version is a positive integer");
    auto m = ctx_.deployments.manifest(g.group_id, version);
    if (!m) throw ApiError(404, reason::not_found, fmt::format("group '{}' has no manifest version {}", g.name, version));
    return {200, {{"manifest", ojson::parse(m->json)}, {"signed_ns", m->signed_ns}}};
}

ApiResponse DeploymentApi::publish_os(const ApiRequest& request, RequestScope& scope) {
    allow_only(scope, {});
    const auto& feed = scope.params.at("feed");
    if (!is_one_of(feed, kOsFeeds)) throw ApiError(404, reason::not_found, fmt::format("no OS feed '{}' ({})", feed, joined(kOsFeeds)));
    scope.subject = feed;
    auto body = parse_json_object(request.body);
    allow_fields(body, {"images"});
    auto it = body.find("images");
    if (it == body.end() || !it->is_array() || it->empty()) malformed("'images' must be a non-empty array of image ids");
    if (it->size() > kMaxImagesPerDeployment) malformed(fmt::format("at most {} images per release", kMaxImagesPerDeployment));
    std::vector<std::string> measurements;
    std::map<std::string, std::string> components;
    for (std::size_t i = 0; i < it->size(); ++i) {
        const auto where = fmt::format("images[{}]", i);
        if (!(*it)[i].is_string()) malformed(where + ": an image id");
        auto image = image_by_id((*it)[i].get<std::string>(), where);
        if (!is_os_image_type(image.type))
            throw ApiError(400, "wrong-image-type",
                           fmt::format("{}: a {} image is not part of the OS (deploy it to a device group)", where,
                                       image::to_string(static_cast<image::ImageType>(image.type))));
        if (auto [at, fresh] = components.emplace(image.component, image.measurement); !fresh)
            throw ApiError(400, "duplicate-component",
                           fmt::format("{}: component {} is already in this release", where, image.component));
        measurements.push_back(image.measurement);
    }
    const auto now = ctx_.clock.now_unix_ns();
    auto r = ctx_.deployments.add_os_release(feed, measurements, now,
                                             {0, now, "admin", scope.action, feed, "ok", "",
                                              fmt::format("{} images", measurements.size())});
    ctx_.events.emit(ev::cloud_admin_os_published, {{"feed", feed}, {"release", r.version}, {"images", measurements.size()}});
    return {201, {{"feed", feed}, {"release", r.version}, {"created_ns", now}, {"images", measurements}}};
}

ApiResponse DeploymentApi::list_feeds(const ApiRequest&, RequestScope& scope) {
    allow_only(scope, {});
    ojson feeds = ojson::array();
    for (auto feed : kOsFeeds) {
        ojson releases = ojson::array();
        for (const auto& r : ctx_.deployments.os_releases(feed))
            releases.push_back({{"release", r.version}, {"created_ns", r.created_ns}, {"images", r.images}});
        feeds.push_back({{"name", feed}, {"releases", releases}});
    }
    return {200, {{"feeds", feeds}}};
}

ApiResponse DeploymentApi::get_default_group(const ApiRequest&, RequestScope& scope) {
    allow_only(scope, {});
    auto g = ctx_.deployments.group(ctx_.deployments.default_group_id());
    auto p = ctx_.deployments.find_product(g->product_id);
    return {200, {{"product", p->name}, {"product_id", p->product_id}, {"group", g->name}}};
}

ApiResponse DeploymentApi::set_default_group(const ApiRequest& request, RequestScope& scope) {
    allow_only(scope, {});
    auto body = parse_json_object(request.body);
    allow_fields(body, {"product", "group"});
    const auto product_ref = required_string(body, "product", kMaxNameLength);
    const auto group_name = required_string(body, "group", kMaxNameLength);
    auto p = ctx_.deployments.find_product(product_ref);
    if (!p) throw ApiError(404, reason::not_found, fmt::format("no product '{}'", product_ref));
    auto g = ctx_.deployments.find_group(p->product_id, group_name);
    if (!g) throw ApiError(404, reason::not_found, fmt::format("product '{}' has no group '{}'", p->name, group_name));
    scope.subject = p->name + " / " + g->name;
    ctx_.deployments.set_default_group(g->group_id, {0, ctx_.clock.now_unix_ns(), "admin", scope.action, scope.subject,
                                                     "ok", "", ""});
    signer_.resign_for_newcomers(*g, "admin");
    ctx_.events.emit(ev::cloud_admin_default_group, {{"product", p->name}, {"group", g->name}});
    return {200, {{"product", p->name}, {"product_id", p->product_id}, {"group", g->name}}};
}

}  // namespace svp::cloud

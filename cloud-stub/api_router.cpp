#include "cloud-stub/api_router.h"

#include <fmt/format.h>

#include "common/util/log.h"

namespace svp::cloud {
namespace {

bool matches(const std::vector<std::string_view>& pattern, const std::vector<std::string>& segments,
             std::map<std::string, std::string>* captures) {
    if (pattern.size() != segments.size()) return false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const auto& p = pattern[i];
        if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
            if (captures) (*captures)[std::string(p.substr(1, p.size() - 2))] = segments[i];
        } else if (p != segments[i]) {
            return false;
        }
    }
    return true;
}

std::string path_only(std::string_view target) { return std::string(target.substr(0, target.find('?'))); }

// Audit rows quote what clients sent (a path, a parser's complaint). Keep them printable ASCII,
// so an operator's terminal and the audit API's JSON never meet control or invalid bytes.
std::string printable(std::string_view text) {
    std::string out(text.substr(0, 512));
    for (auto& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) c = '?';
    return out;
}

}  // namespace

ApiRouter::ApiRouter(ServiceContext& context, const AdminToken& token)
    : ctx_(context), attestation_(context), telemetry_(context), updates_(context), reports_(context),
      admin_(context, token), deployments_(context), tenant_cas_(context) {
    auto bind = [](auto* api, auto method) {
        return [api, method](const ApiRequest& r, RequestScope& s) { return (api->*method)(r, s); };
    };
    routes_ = {
        {"POST", {"v1", "attestation", "challenge"}, "attest.challenge", Area::attestation, bind(&attestation_, &AttestationApi::challenge)},
        {"POST", {"v1", "attestation", "quote"}, "attest.quote", Area::attestation, bind(&attestation_, &AttestationApi::quote)},
        {"POST", {"v1", "telemetry"}, "telemetry.upload", Area::telemetry, bind(&telemetry_, &TelemetryApi::upload)},
        {"POST", {"v1", "updates", "check"}, "update.check", Area::updates, bind(&updates_, &UpdateApi::check)},
        {"GET", {"v1", "images", "{sha256}"}, "image.download", Area::updates, bind(&updates_, &UpdateApi::image)},
        {"GET", {"v1", "update-key"}, "update.key", Area::updates, bind(&updates_, &UpdateApi::update_key)},
        {"POST", {"v1", "updates", "outcome"}, "update.outcome", Area::updates, bind(&updates_, &UpdateApi::outcome)},
        {"GET", {"v1", "tenant-ca"}, "tenant-ca.bundle", Area::attestation, bind(&tenant_cas_, &TenantCaApi::bundle)},
        {"GET", {"admin", "v1", "tenant-ca"}, "tenant-ca.list", Area::admin, bind(&tenant_cas_, &TenantCaApi::list)},
        {"POST", {"admin", "v1", "tenant-ca", "rotate"}, "tenant-ca.rotate", Area::admin, bind(&tenant_cas_, &TenantCaApi::rotate)},
        {"POST", {"v1", "reports"}, "reports.upload", Area::reports, bind(&reports_, &ReportApi::upload)},
        {"POST", {"admin", "v1", "images"}, "image.upload", Area::admin, bind(&admin_, &AdminApi::upload_image)},
        {"GET", {"admin", "v1", "images"}, "image.list", Area::admin, bind(&admin_, &AdminApi::list_images)},
        {"GET", {"admin", "v1", "devices"}, "device.list", Area::admin, bind(&admin_, &AdminApi::list_devices)},
        {"POST", {"admin", "v1", "devices", "{id}", "revoke"}, "device.revoke", Area::admin, bind(&admin_, &AdminApi::revoke_device)},
        {"POST", {"admin", "v1", "devices", "{id}", "quarantine"}, "device.quarantine", Area::admin, bind(&admin_, &AdminApi::quarantine_device)},
        {"POST", {"admin", "v1", "devices", "{id}", "release"}, "device.release", Area::admin, bind(&admin_, &AdminApi::release_device)},
        {"POST", {"admin", "v1", "devices", "{id}", "claim"}, "device.claim", Area::admin, bind(&admin_, &AdminApi::claim_device)},
        {"GET", {"admin", "v1", "audit"}, "audit.list", Area::admin, bind(&admin_, &AdminApi::audit_log)},
        {"GET", {"admin", "v1", "telemetry"}, "telemetry.list", Area::admin, bind(&admin_, &AdminApi::telemetry)},
        {"GET", {"admin", "v1", "reports"}, "reports.list", Area::admin, bind(&admin_, &AdminApi::reports)},
        {"POST", {"admin", "v1", "products"}, "product.create", Area::admin, bind(&deployments_, &DeploymentApi::create_product)},
        {"GET", {"admin", "v1", "products"}, "product.list", Area::admin, bind(&deployments_, &DeploymentApi::list_products)},
        {"GET", {"admin", "v1", "products", "{product}", "groups"}, "group.list", Area::admin, bind(&deployments_, &DeploymentApi::list_groups)},
        {"POST", {"admin", "v1", "products", "{product}", "groups"}, "group.create", Area::admin, bind(&deployments_, &DeploymentApi::create_group)},
        {"PATCH", {"admin", "v1", "products", "{product}", "groups", "{group}"}, "group.update", Area::admin, bind(&deployments_, &DeploymentApi::update_group)},
        {"POST", {"admin", "v1", "products", "{product}", "groups", "{group}", "freeze"}, "group.freeze", Area::admin, bind(&deployments_, &DeploymentApi::freeze_group)},
        {"POST", {"admin", "v1", "products", "{product}", "groups", "{group}", "unfreeze"}, "group.unfreeze", Area::admin, bind(&deployments_, &DeploymentApi::unfreeze_group)},
        {"POST", {"admin", "v1", "products", "{product}", "groups", "{group}", "deployments"}, "deployment.create", Area::admin, bind(&deployments_, &DeploymentApi::deploy)},
        {"GET", {"admin", "v1", "products", "{product}", "groups", "{group}", "deployments"}, "deployment.list", Area::admin, bind(&deployments_, &DeploymentApi::list_deployments)},
        {"POST", {"admin", "v1", "products", "{product}", "groups", "{group}", "deployments", "{version}", "advance"}, "rollout.advance", Area::admin, bind(&deployments_, &DeploymentApi::advance_rollout)},
        {"GET", {"admin", "v1", "products", "{product}", "groups", "{group}", "manifests"}, "manifest.list", Area::admin, bind(&deployments_, &DeploymentApi::list_manifests)},
        {"GET", {"admin", "v1", "products", "{product}", "groups", "{group}", "manifests", "{version}"}, "manifest.get", Area::admin, bind(&deployments_, &DeploymentApi::get_manifest)},
        {"POST", {"admin", "v1", "os-feeds", "{feed}", "releases"}, "os.publish", Area::admin, bind(&deployments_, &DeploymentApi::publish_os)},
        {"GET", {"admin", "v1", "os-feeds"}, "os.list", Area::admin, bind(&deployments_, &DeploymentApi::list_feeds)},
        {"GET", {"admin", "v1", "default-group"}, "default-group.get", Area::admin, bind(&deployments_, &DeploymentApi::get_default_group)},
        {"PUT", {"admin", "v1", "default-group"}, "default-group.set", Area::admin, bind(&deployments_, &DeploymentApi::set_default_group)},
    };
}

const ApiRouter::Route* ApiRouter::match(const ApiRequest& request, RequestScope& scope) const {
    bool path_known = false;
    for (const auto& route : routes_) {
        if (!matches(route.pattern, scope.target.segments, nullptr)) continue;
        path_known = true;
        if (route.method != request.method) continue;
        matches(route.pattern, scope.target.segments, &scope.params);
        return &route;
    }
    if (path_known)
        throw ApiError(405, reason::method_not_allowed, fmt::format("{} is not a method of {}", request.method, scope.subject));
    throw ApiError(404, reason::not_found, fmt::format("no endpoint {}", scope.subject));
}

ApiResponse ApiRouter::handle(const ApiRequest& request) {
    RequestScope scope;
    scope.action = "http";
    scope.subject = path_only(request.target);
    scope.connection = request.connection;
    const EventType* refused = &ev::cloud_http_refused;
    try {
        tenant_cas_.retire_due();
        scope.target = parse_target(request.target);
        const Route* route = match(request, scope);
        scope.action = std::string(route->action);
        switch (route->area) {
        case Area::attestation: refused = &ev::cloud_attest_refused; break;
        case Area::telemetry: refused = &ev::cloud_telemetry_refused; break;
        case Area::updates: refused = &ev::cloud_update_refused; break;
        case Area::reports: refused = &ev::cloud_reports_refused; break;
        case Area::admin:
            refused = &ev::cloud_admin_refused;
            admin_.authenticate(request, scope);
            break;
        }
        return route->handler(request, scope);
    } catch (const ApiError& e) {
        return refuse(e, scope, *refused);
    } catch (const std::exception& e) {
        // Not the client's fault: say so, keep serving, and leave the details in the log.
        log::get("cloud.http")->error("{} {}: internal error: {}", request.method, scope.subject, e.what());
        return {500, {{"error", "internal"}, {"detail", "the service failed; see its log"}}};
    }
}

ApiResponse ApiRouter::refuse(const ApiError& e, const RequestScope& scope, const EventType& event) {
    ApiResponse response{e.status(), {{"error", e.code()}, {"detail", printable(e.detail())}}};
    response.headers = e.headers();
    if (e.recorded()) return response;
    audit_refusal({0, ctx_.clock.now_unix_ns(), scope.actor, scope.action, printable(scope.subject), "refused", e.code(),
                   printable(e.detail())});
    Fields fields = scope.event_fields;
    fields["action"] = scope.action;
    fields["reason"] = e.code();
    ctx_.events.emit(event, std::move(fields));
    return response;
}

void ApiRouter::audit_refusal(AuditRecord row) {
    if (!ctx_.limits.refusal_audit.take("", row.at_ns).allowed) {
        ++unaudited_refusals_;
        return;
    }
    if (unaudited_refusals_ > 0) {
        const auto n = std::exchange(unaudited_refusals_, 0);
        ctx_.store.audit({0, row.at_ns, "service", "audit.summary", "", "refused", "audit-budget",
                          fmt::format("{} refusals beyond the audit budget were not recorded one by one", n)});
        ctx_.events.emit(ev::cloud_limit_audit_summarised, {{"refusals", n}});
    }
    ctx_.store.audit(std::move(row));
}

ApiResponse ApiRouter::refuse_request(const ApiError& error, std::string_view target) {
    RequestScope scope;
    scope.action = "http";
    scope.subject = path_only(target);
    return refuse(error, scope, ev::cloud_http_refused);
}

std::size_t ApiRouter::body_limit(std::string_view method, std::string_view target, std::string_view authorization,
                                  const PeerCertificate& peer) const {
    if (method == "POST" && path_only(target) == "/v1/reports" && peer.presented() && peer.verify_error == 0)
        return kMaxReportUploadBytes;
    if (method == "POST" && path_only(target) == "/admin/v1/images") {
        ApiRequest probe;
        probe.authorization = std::string(authorization);
        RequestScope scope;
        try {
            admin_.authenticate(probe, scope);
            return kMaxImageUploadBytes;
        } catch (const ApiError&) {
            // Not authenticated: the small limit; the router refuses it with 401 once read.
        }
    }
    return kMaxRequestBytes;
}

}  // namespace svp::cloud

// Maps a request to its endpoint and turns every refusal into the same three things: a 4xx
// response {"error": code, "detail": text}, an event and an audit row. Handlers throw
// ApiError; anything else they throw is a bug in the service and answers 500.
//
//   method  path                              access        endpoint
//   POST    /v1/attestation/challenge         anyone        AttestationApi::challenge
//   POST    /v1/attestation/quote             anyone        AttestationApi::quote
//   POST    /v1/telemetry                     device (mTLS) TelemetryApi::upload
//   POST    /v1/updates/check                 device (mTLS) UpdateApi::check
//   GET     /v1/images/{sha256}               device (mTLS) UpdateApi::image
//   GET     /v1/update-key                    anyone        UpdateApi::update_key
//   POST    /v1/updates/outcome               device (mTLS) UpdateApi::outcome
//   POST    /v1/reports                       device (mTLS) ReportApi::upload
//   POST    /admin/v1/images                  admin token   AdminApi::upload_image
//   GET     /admin/v1/images                  admin token   AdminApi::list_images
//   GET     /admin/v1/devices                 admin token   AdminApi::list_devices
//   POST    /admin/v1/devices/{id}/revoke     admin token   AdminApi::revoke_device
//   POST    /admin/v1/devices/{id}/quarantine admin token   AdminApi::quarantine_device
//   POST    /admin/v1/devices/{id}/release    admin token   AdminApi::release_device
//   POST    /admin/v1/devices/{id}/claim      admin token   AdminApi::claim_device
//   GET     /admin/v1/audit                   admin token   AdminApi::audit_log
//   GET     /admin/v1/telemetry               admin token   AdminApi::telemetry
//   GET     /admin/v1/reports                 admin token   AdminApi::reports
//   GET     /v1/tenant-ca                     anyone        TenantCaApi::bundle
//   GET     /admin/v1/tenant-ca               admin token   TenantCaApi::list
//   POST    /admin/v1/tenant-ca/rotate        admin token   TenantCaApi::rotate
//   ...     /admin/v1/products..., /admin/v1/os-feeds..., /admin/v1/default-group
//                                             admin token   DeploymentApi (deployment_api.h)
//
// Refusals are audited one by one up to a budget (ServiceLimits::refusal_audit); beyond it
// they are counted, and the count becomes one audit row when the budget allows again.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "cloud-stub/admin_api.h"
#include "cloud-stub/attestation_api.h"
#include "cloud-stub/deployment_api.h"
#include "cloud-stub/report_api.h"
#include "cloud-stub/telemetry_api.h"
#include "cloud-stub/tenant_ca_api.h"
#include "cloud-stub/update_api.h"
#include "common/image/image_format.h"

namespace svp::cloud {

// Request bodies: an admin image upload may be as large as the image format allows; a device's
// failure-report upload (1,000 reports with up to 4 KiB of detail each) up to 8 MiB; nothing
// else the API takes comes near 1 MiB (a full telemetry upload is ~100 KiB).
inline constexpr std::size_t kMaxRequestBytes = 1u << 20;
inline constexpr std::size_t kMaxReportUploadBytes = 8u << 20;
inline constexpr std::size_t kMaxImageUploadBytes =
    image::kHeaderSize + image::kMaxPayloadSize + image::kMaxProtectedSize + image::kSignatureBlockSize;

class ApiRouter {
public:
    ApiRouter(ServiceContext& context, const AdminToken& token);

    ApiResponse handle(const ApiRequest& request);
    TenantCaApi& tenant_cas() { return tenant_cas_; }

    // The largest body the HTTPS server should read for a request with this header: large
    // only for an authenticated image upload (or a device's report upload over mutual TLS),
    // so an anonymous client cannot make the service buffer 64 MiB.
    std::size_t body_limit(std::string_view method, std::string_view target, std::string_view authorization,
                           const PeerCertificate& peer = {}) const;

    // Records a request refused by the transport before it was complete (bad HTTP framing,
    // a body over the limit) and returns the response to send.
    ApiResponse refuse_request(const ApiError& error, std::string_view target);

private:
    enum class Area { attestation, telemetry, updates, reports, admin };
    using Handler = std::function<ApiResponse(const ApiRequest&, RequestScope&)>;
    struct Route {
        std::string_view method;
        std::vector<std::string_view> pattern;  // segments; "{name}" captures one
        std::string_view action;
        Area area;
        Handler handler;
    };

    const Route* match(const ApiRequest& request, RequestScope& scope) const;
    ApiResponse refuse(const ApiError& error, const RequestScope& scope, const EventType& event);
    // Writes a refusal's audit row if the audit budget allows, else counts it.
    void audit_refusal(AuditRecord row);

    ServiceContext& ctx_;
    AttestationApi attestation_;
    TelemetryApi telemetry_;
    UpdateApi updates_;
    ReportApi reports_;
    AdminApi admin_;
    DeploymentApi deployments_;
    TenantCaApi tenant_cas_;
    std::vector<Route> routes_;
    std::uint64_t unaudited_refusals_ = 0;
};

}  // namespace svp::cloud

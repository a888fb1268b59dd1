// The admin REST API under /admin/v1, for `spherevp cloud admin`, curl and scenario runners.
// Every request carries "Authorization: Bearer <token>" (the token file next to the database).
//
//   POST /admin/v1/images                 raw signed image bytes: the image becomes known-good
//   GET  /admin/v1/images                 known-good images
//   GET  /admin/v1/devices                devices, their state and latest certificate
//   POST /admin/v1/devices/{id}/revoke    {"reason": TEXT} (optional body)
//   POST /admin/v1/devices/{id}/quarantine {"reason": TEXT} (optional body)
//   POST /admin/v1/devices/{id}/release   lifts a quarantine
//   POST /admin/v1/devices/{id}/claim     {"product": NAME or GUID, "group": NAME}
//   GET  /admin/v1/audit?limit=N          the latest N audit rows (default 100)
//   GET  /admin/v1/telemetry?device=ID&limit=N
//   GET  /admin/v1/reports?device=ID&limit=N
// The deployment model's endpoints are DeploymentApi's.
#pragma once

#include "cloud-stub/admin_params.h"
#include "cloud-stub/admin_token.h"
#include "cloud-stub/api_types.h"
#include "cloud-stub/manifest_signer.h"
#include "cloud-stub/service_context.h"

namespace svp::cloud {

inline constexpr std::size_t kMaxRevokeReasonLength = 256;

class AdminApi {
public:
    AdminApi(ServiceContext& context, const AdminToken& token) : ctx_(context), token_(token), signer_(context) {}

    // Refuses (401 "unauthenticated") unless the request carries the admin bearer token.
    void authenticate(const ApiRequest& request, RequestScope& scope) const;

    ApiResponse upload_image(const ApiRequest& request, RequestScope& scope);
    ApiResponse list_images(const ApiRequest& request, RequestScope& scope);
    ApiResponse list_devices(const ApiRequest& request, RequestScope& scope);
    ApiResponse revoke_device(const ApiRequest& request, RequestScope& scope);
    ApiResponse quarantine_device(const ApiRequest& request, RequestScope& scope);
    ApiResponse release_device(const ApiRequest& request, RequestScope& scope);
    ApiResponse claim_device(const ApiRequest& request, RequestScope& scope);
    ApiResponse reports(const ApiRequest& request, RequestScope& scope);
    ApiResponse audit_log(const ApiRequest& request, RequestScope& scope);
    ApiResponse telemetry(const ApiRequest& request, RequestScope& scope);

private:
    ServiceContext& ctx_;
    const AdminToken& token_;
    ManifestSigner signer_;
};

}  // namespace svp::cloud

// Maps a request to its endpoint and turns every refusal into the same three things: a 4xx
// response {"error": code, "detail": text}, an event and an audit row. Handlers throw
// ApiError; anything else they throw is a bug in the service and answers 500.
//
//   method  path                              access        endpoint
//   POST    /v1/attestation/challenge         anyone        AttestationApi::challenge
//   POST    /v1/attestation/quote             anyone        AttestationApi::quote
//   POST    /v1/telemetry                     device (mTLS) TelemetryApi::upload
//   POST    /admin/v1/images                  admin token   AdminApi::upload_image
//   GET     /admin/v1/images                  admin token   AdminApi::list_images
//   GET     /admin/v1/devices                 admin token   AdminApi::list_devices
//   POST    /admin/v1/devices/{id}/revoke     admin token   AdminApi::revoke_device
//   GET     /admin/v1/audit                   admin token   AdminApi::audit_log
//   GET     /admin/v1/telemetry               admin token   AdminApi::telemetry
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "cloud-stub/admin_api.h"
#include "cloud-stub/attestation_api.h"
#include "cloud-stub/telemetry_api.h"
#include "common/image/image_format.h"

namespace svp::cloud {

// Request bodies: an admin image upload may be as large as the image format allows; nothing
// else the API takes comes near 1 MiB (a full telemetry upload is ~100 KiB).
inline constexpr std::size_t kMaxRequestBytes = 1u << 20;
inline constexpr std::size_t kMaxImageUploadBytes =
    image::kHeaderSize + image::kMaxPayloadSize + image::kMaxProtectedSize + image::kSignatureBlockSize;

class ApiRouter {
public:
    ApiRouter(ServiceContext& context, const AdminToken& token);

    ApiResponse handle(const ApiRequest& request);

    // The largest body the HTTPS server should read for a request with this header: large
    // only for an authenticated image upload, so an anonymous client cannot make the service
    // buffer 64 MiB.
    std::size_t body_limit(std::string_view method, std::string_view target, std::string_view authorization) const;

    // Records a request refused by the transport before it was complete (bad HTTP framing,
    // a body over the limit) and returns the response to send.
    ApiResponse refuse_request(const ApiError& error, std::string_view target);

private:
    enum class Area { attestation, telemetry, admin };
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

    ServiceContext& ctx_;
    AttestationApi attestation_;
    TelemetryApi telemetry_;
    AdminApi admin_;
    std::vector<Route> routes_;
};

}  // namespace svp::cloud

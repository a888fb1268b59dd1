// The deployment model's admin endpoints (reference §4), under /admin/v1 with the admin token.
// {product} is a product's name or GUID, {group} a group's name (percent-encoded in a URL:
// "Field%20Test").
//
//   POST  /products                                  {"name", "product_id"?, "description"?} -> 201, with its five default groups
//   GET   /products
//   GET   /products/{product}/groups
//   POST  /products/{product}/groups                 {"name", "os_feed"?, "update_policy"?, "manifest_lifetime_s"?} -> 201
//   PATCH /products/{product}/groups/{group}         any of "os_feed", "update_policy", "manifest_lifetime_s"
//   POST  /products/{product}/groups/{group}/freeze  stop re-signing: its manifest will expire (U7)
//   POST  /products/{product}/groups/{group}/unfreeze
//   POST  /products/{product}/groups/{group}/deployments  {"images": [ID | {"id", "requires"?}...], "requires"?} -> 201
//        ... "rollout"?: {"phases": [10, ...], "failure_threshold_percent", "min_outcomes"?}: staged (rollout.h)
//   GET   /products/{product}/groups/{group}/deployments          each with its rollout's state, or null
//   POST  /products/{product}/groups/{group}/deployments/{version}/advance   a rollout's next phase
//   GET   /products/{product}/groups/{group}/manifests             every manifest signed for it (no bodies)
//   GET   /products/{product}/groups/{group}/manifests/{version}   one, exactly as served: {"manifest": ...} (U6)
//   POST  /os-feeds/{feed}/releases                  {"images": [ID...]} -> 201
//   GET   /os-feeds
//   GET   /default-group
//   PUT   /default-group                             {"product", "group"}: where unclaimed devices land
//
// An image ID is an uploaded image's measurement or its sha256. Deployments take application
// and real-time images of the group's product; OS releases take OS images (any product).
// "requires" is [{"component": GUID, "min_version": "x.y.z"}]: every image of the deployment
// (top level) or one image carries it into the manifest (mix-and-match protection, U10);
// an image's own signed protected area may also carry "requires", which is added.
#pragma once

#include "cloud-stub/api_types.h"
#include "cloud-stub/manifest_signer.h"
#include "cloud-stub/service_context.h"

namespace svp::cloud {

inline constexpr std::size_t kMaxImagesPerDeployment = 64;
inline constexpr std::size_t kMaxRequirements = 16;
inline constexpr std::size_t kMaxDescriptionLength = 256;

class DeploymentApi {
public:
    explicit DeploymentApi(ServiceContext& context) : ctx_(context), signer_(context) {}

    ApiResponse create_product(const ApiRequest& request, RequestScope& scope);
    ApiResponse list_products(const ApiRequest& request, RequestScope& scope);
    ApiResponse list_groups(const ApiRequest& request, RequestScope& scope);
    ApiResponse create_group(const ApiRequest& request, RequestScope& scope);
    ApiResponse update_group(const ApiRequest& request, RequestScope& scope);
    ApiResponse freeze_group(const ApiRequest& request, RequestScope& scope);
    ApiResponse unfreeze_group(const ApiRequest& request, RequestScope& scope);
    ApiResponse deploy(const ApiRequest& request, RequestScope& scope);
    ApiResponse list_deployments(const ApiRequest& request, RequestScope& scope);
    ApiResponse advance_rollout(const ApiRequest& request, RequestScope& scope);
    ApiResponse list_manifests(const ApiRequest& request, RequestScope& scope);
    ApiResponse get_manifest(const ApiRequest& request, RequestScope& scope);
    ApiResponse publish_os(const ApiRequest& request, RequestScope& scope);
    ApiResponse list_feeds(const ApiRequest& request, RequestScope& scope);
    ApiResponse get_default_group(const ApiRequest& request, RequestScope& scope);
    ApiResponse set_default_group(const ApiRequest& request, RequestScope& scope);

private:
    ProductRecord product_param(RequestScope& scope);
    GroupRecord group_param(RequestScope& scope, ProductRecord* product = nullptr);
    ImageRecord image_by_id(const std::string& id, std::string_view where);
    ApiResponse set_frozen(RequestScope& scope, bool frozen);
    nlohmann::ordered_json group_json(const GroupRecord& group);
    void group_changed(const GroupRecord& group, const std::string& product_name);

    ServiceContext& ctx_;
    ManifestSigner signer_;
};

}  // namespace svp::cloud

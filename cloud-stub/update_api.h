// The device's side of software updates (common/protocol/updates.h, the contract):
//
//   POST /v1/updates/check    device (mTLS)  {"installed": [Installed...]} -> {"manifest": SignedManifest}
//   GET  /v1/images/{sha256}  device (mTLS)  the image file; "Range: bytes=..." -> 206 with exactly
//                                            those bytes; never more bytes than stored
//   GET  /v1/update-key       anyone         {"key_id", "pem"}: the public key manifests are signed with
//   POST /v1/updates/outcome  device (mTLS)  {"manifest_version", "outcome"} -> the rollout's state:
//                                            how installing what that manifest offered went, for a
//                                            staged rollout (rollout.h); 409 "not-in-rollout" when
//                                            the manifest offered no rollout this device is in
//
// A check answers the manifest of the device's group (ManifestSigner), and records what the
// device says it runs (written only when that changed, so a routine check costs no fsync).
// A device may download only images that a manifest of its group listed: any other name is
// 404, whether or not the image exists. Revoked and quarantined devices get neither
// manifests nor images (403); see DeviceGate for the request budget.
#pragma once

#include "cloud-stub/api_types.h"
#include "cloud-stub/device_gate.h"
#include "cloud-stub/manifest_signer.h"
#include "cloud-stub/service_context.h"

namespace svp::cloud {

inline constexpr std::size_t kMaxInstalledImages = 64;

class UpdateApi {
public:
    explicit UpdateApi(ServiceContext& context) : ctx_(context), gate_(context), signer_(context) {}

    ApiResponse check(const ApiRequest& request, RequestScope& scope);
    ApiResponse image(const ApiRequest& request, RequestScope& scope);
    ApiResponse update_key(const ApiRequest& request, RequestScope& scope);
    ApiResponse outcome(const ApiRequest& request, RequestScope& scope);

    // The group a device belongs to: the one it was claimed into, or the default group.
    GroupRecord group_of(const std::optional<DeviceRecord>& device);
    ManifestSigner& signer() { return signer_; }

private:
    ServiceContext& ctx_;
    DeviceGate gate_;
    ManifestSigner signer_;
};

// {"installed": [...]} parsed strictly (400 "malformed" naming the field); returns the
// canonical JSON of the list, as recorded for the device.
std::string parse_installed(const std::string& body);

}  // namespace svp::cloud

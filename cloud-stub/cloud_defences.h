// The cloud's defences (common/defences/defences.def, layer "cloud"), by name. Each is one
// named check in one place; `spherevp cloud serve --defence-off NAME` switches it off so a
// regression-power run can show that its scenario then fails (SCENARIOS.md, "Regression power"):
//
//   cloud.nonce-freshness           AttestationApi::check_nonce_fresh          (C2)
//   cloud.known-good-measurements   AttestationApi::check_measurements_known   (C3)
//   cloud.clone-detection           AttestationApi::check_identity_not_cloned  (C4)
//   cloud.revocation                DeviceGate::check_not_revoked              (C5)
//   cloud.certificate-expiry        DeviceGate::check_certificate_in_date      (C6)
//   cloud.rollout-threshold         RolloutJudge::should_halt                  (U12)
#pragma once

#include <string>
#include <vector>

#include "common/defences/defences.h"

namespace svp::cloud::defence {

inline constexpr const char* kLayer = "cloud";
inline constexpr const char* nonce_freshness = "cloud.nonce-freshness";
inline constexpr const char* known_good_measurements = "cloud.known-good-measurements";
inline constexpr const char* clone_detection = "cloud.clone-detection";
inline constexpr const char* revocation = "cloud.revocation";
inline constexpr const char* certificate_expiry = "cloud.certificate-expiry";
inline constexpr const char* rollout_threshold = "cloud.rollout-threshold";

// The names of the cloud-layer defences, for messages ("cloud.nonce-freshness, ...").
std::string cloud_defence_names();
// Switches the named defences off; throws InputError for a name that is not a defence, or is
// another layer's (the stub can only switch off its own checks).
DefenceSet defences_off(const std::vector<std::string>& names);

}  // namespace svp::cloud::defence

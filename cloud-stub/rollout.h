// Staged rollouts (SCENARIOS.md U12; AWS IoT jobs' abort config, Mender's phases): a
// deployment may go to its group in phases instead of all at once.
//
//   plan       {"phases": [10, 50], "failure_threshold_percent": 20, "min_outcomes": 2}
//              phases: percentages of the group, ascending; 100 is added when the last is
//              lower. The first phase is the canaries.
//   selection  a device is in a phase when its bucket (SHA-256 of "device id/deployment id",
//              first 8 bytes big-endian, mod 10000) is below percent x 100: deterministic, the
//              same in every run and on every host, no randomness and no clock; a device in
//              one phase stays in every later one.
//   serving    a device gets the newest deployment of its group that is complete (or had no
//              rollout), or rolling with the device in its current phase; a device outside
//              the phase keeps being offered the previous release. A halted deployment is
//              withdrawn: everyone gets the previous release.
//   outcomes   a device in the rollout reports how the install went (POST /v1/updates/outcome):
//              success, failed-to-confirm (reverted after its test boot) or crash-after-update.
//              A failure is never overwritten by a later success.
//   threshold  check_rollout_failure_threshold: while rolling, once at least min_outcomes
//              outcomes are in and failures x 100 >= failure_threshold_percent x outcomes,
//              the rollout halts (state persisted, audit row, cloud.rollout halted).
//   advance    an administrator moves a rolling deployment to its next phase; the last makes
//              it complete.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/defences/defences.h"

namespace svp::cloud {

inline constexpr int kMaxRolloutPhases = 10;
inline constexpr int kRolloutBuckets = 10000;  // selection granularity: 0.01 %

inline constexpr const char* kRolloutRolling = "rolling";
inline constexpr const char* kRolloutComplete = "complete";
inline constexpr const char* kRolloutHalted = "halted";

struct RolloutPlan {
    std::vector<int> phases;  // ascending percentages, the last 100
    int failure_threshold_percent = 0;
    int min_outcomes = 1;
};

struct RolloutRecord {
    std::int64_t deployment_id = 0;
    std::int64_t group_id = 0;
    std::int64_t deployment_version = 0;  // per group, as the admin API names it
    RolloutPlan plan;
    int phase = 0;
    std::string state = kRolloutRolling;
    std::int64_t changed_ns = 0;
    std::string halt_reason;
    int outcomes = 0;   // devices that reported
    int failures = 0;   // ...of which failed-to-confirm or crash-after-update

    int percent() const { return plan.phases.at(static_cast<std::size_t>(phase)); }
    bool rolling() const { return state == kRolloutRolling; }
    nlohmann::ordered_json to_json() const;
};

// The plan from an admin request's "rollout" object; throws ApiError 400 malformed.
RolloutPlan parse_rollout_plan(const nlohmann::json& rollout);
std::string phases_json(const std::vector<int>& phases);
std::vector<int> phases_from_json(const std::string& text);

// Where a device falls in a deployment's order, 0 .. kRolloutBuckets - 1.
int rollout_bucket(std::string_view device_id, std::int64_t deployment_id);
// Whether the device is among the first `percent` % of the deployment's order.
bool in_rollout_phase(std::string_view device_id, std::int64_t deployment_id, int percent);

// The install outcomes a device may report, and which of them are failures.
bool known_outcome(std::string_view outcome);
bool is_failure(std::string_view outcome);
std::string outcome_names();

// The U12 defence (cloud.rollout-threshold): the halt reason when the rollout's failures have
// reached its threshold, nothing otherwise (or when the defence is off).
std::optional<std::string> check_rollout_failure_threshold(const RolloutRecord& rollout, const DefenceSet& defences);

}  // namespace svp::cloud

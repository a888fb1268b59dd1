#include "cloud-stub/rollout.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "cloud-stub/admin_params.h"
#include "cloud-stub/cloud_defences.h"
#include "common/crypto/digest.h"

namespace svp::cloud {
namespace {

constexpr std::array<std::string_view, 3> kOutcomes = {"success", "failed-to-confirm", "crash-after-update"};

int bounded_int(const nlohmann::json& j, const char* key, int lo, int hi, std::optional<int> fallback) {
    auto it = j.find(key);
    if (it == j.end()) {
        if (fallback) return *fallback;
        malformed(fmt::format("rollout: '{}' is required", key));
    }
    if (!it->is_number_integer() || it->get<std::int64_t>() < lo || it->get<std::int64_t>() > hi)
        malformed(fmt::format("rollout: '{}' must be an integer from {} to {}", key, lo, hi));
    return static_cast<int>(it->get<std::int64_t>());
}

}  // namespace

nlohmann::ordered_json RolloutRecord::to_json() const {
    // selection_key: what rollout_bucket() hashes with a device id, so anyone can tell which
    // devices a phase holds.
    return {{"selection_key", deployment_id},
            {"phases", plan.phases},
            {"phase", phase},
            {"percent", percent()},
            {"state", state},
            {"failure_threshold_percent", plan.failure_threshold_percent},
            {"min_outcomes", plan.min_outcomes},
            {"outcomes", outcomes},
            {"failures", failures},
            {"changed_ns", changed_ns},
            {"halt_reason", halt_reason}};
}

RolloutPlan parse_rollout_plan(const nlohmann::json& rollout) {
    if (!rollout.is_object()) malformed("'rollout' must be an object {\"phases\", \"failure_threshold_percent\", \"min_outcomes\"?}");
    allow_fields(rollout, {"phases", "failure_threshold_percent", "min_outcomes"});
    RolloutPlan plan;
    auto it = rollout.find("phases");
    if (it == rollout.end() || !it->is_array() || it->empty())
        malformed("rollout: 'phases' must be a non-empty array of percentages, e.g. [10] (canaries, then the rest)");
    if (it->size() > kMaxRolloutPhases) malformed(fmt::format("rollout: at most {} phases", kMaxRolloutPhases));
    for (std::size_t i = 0; i < it->size(); ++i) {
        const auto& p = (*it)[i];
        if (!p.is_number_integer() || p.get<std::int64_t>() < 1 || p.get<std::int64_t>() > 100)
            malformed(fmt::format("rollout: phases[{}] must be a percentage from 1 to 100", i));
        const int percent = static_cast<int>(p.get<std::int64_t>());
        if (!plan.phases.empty() && percent <= plan.phases.back())
            malformed(fmt::format("rollout: phases[{}] ({}) must be above the phase before it ({})", i, percent, plan.phases.back()));
        plan.phases.push_back(percent);
    }
    if (plan.phases.back() != 100) plan.phases.push_back(100);
    plan.failure_threshold_percent = bounded_int(rollout, "failure_threshold_percent", 1, 100, std::nullopt);
    plan.min_outcomes = bounded_int(rollout, "min_outcomes", 1, 1'000'000, 1);
    return plan;
}

std::string phases_json(const std::vector<int>& phases) { return nlohmann::json(phases).dump(); }

std::vector<int> phases_from_json(const std::string& text) { return nlohmann::json::parse(text).get<std::vector<int>>(); }

int rollout_bucket(std::string_view device_id, std::int64_t deployment_id) {
    const auto text = fmt::format("{}/{}", device_id, deployment_id);
    const auto digest = crypto::sha256(std::string_view(text));
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | digest[static_cast<std::size_t>(i)];
    return static_cast<int>(v % kRolloutBuckets);
}

bool in_rollout_phase(std::string_view device_id, std::int64_t deployment_id, int percent) {
    return rollout_bucket(device_id, deployment_id) < percent * (kRolloutBuckets / 100);
}

bool known_outcome(std::string_view outcome) {
    return std::find(kOutcomes.begin(), kOutcomes.end(), outcome) != kOutcomes.end();
}

bool is_failure(std::string_view outcome) { return known_outcome(outcome) && outcome != "success"; }

std::string outcome_names() { return "success, failed-to-confirm, crash-after-update"; }

std::optional<std::string> check_rollout_failure_threshold(const RolloutRecord& r, const DefenceSet& defences) {
    if (!defences.on(defence::rollout_threshold)) return std::nullopt;
    if (!r.rolling() || r.outcomes < r.plan.min_outcomes || r.failures == 0) return std::nullopt;
    if (static_cast<std::int64_t>(r.failures) * 100 < static_cast<std::int64_t>(r.plan.failure_threshold_percent) * r.outcomes)
        return std::nullopt;
    return fmt::format("{} of {} devices in phase {} ({} %) reported a failed install; threshold {} % (after at least {})",
                       r.failures, r.outcomes, r.phase + 1, r.percent(), r.plan.failure_threshold_percent,
                       r.plan.min_outcomes);
}

}  // namespace svp::cloud

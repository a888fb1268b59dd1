#include "cloud-stub/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/util/input_error.h"

namespace svp::cloud {

RateLimit RateLimit::per_second(double rate, std::int64_t burst) {
    if (!(rate > 0) || !std::isfinite(rate) || rate > 1e9)
        throw InputError(fmt::format("rate limit: {} requests per second is not a positive rate", rate));
    if (burst < 1 || burst > 1'000'000) throw InputError(fmt::format("rate limit: burst {} is not in 1 .. 1000000", burst));
    return {std::max<std::int64_t>(1, std::llround(1e9 / rate)), burst};
}

RateLimit RateLimit::parse(const std::string& text) {
    if (text == "off") return off();
    auto slash = text.find('/');
    if (slash == std::string::npos) throw InputError(fmt::format("--rate-limit: '{}' is not RATE/BURST or off", text));
    try {
        std::size_t used = 0;
        const auto rate_text = text.substr(0, slash), burst_text = text.substr(slash + 1);
        double rate = std::stod(rate_text, &used);
        if (used != rate_text.size()) throw std::invalid_argument("rate");
        long long burst = std::stoll(burst_text, &used);
        if (used != burst_text.size()) throw std::invalid_argument("burst");
        return per_second(rate, burst);
    } catch (const std::logic_error&) {
        throw InputError(fmt::format("--rate-limit: '{}' is not RATE/BURST (e.g. 1/60) or off", text));
    }
}

RateLimiter::Verdict RateLimiter::take(const std::string& key, std::int64_t now_ns) {
    Verdict v;
    if (!limit_.enabled()) return v;
    if (state_.size() >= sweep_at_) sweep(now_ns);
    auto [it, created] = state_.try_emplace(key, State{now_ns, 0});
    auto& s = it->second;
    const std::int64_t tat = std::max(s.tat_ns, now_ns);
    const std::int64_t tolerance = (limit_.burst - 1) * limit_.interval_ns;
    if (tat - now_ns > tolerance) {
        v.allowed = false;
        v.retry_after_ns = tat - now_ns - tolerance;
        v.first_refusal = s.refused == 0;
        ++s.refused;
        return v;
    }
    s.tat_ns = tat + limit_.interval_ns;
    v.refused_before = s.refused;
    s.refused = 0;
    return v;
}

bool RateLimiter::would_allow(const std::string& key, std::int64_t now_ns) const {
    if (!limit_.enabled()) return true;
    auto it = state_.find(key);
    if (it == state_.end()) return true;
    return std::max(it->second.tat_ns, now_ns) - now_ns <= (limit_.burst - 1) * limit_.interval_ns;
}

// A key whose bucket has refilled and that owes no "released" count is the same as no key:
// forgetting it changes no verdict, so the sweep never affects determinism.
void RateLimiter::sweep(std::int64_t now_ns) {
    std::erase_if(state_, [now_ns](const auto& kv) { return kv.second.tat_ns <= now_ns && kv.second.refused == 0; });
    sweep_at_ = std::max<std::size_t>(4096, state_.size() * 2);
}

}  // namespace svp::cloud

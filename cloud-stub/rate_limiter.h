// Token buckets on the service clock, one per key (a device id), in their virtual-scheduling
// form (GCRA): each key keeps one integer, the theoretical arrival time of its next request.
// A request is allowed when that time is at most `burst - 1` intervals ahead of now; each
// allowed request pushes it one interval further. Integer nanoseconds throughout, so under a
// clock file the verdicts depend only on simulated time and request order (rule 2).
//
// Kept in memory: a restarted stub starts with full buckets, which is harmless (it only
// limits work; nothing acknowledged depends on it).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace svp::cloud {

struct RateLimit {
    std::int64_t interval_ns = 0;  // one request per interval on average; 0 = no limit
    std::int64_t burst = 1;        // requests allowed at once from a full bucket

    bool enabled() const { return interval_ns > 0; }
    double per_second() const { return enabled() ? 1e9 / static_cast<double>(interval_ns) : 0; }
    static RateLimit off() { return {}; }
    // Throws InputError for a rate that is not positive or a burst below 1.
    static RateLimit per_second(double rate, std::int64_t burst);
    // "RATE/BURST" ("1/60": one request a second, sixty at once) or "off".
    static RateLimit parse(const std::string& text);
};

class RateLimiter {
public:
    explicit RateLimiter(RateLimit limit) : limit_(limit) {}

    struct Verdict {
        bool allowed = true;
        std::int64_t retry_after_ns = 0;  // refused: when the next request would be allowed
        bool first_refusal = false;       // refused, and the key's first since it was last allowed
        std::uint64_t refused_before = 0; // allowed after refusals: how many there were
    };

    // Charges one request to `key` at `now_ns`.
    Verdict take(const std::string& key, std::int64_t now_ns);
    // Whether take() would allow a request now, without charging one.
    bool would_allow(const std::string& key, std::int64_t now_ns) const;

    const RateLimit& limit() const { return limit_; }
    std::size_t tracked_keys() const { return state_.size(); }

private:
    struct State {
        std::int64_t tat_ns = 0;  // theoretical arrival time
        std::uint64_t refused = 0;
    };
    void sweep(std::int64_t now_ns);

    RateLimit limit_;
    std::unordered_map<std::string, State> state_;
    std::size_t sweep_at_ = 4096;
};

}  // namespace svp::cloud

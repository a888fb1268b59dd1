// Fault-injection hooks for glitch scenarios: what an attacker with a voltage or clock glitch
// can do to a core, reduced to three effects that the literature on Cortex-M glitching
// reports most often (instruction skip, register corruption, corrupted load data). Each rule
// fires at the N-th execution of the instruction at `pc` (N = 0: every execution); each firing
// is a "cpu.fault injected" event.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace svp::armv7m {

struct InjectionRule {
    enum class Kind { skip, flip_register_bit, corrupt_load };
    Kind kind = Kind::skip;
    std::uint32_t pc = 0;           // the instruction the glitch hits (Thumb address, bit 0 clear)
    std::uint64_t occurrence = 1;   // fire on this execution (1 = first); 0 = every execution
    unsigned reg = 0;               // flip_register_bit: r0-r15 (flipped before the instruction)
    unsigned bit = 0;
    std::uint32_t xor_mask = 0;     // corrupt_load: the loaded value is XORed with this
    // Bookkeeping.
    std::uint64_t executions = 0;
    std::uint64_t fired = 0;
};

const char* to_string(InjectionRule::Kind kind);

class FaultInjector {
public:
    void add(InjectionRule rule) { rules_.push_back(rule); }
    void clear() { rules_.clear(); }
    std::vector<InjectionRule>& rules() { return rules_; }
    const std::vector<InjectionRule>& rules() const { return rules_; }
    bool triggers_at(std::uint32_t pc) const {
        for (auto& r : rules_) if (r.pc == pc) return true;
        return false;
    }
    // Armed by a corrupt_load rule for the next load of the instruction it hit.
    std::uint32_t pending_load_mask = 0;
    bool load_corruption_armed = false;

private:
    std::vector<InjectionRule> rules_;
};

}  // namespace svp::armv7m

// Glitches for fault-injection scenarios (B9, B10): a fault point is a named place in the
// security runtime where a voltage or clock glitch could change what happens — a skipped
// branch turning a refusal into acceptance, a corrupted value read from the fuses. A scenario
// arms a point for its N-th execution; the code at the point asks strike() and, when struck,
// behaves as the glitched silicon would. Each strike is an event.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "models/base/device_context.h"

namespace svp {

class FaultInjector {
public:
    explicit FaultInjector(DeviceContext& device) : device_(device) {}

    // Arms `point` to strike at its `nth` execution from now (1 = the next one).
    void arm(const std::string& point, unsigned nth = 1) { armed_[point] = nth; }
    // Called at a fault point: true when a glitch strikes this execution.
    bool strike(std::string_view point);
    bool armed(std::string_view point) const { return armed_.count(std::string(point)) > 0; }

private:
    DeviceContext& device_;
    std::map<std::string, unsigned, std::less<>> armed_;
};

// The fault points of the boot path (the names scenarios use).
namespace fault_point {
inline constexpr std::string_view image_type = "boot.check.image-type";
inline constexpr std::string_view product = "boot.check.product";
inline constexpr std::string_view fits_slot = "boot.check.fits-slot";
inline constexpr std::string_view development = "boot.check.development";
inline constexpr std::string_view signer = "boot.check.signer";
inline constexpr std::string_view signature = "boot.check.signature";
inline constexpr std::string_view rollback = "boot.check.rollback";
inline constexpr std::string_view signature_recheck = "boot.recheck.signature";
inline constexpr std::string_view rollback_recheck = "boot.recheck.rollback";
inline constexpr std::string_view counter_read = "fuse.counter.read";
}  // namespace fault_point

}  // namespace svp

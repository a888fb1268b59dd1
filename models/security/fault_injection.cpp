#include "models/security/fault_injection.h"

namespace svp {

bool FaultInjector::strike(std::string_view point) {
    auto it = armed_.find(point);
    if (it == armed_.end()) return false;
    if (--it->second > 0) return false;
    armed_.erase(it);
    device_.emit(ev::sec_fault_injected, {{"point", std::string(point)}});
    return true;
}

}  // namespace svp

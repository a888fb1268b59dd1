// The catalogue's defences by name (defences.def), and the set a run has switched off.
// Models ask `on("boot.signature")`; it is true unless a test variant switched it off.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace svp {

struct DefenceInfo {
    std::string_view name, layer, description;
};

// Every defence, in declaration order.
const std::vector<DefenceInfo>& all_defences();
bool known_defence(std::string_view name);

class DefenceSet {
public:
    DefenceSet() = default;
    // Throws std::invalid_argument for a name not in defences.def.
    void switch_off(const std::string& name);
    bool on(std::string_view name) const { return off_.find(std::string(name)) == off_.end(); }
    const std::set<std::string>& off() const { return off_; }
    bool all_on() const { return off_.empty(); }

private:
    std::set<std::string> off_;
};

}  // namespace svp

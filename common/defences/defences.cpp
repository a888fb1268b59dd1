#include "common/defences/defences.h"

#include <algorithm>
#include <stdexcept>

namespace svp {

const std::vector<DefenceInfo>& all_defences() {
    static const std::vector<DefenceInfo> list = {
#define SVP_DEFENCE(name, layer, description) {name, layer, description},
#include "common/defences/defences.def"
#undef SVP_DEFENCE
    };
    return list;
}

bool known_defence(std::string_view name) {
    const auto& all = all_defences();
    return std::any_of(all.begin(), all.end(), [&](const DefenceInfo& d) { return d.name == name; });
}

void DefenceSet::switch_off(const std::string& name) {
    if (!known_defence(name)) {
        std::string list;
        for (const auto& d : all_defences()) list += (list.empty() ? "" : ", ") + std::string(d.name);
        throw std::invalid_argument("no defence '" + name + "' (known: " + list + ")");
    }
    off_.insert(name);
}

}  // namespace svp

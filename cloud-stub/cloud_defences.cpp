#include "cloud-stub/cloud_defences.h"

#include <fmt/format.h>

#include "common/util/input_error.h"

namespace svp::cloud::defence {

std::string cloud_defence_names() {
    std::string list;
    for (const auto& d : all_defences())
        if (d.layer == kLayer) list += (list.empty() ? "" : ", ") + std::string(d.name);
    return list;
}

DefenceSet defences_off(const std::vector<std::string>& names) {
    DefenceSet set;
    for (const auto& name : names) {
        const DefenceInfo* info = nullptr;
        for (const auto& d : all_defences())
            if (d.name == name) info = &d;
        if (!info)
            throw InputError(fmt::format("--defence-off {}: no such defence; the cloud stub's are: {}", name,
                                         cloud_defence_names()));
        if (info->layer != kLayer)
            throw InputError(fmt::format("--defence-off {}: a {} defence, not the cloud's (spherevp run switches it off "
                                         "in the simulation); the cloud stub's are: {}",
                                         name, info->layer, cloud_defence_names()));
        set.switch_off(name);
    }
    return set;
}

}  // namespace svp::cloud::defence

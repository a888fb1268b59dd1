// `spherevp platform show|list|check`: the device variants, as the builder resolves them.
#include <iostream>

#include "cli/command.h"
#include "common/events/event.h"
#include "models/base/event_log.h"
#include "models/net/host_bridge.h"
#include "platform/device.h"

namespace svp::cli {

void register_platform(CLI::App& root) {
    auto* group = root.add_subcommand("platform", "device variants: list, show the resolved memory map, check a file");
    group->require_subcommand(1);
    static std::string variant;
    auto* show = group->add_subcommand("show", "print a variant's cores, clocks, memory map and flash layout");
    show->add_option("variant", variant, "a shipped variant name (see `platform list`) or a YAML file")->required();
    set_action(show, [] {
        EventLog log;
        DeviceContext ctx("dev0", log, 0);
        HostBridge bridge;
        Device device("dev0", load_variant(find_variant(variant)), ctx, bridge);
        std::cout << device.describe();
        return kExitOk;
    });
    auto* list = group->add_subcommand("list", "list the shipped variants");
    set_action(list, [] {
        for (const auto& v : shipped_variants()) {
            auto spec = load_variant(find_variant(v));
            std::cout << v << "  " << spec.summary << "\n";
        }
        return kExitOk;
    });
    static std::string file;
    auto* check = group->add_subcommand("check", "validate a variant file (exit 2 with file:line on a mistake)");
    check->add_option("file", file, "variant YAML")->required();
    set_action(check, [] {
        EventLog log;
        DeviceContext ctx("dev0", log, 0);
        HostBridge bridge;
        Device device("dev0", load_variant(find_variant(file)), ctx, bridge);
        device.os_device_tree(0);
        std::cout << file << ": ok\n";
        return kExitOk;
    });
}

}  // namespace svp::cli

// `spherevp events`: the catalogue of event types (rule 3: one observation channel).
#include <iostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "common/events/event.h"

namespace svp::cli {

void register_events(CLI::App& root) {
    auto* cmd = root.add_subcommand("events", "list every event type the event log can contain");
    static bool markdown = false;
    cmd->add_flag("--markdown", markdown, "print a Markdown table (docs/events.md is made this way)");
    set_action(cmd, [] {
        if (markdown) std::cout << "| src | event | meaning |\n|---|---|---|\n";
        for (const auto& t : all_event_types()) {
            if (markdown)
                std::cout << fmt::format("| `{}` | `{}` | {} |\n", t.src, t.name, t.doc);
            else
                std::cout << fmt::format("{:<18} {:<22} {}\n", t.src, t.name, t.doc);
        }
        return kExitOk;
    });
}

}  // namespace svp::cli

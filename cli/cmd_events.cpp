// `spherevp events`: the catalogue of event types (rule 3: one observation channel).
#include <iostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "common/defences/defences.h"
#include "common/events/event.h"

namespace svp::cli {

void register_events(CLI::App& root) {
    auto* cmd = root.add_subcommand("events", "list every event type the event log can contain");
    static bool markdown = false;
    cmd->add_flag("--markdown", markdown, "print a Markdown table (docs/events.md is made this way)");
    static bool defences = false;
    cmd->add_flag("--defences", defences, "list instead the defences a test variant may switch off (regression power)");
    set_action(cmd, [] {
        if (defences) {
            for (const auto& d : all_defences()) std::cout << fmt::format("{:<26} {:<20} {}\n", d.name, d.layer, d.description);
            return kExitOk;
        }
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

#include "models/base/sim_control.h"

#include <vector>

#include "common/util/log.h"

namespace svp {
namespace {

void collect(sc_core::sc_object* o, std::vector<sc_core::sc_process_handle>& out) {
    sc_core::sc_process_handle h(o);
    if (h.valid() && (h.proc_kind() == sc_core::SC_THREAD_PROC_ || h.proc_kind() == sc_core::SC_CTHREAD_PROC_))
        out.push_back(h);
    for (auto* child : o->get_child_objects()) collect(child, out);
}

}  // namespace

void route_systemc_reports_to_log() {
    sc_core::sc_report_handler::set_handler([](const sc_core::sc_report& r, const sc_core::sc_actions& actions) {
        static auto logger = log::get("systemc");
        const auto text = fmt::format("{} ({}:{})", r.get_msg(), r.get_file_name(), r.get_line_number());
        switch (r.get_severity()) {
        case sc_core::SC_INFO: logger->debug("{}", text); break;
        case sc_core::SC_WARNING: logger->warn("{}", text); break;
        default: logger->error("{}", text); break;
        }
        sc_core::sc_report_handler::default_handler(r, actions & ~(sc_core::SC_DISPLAY | sc_core::SC_LOG));
    });
}

void kill_all_other_threads() {
    std::vector<sc_core::sc_process_handle> threads;
    for (auto* o : sc_core::sc_get_top_level_objects()) collect(o, threads);
    const auto self = sc_core::sc_get_current_process_handle();
    for (auto& h : threads) {
        if (h == self || h.terminated()) continue;
        try {
            h.kill();
        } catch (const sc_core::sc_report&) {
            // A thread that never ran has nothing on its stack to unwind.
        }
    }
}

sc_core::sc_time SimulationControl::run_until(sc_core::sc_time deadline) {
    route_systemc_reports_to_log();
    sc_core::sc_time stopped_at;
    sc_core::sc_spawn(
        [this, deadline, &stopped_at] {
            sc_core::wait(deadline, stop_);
            stopped_at = sc_core::sc_time_stamp();
            kill_all_other_threads();
            sc_core::sc_stop();
        },
        "shutdown");
    sc_core::sc_start();
    return stopped_at;
}

}  // namespace svp

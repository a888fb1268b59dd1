#include "os-sim/services/app_manager.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/image/image_format.h"
#include "common/protocol/updates.h"
#include "os-sim/apps/app.h"
#include "os-sim/kernel/kernel.h"
#include "os-sim/services/attestation_agent.h"
#include "os-sim/services/crash_reporter.h"
#include "os-sim/services/update_agent.h"

namespace svp::os {
namespace {

constexpr std::uint64_t kTextBase = 0x00010000, kStackTop = 0x7FFF0000, kStackBytes = 16 * 1024,
                        kDataBytes = 4096;

}  // namespace

AppManager::AppManager(Kernel& kernel) : kernel_(kernel), next_uid_(kFirstAppUid) {
    kernel_.on_process_exit([this](Process& p) { on_exit(p); });
}

AppContainer* AppManager::find(const std::string& name) {
    for (auto& a : apps_)
        if (a->name() == name) return a.get();
    return nullptr;
}

int AppManager::run_init(Process& self) {
    auto service = [this](const char* name, std::uint32_t caps, std::function<int(Process&)> body) {
        SpawnRequest r;
        r.name = name;
        r.caps = caps;
        r.ppid = 1;
        r.body = std::move(body);
        kernel_.spawn(std::move(r));
    };
    service("attestation-agent", cap_attestation_runtime, [this](Process& p) { return kernel_.attestation().run(p); });
    service("crash-reporter", cap_sfs, [this](Process& p) { return kernel_.crash_reporter().run(p); });
    service("update-agent", cap_update_image | cap_query_image_info | cap_sfs,
            [this](Process& p) { return kernel_.update_agent().run(p); });
    if (kernel_.watchdog() && kernel_.config().watchdog_timeout_s) {
        // A service of its own, above the apps: a runaway app cannot starve it, a hung kernel does.
        service("watchdogd", 0, [this](Process&) {
            const auto period = sc_core::sc_time(static_cast<double>(kernel_.config().watchdog_timeout_s) / 4, sc_core::SC_SEC);
            for (;;) {
                kernel_.watchdog()->kick();
                kernel_.cpu().block_for(period);
            }
            return 0;
        });
    }
    kernel_.klog("init: services started (attestation-agent, crash-reporter, update-agent)");
    kernel_.boot_stage("services");

    install_all();
    assign_firewall();
    start_rt_apps();
    int started = 0;
    for (auto& app : apps_)
        if (start(*app) == 0) ++started;
    apps_started_ = true;
    const auto boot_us = (sim_now_ns() - kernel_.boot_started_ns()) / 1000;
    kernel_.klog(fmt::format("init: {} app(s) running", started));
    kernel_.device().emit(ev::os_init_apps_running, {{"count", started}, {"boot_ms", static_cast<double>(boot_us) / 1000.0}});
    apps_running_.notify(sc_core::SC_ZERO_TIME);
    supervise(self);
    return 0;
}

void AppManager::reject(const std::string& app, const std::string& reason, const std::string& detail) {
    Fields f = {{"app", app}, {"reason", reason}};
    if (!detail.empty()) f["detail"] = detail;
    kernel_.device().emit(ev::os_app_rejected, std::move(f));
    kernel_.klog(fmt::format("init: app {} refused: {}{}", app, reason, detail.empty() ? "" : " (" + detail + ")"));
}

void AppManager::install_all() {
    // The apps partition holds signed images back to back, each starting on a 4 KiB boundary;
    // an erased header (all 0xFF) ends the list.
    const auto& tree = kernel_.tree();
    std::uint64_t offset = 0;
    while (offset + image::kHeaderSize <= tree.apps_size) {
        const std::uint64_t address = tree.apps_partition + offset;
        Bytes header(image::kHeaderSize);
        try {
            kernel_.hw().read(address, header.data(), header.size());
        } catch (const BusError&) {
            reject(fmt::format("@0x{:x}", offset), "bus-error");
            break;
        }
        if (std::all_of(header.begin(), header.end(), [](std::uint8_t b) { return b == 0xFF; })) break;
        std::uint64_t size = 0;
        try {
            const auto h = image::parse_header(header);
            size = image::kHeaderSize + h.payload_size + h.protected_size + image::kSignatureBlockSize;
        } catch (const image::ImageFormatError& e) {
            reject(fmt::format("@0x{:x}", offset), std::string(image::to_string(e.code())), e.detail());
            break;  // without a valid header we cannot find the next image
        }
        if (size > tree.apps_size - offset) {
            reject(fmt::format("@0x{:x}", offset), "too-large");
            break;
        }
        if (image::parse_header(header).type == image::ImageType::rt_firmware)
            verify_rt_image(offset, address);
        else
            install_image(offset, address);
        offset += (size + 4095) & ~std::uint64_t{4095};
    }
}

void AppManager::install_image(std::uint64_t offset, std::uint64_t address) {
    const auto where = fmt::format("@0x{:x}", offset);
    auto verdict = kernel_.security_call(nullptr, secproto::verify_image,
                                         {{"address", address}, {"type", static_cast<int>(image::ImageType::application)}});
    if (!verdict.ok() || !verdict.body.is_object() || !verdict.body.value("verified", false)) {
        const std::string reason = verdict.ok() && verdict.body.is_object()
                                       ? verdict.body.value("reason", std::string("refused"))
                                       : std::string(secproto::status_name(verdict.status));
        reject(where, reason);
        return;
    }
    const auto size = verdict.body.value("size", std::uint64_t{0});
    Bytes bytes(size);
    try {
        kernel_.hw().read(address, bytes.data(), bytes.size());
    } catch (const BusError&) {
        reject(where, "bus-error");
        return;
    }
    kernel_.cpu().consume(kernel_.cost("per_kib_copied") * (size / 1024 + 1));
    AppManifest manifest;
    std::vector<AppFile> files;
    image::ParsedImage img;
    try {
        img = image::parse_image(bytes);
        manifest = AppManifest::from_json(nlohmann::json::parse(img.protected_area));
    } catch (const sc_core::sc_unwind_exception&) {
        throw;  // the simulation is ending this thread: let it unwind
    } catch (const std::exception& e) {
        reject(where, "bad-manifest", e.what());
        return;
    }
    try {
        files = parse_app_files(img.payload);
    } catch (const sc_core::sc_unwind_exception&) {
        throw;  // the simulation is ending this thread: let it unwind
    } catch (const std::exception& e) {
        reject(manifest.name, "bad-filesystem", e.what());
        return;
    }
    std::string detail;
    if (auto refusal = check_install_policy(manifest, files, &detail)) {
        reject(manifest.name, *refusal, detail);
        return;
    }
    if (!AppRegistry::instance().find(manifest.entry_point)) {
        reject(manifest.name, "unknown-entry-point", manifest.entry_point);
        return;
    }
    for (const auto& other : apps_) {
        if (other->manifest.component_id == manifest.component_id) {
            reject(manifest.name, "duplicate-component", manifest.component_id);
            return;
        }
        if (other->name() == manifest.name) {
            reject(manifest.name, "duplicate-name", manifest.name);
            return;
        }
    }
    // A UID of its own, never reused within a boot (TALOS-2020-1137: duplicated UIDs).
    auto app = std::make_unique<AppContainer>(manifest, next_uid_++, kernel_.config().app_memory_kib * 1024);
    if (auto conflict = kernel_.claim_resources(*app)) {
        const auto* owner = kernel_.owner_of(*conflict);
        reject(manifest.name, "resource-owned", *conflict + " belongs to " + (owner ? owner->name() : "?"));
        return;
    }
    app->files = std::move(files);
    app->image_address = address;
    app->image_size = size;
    app->text_bytes = img.payload.size();
    app->version = image::version_to_string(img.header.version);
    app->measurement = img.measurement();
    kernel_.klog(fmt::format("init: installed {} {} ({}) as uid {}", app->name(), app->version, manifest.entry_point, app->uid));
    apps_.push_back(std::move(app));
}

void AppManager::verify_rt_image(std::uint64_t offset, std::uint64_t address) {
    // A real-time app: the security subsystem verifies the signed image (VERIFY_IMAGE, type
    // rt-firmware); its manifest names the core; the payload is the ELF that IO_CORE_CONTROL
    // loads into that core's memory before releasing it from reset (start_rt_apps).
    const auto& tree = kernel_.tree();
    auto verdict = kernel_.security_call(nullptr, secproto::verify_image,
                                         {{"address", address}, {"type", static_cast<int>(image::ImageType::rt_firmware)}});
    RtApp rt;
    rt.name = fmt::format("@0x{:x}", offset);
    auto refuse = [&](const std::string& reason, const std::string& detail = "") {
        Fields f = {{"app", rt.name}, {"core", rt.core}, {"reason", reason}};
        if (!detail.empty()) f["detail"] = detail;
        kernel_.device().emit(ev::os_rt_app_rejected, std::move(f));
        kernel_.klog(fmt::format("init: real-time app {} refused: {}{}", rt.name, reason, detail.empty() ? "" : " (" + detail + ")"));
    };
    if (!verdict.ok() || !verdict.body.is_object() || !verdict.body.value("verified", false)) {
        refuse(verdict.ok() && verdict.body.is_object() ? verdict.body.value("reason", std::string("refused"))
                                                        : std::string(secproto::status_name(verdict.status)));
        return;
    }
    Bytes bytes(verdict.body.value("size", std::uint64_t{0}));
    try {
        kernel_.hw().read(address, bytes.data(), bytes.size());
        auto img = image::parse_image(bytes);
        rt.version = image::version_to_string(img.header.version);
        const auto manifest = nlohmann::json::parse(img.protected_area);
        rt.name = manifest.value("name", rt.name);
        rt.core = manifest.value("core", std::string());
        rt.elf.assign(img.payload.begin(), img.payload.end());
    } catch (const sc_core::sc_unwind_exception&) {
        throw;  // the simulation is ending this thread: let it unwind
    } catch (const std::exception& e) {
        refuse("bad-manifest", e.what());
        return;
    }
    if (std::find(tree.rt_cores.begin(), tree.rt_cores.end(), rt.core) == tree.rt_cores.end() || !tree.io_core_control) {
        refuse("no-such-core");
        return;
    }
    kernel_.cpu().consume(kernel_.cost("per_kib_copied") * (rt.elf.size() / 1024 + 1));
    rt_apps_.push_back(std::move(rt));
}

void AppManager::start_rt_apps() {
    for (const auto& rt : rt_apps_) {
        if (auto why = kernel_.tree().io_core_control(rt.core, rt.elf, rt.name); !why.empty()) {
            kernel_.device().emit(ev::os_rt_app_rejected, {{"app", rt.name}, {"core", rt.core}, {"reason", "load-failed"}, {"detail", why}});
            kernel_.klog("init: real-time app " + rt.name + " not started on " + rt.core + ": " + why);
            continue;
        }
        kernel_.device().emit(ev::os_rt_app_started, {{"app", rt.name}, {"core", rt.core}, {"version", rt.version}});
        kernel_.klog(fmt::format("init: real-time app {} {} started on {}", rt.name, rt.version, rt.core));
    }
}

void AppManager::assign_firewall() {
    // Each peripheral an app owns goes to the app core in the firewall, then every assignment
    // is locked until reset (reference §1.5, peripheral configuration locking).
    bool supported = true;
    for (const auto& app : apps_)
        for (const auto& r : app->manifest.peripherals()) {
            if (!supported) break;
            nlohmann::json request = {{"resource", r.resource}, {"core", kernel_.tree().app_core}};
            if (r.capability != "Gpio") request["pins"] = pins_of(r.resource);
            auto reply = kernel_.security_call(nullptr, secproto::peripheral_assign, request);
            std::string status = reply.ok() ? "assigned" : std::string(secproto::status_name(reply.status));
            if (reply.status == secproto::unknown_command) {
                supported = false;
                status = "unsupported";
            }
            kernel_.device().emit(ev::os_security_firewall,
                                  {{"action", "assign"}, {"app", app->name()}, {"resource", r.resource}, {"status", status}});
        }
    auto reply = supported ? kernel_.security_call(nullptr, secproto::peripheral_lock) : SecurityDriver::Reply{secproto::unknown_command, {}};
    const std::string status = reply.ok() ? "locked"
                               : reply.status == secproto::unknown_command ? "unsupported"
                                                                           : std::string(secproto::status_name(reply.status));
    kernel_.device().emit(ev::os_security_firewall, {{"action", "lock"}, {"status", status}});
    if (status == "unsupported")
        kernel_.klog("init: warning: the security subsystem cannot assign or lock peripherals; "
                     "the manifest checks in the kernel are the only guard");
}

int AppManager::start(AppContainer& app) {
    if (app.state == AppContainer::State::running) return 0;
    const auto* reg = AppRegistry::instance().find(app.manifest.entry_point);
    if (!reg) return -ENOENT;
    Kernel& k = kernel_;
    auto make = reg->make;
    SpawnRequest r;
    r.name = app.name();
    r.uid = app.uid;
    r.priority = kAppPriority;
    r.container = &app;
    r.ppid = 1;
    r.body = [&k, make](Process& p) {
        AppContext ctx(k, p);
        auto instance = make();
        return instance->main(ctx);
    };
    Process& p = kernel_.spawn(std::move(r));
    // The loader maps the signed image's code (the only executable memory an app ever has),
    // its data and its stack, all charged to the app.
    auto& mm = *p.mm;
    if (mm.map_fixed(kTextBase, std::max<std::uint64_t>(app.text_bytes, 1), prot_read | prot_exec, app.manifest.entry_point,
                     /*loader=*/true) < 0 ||
        mm.map_fixed(kTextBase + page_round(std::max<std::uint64_t>(app.text_bytes, 1)), kDataBytes, prot_read | prot_write,
                     "[data]") < 0 ||
        mm.map_fixed(kStackTop - kStackBytes, kStackBytes, prot_read | prot_write, "[stack]") < 0) {
        kernel_.device().emit(ev::os_security_memory_limit,
                              {{"app", app.name()}, {"pid", p.pid}, {"requested", kStackBytes},
                               {"used", app.memory.used()}, {"limit", app.memory.limit()}});
        p.pending |= 1u << sig_kill;
    }
    app.state = AppContainer::State::running;
    app.main_pid = p.pid;
    app.started_ns = sim_now_ns();
    app.stop_requested = false;
    ++app.starts;
    kernel_.device().emit(ev::os_app_started, {{"app", app.name()}, {"pid", p.pid}, {"uid", app.uid}});
    return 0;
}

int AppManager::stop(Process& caller, AppContainer& app) {
    if (app.state != AppContainer::State::running) {
        app.state = AppContainer::State::stopped;  // a pending restart is cancelled
        return -ESRCH;
    }
    app.stop_requested = true;
    app.state = AppContainer::State::stopping;
    const int pid = app.main_pid;
    Process* main = kernel_.process(pid);
    if (!main || !main->alive()) return -ESRCH;
    kernel_.send_signal(*main, sig_term, &caller);
    const auto grace = sc_core::sc_time(static_cast<double>(kernel_.config().app_stop_grace_ms), sc_core::SC_MS);
    if ((main = kernel_.process(pid)) && main->alive()) kernel_.cpu().block_on_for(main->exited, grace);
    int used = sig_term;
    if ((main = kernel_.process(pid)) && main->alive()) {
        used = sig_kill;
        kernel_.send_signal(*main, sig_kill, &caller);
    }
    kernel_.device().emit(ev::os_app_stopped, {{"app", app.name()}, {"signal", signal_name(used)}});
    return 0;
}

void AppManager::on_exit(Process& p) {
    // Called from reap(), in whatever process ended it: only note it; init does the work.
    if (!p.container || p.pid != p.container->main_pid) return;
    exits_.push_back({p.container, p.exit_status, p.term_signal, p.crash_detail});
    changed_.notify(sc_core::SC_ZERO_TIME);
}

void AppManager::handle_exit(AppContainer& app, int status, int signal, const std::string& detail) {
    // The app's other processes end with it.
    for (int pid : std::set<int>(app.pids))
        if (auto* p = kernel_.process(pid); p && p->alive()) kernel_.send_signal(*p, sig_kill, nullptr);
    const auto now = sim_now_ns();
    const bool requested = app.stop_requested;
    app.main_pid = -1;
    if (requested) {
        app.state = AppContainer::State::stopped;
        return;
    }
    ++app.crashes;
    // Apps run forever: any exit is a failure the cloud hears about.
    protocol::FailureReport report;
    report.app = app.name();
    report.kind = signal == sig_segv || signal == sig_abrt ? "crash" : signal ? "killed" : "exit";
    report.status = signal ? signal : status;
    report.time_ms = static_cast<std::int64_t>(kernel_.now_unix_ms());
    report.detail = detail.substr(0, 512);
    kernel_.crash_reporter().enqueue(report);

    const auto& c = kernel_.config();
    const bool healthy_run = now - app.started_ns >= c.restart_backoff_reset_s * 1'000'000'000ull;
    app.backoff_ms = healthy_run || app.backoff_ms == 0 ? c.restart_backoff_initial_ms
                                                        : std::min(app.backoff_ms * 2, c.restart_backoff_max_ms);
    app.restart_at_ns = now + app.backoff_ms * 1'000'000ull;
    app.state = AppContainer::State::waiting_restart;
    kernel_.device().emit(ev::os_app_restart_scheduled,
                          {{"app", app.name()}, {"attempt", app.crashes}, {"delay_ms", app.backoff_ms}});
}

void AppManager::supervise(Process&) {
    for (;;) {
        while (!exits_.empty()) {
            auto e = exits_.front();
            exits_.pop_front();
            handle_exit(*e.app, e.status, e.signal, e.detail);
        }
        const auto now = sim_now_ns();
        std::uint64_t next = 0;
        for (auto& app : apps_) {
            if (app->state != AppContainer::State::waiting_restart) continue;
            if (app->restart_at_ns <= now) {
                start(*app);
            } else if (!next || app->restart_at_ns < next) {
                next = app->restart_at_ns;
            }
        }
        if (!exits_.empty()) continue;
        if (next)
            kernel_.cpu().block_on_for(changed_, sc_core::sc_time(static_cast<double>(next - now), sc_core::SC_NS));
        else
            kernel_.cpu().block_on(changed_);
    }
}

bool AppManager::healthy_for(std::uint64_t ns) const {
    const auto now = sim_now_ns();
    for (const auto& app : apps_)
        if (app->state != AppContainer::State::running || now - app->started_ns < ns) return false;
    return apps_started_;
}

}  // namespace svp::os

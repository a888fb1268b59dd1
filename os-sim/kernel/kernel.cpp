#include "os-sim/kernel/kernel.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/image/image_format.h"
#include "common/util/input_error.h"
#include "common/util/log.h"
#include "models/base/event_log.h"
#include "os-sim/services/app_manager.h"
#include "os-sim/services/attestation_agent.h"
#include "os-sim/services/crash_reporter.h"
#include "os-sim/services/networkd.h"
#include "os-sim/services/update_agent.h"

namespace svp::os {

namespace {
constexpr std::size_t kKernelLogLines = 512;  // the ring keeps the newest lines
constexpr std::uint64_t kProcessStackBytes = 4 << 20;  // host stack: TLS handshakes run on it
}  // namespace

std::string_view signal_name(int sig) {
    switch (sig) {
    case sig_kill: return "SIGKILL";
    case sig_term: return "SIGTERM";
    case sig_segv: return "SIGSEGV";
    case sig_abrt: return "SIGABRT";
    case sig_xcpu: return "SIGXCPU";
    default: return "signal";
    }
}

Kernel::Kernel(AppCore& core, DeviceTree tree)
    : core_(core), tree_(std::move(tree)),
      cpu_(core.clock(), /*slice=*/core.clock().hz() / 100 /* 10 ms */, tree_.costs.at("context_switch")),
      hw_(core.bus(), cpu_) {}

Kernel::~Kernel() {
    // Processes first: their address spaces give memory back to accounts owned by the app
    // containers and the kernel, which go after them.
    spawn_queue_.clear();
    processes_.clear();
}

std::uint64_t Kernel::cost(const std::string& name) const {
    auto it = tree_.costs.find(name);
    if (it == tree_.costs.end()) throw std::logic_error("os cost '" + name + "' missing from the device tree");
    return it->second;
}

std::int64_t Kernel::now_unix_s() const {
    return tree_.rtc_epoch_unix_s + time_offset_s_ + static_cast<std::int64_t>(sim_now_ns() / 1'000'000'000ull);
}
std::uint64_t Kernel::now_unix_ms() const {
    return static_cast<std::uint64_t>(tree_.rtc_epoch_unix_s + time_offset_s_) * 1000 + sim_now_ns() / 1'000'000ull;
}

void Kernel::klog(const std::string& message) {
    const auto ns = sim_now_ns() - boot_started_ns_;  // dmesg counts from the kernel's start
    auto line = fmt::format("[{:5}.{:06}] {}", ns / 1'000'000'000ull, (ns / 1000) % 1'000'000, message);
    klog_.push_back(line);
    if (klog_.size() > kKernelLogLines) klog_.pop_front();
    if (console_) console_->write(line + "\n");
}

void Kernel::boot_stage(const std::string& stage, Fields extra) {
    Fields f = {{"stage", stage}, {"elapsed_us", (sim_now_ns() - boot_started_ns_) / 1000}};
    for (auto& [k, v] : extra.items()) f[k] = v;
    device().emit(ev::os_boot_stage, std::move(f));
}

std::uint64_t Kernel::allocate_dma(std::uint64_t bytes) {
    // Kernel buffers come from the top of SRAM, 64-byte aligned; apps get the rest.
    bytes = (bytes + 63) & ~std::uint64_t{63};
    dma_next_ += bytes;
    if (dma_next_ > tree_.ram_size) throw std::runtime_error("kernel DMA area exhausted");
    return tree_.ram_base + tree_.ram_size - dma_next_;
}

std::optional<std::uint64_t> Kernel::allocate_shared(const std::string& peer, std::uint64_t bytes) {
    const SharedMemoryNode* best = nullptr;
    for (const auto& m : tree_.shared_memories)
        if (std::find(m.shared_with.begin(), m.shared_with.end(), peer) != m.shared_with.end() &&
            (!best || m.shared_with.size() < best->shared_with.size()))
            best = &m;
    if (!best) return std::nullopt;
    bytes = (bytes + 63) & ~std::uint64_t{63};
    auto& used = shared_next_[best->name];
    if (used + bytes > best->size) return std::nullopt;
    used += bytes;
    return best->base + used - bytes;
}

UartDriver* Kernel::uart(const std::string& isu) {
    auto it = uarts_.find(isu);
    return it == uarts_.end() ? nullptr : it->second.get();
}

template <class T> static T* find_driver(std::map<std::string, std::unique_ptr<T>>& m, const std::string& name) {
    auto it = m.find(name);
    return it == m.end() ? nullptr : it->second.get();
}

I2cDriver* Kernel::i2c(const std::string& isu) { return find_driver(i2cs_, isu); }
SpiDriver* Kernel::spi(const std::string& isu) { return find_driver(spis_, isu); }
AdcDriver* Kernel::adc(const std::string& controller) { return find_driver(adcs_, controller); }
PwmDriver* Kernel::pwm(const std::string& controller) { return find_driver(pwms_, controller); }

IntercoreDriver* Kernel::intercore(const std::string& core) {
    auto it = intercore_.find(core);
    return it == intercore_.end() ? nullptr : it->second.get();
}

// ---- boot ---------------------------------------------------------------------------------

void Kernel::boot(const BootHandoff& handoff) {
    handoff_ = handoff;
    boot_started_ns_ = sim_now_ns();
    cpu_.set_priority(kKernelPid, kInitPriority);
    cpu_.acquire(kKernelPid);
    console_ = std::make_unique<Console>(hw_, tree_.console_uart);
    security_ = std::make_unique<SecurityDriver>(hw_, tree_.sec_mailbox, tree_.sec_mailbox_irq,
                                                 allocate_dma(secproto::kBufferSize));
    nic_ = std::make_unique<NicDriver>(hw_, tree_.nic, tree_.nic_irq, allocate_dma(NicDriver::kBufferSize));
    boot_stage("kernel", {{"slot", handoff.slot}});

    // Our configuration is the payload of the image the security subsystem just verified.
    try {
        Bytes image(handoff.image_size);
        hw_.read(handoff.image_address, image.data(), image.size());
        cpu_.consume(cost("per_kib_copied") * (image.size() / 1024 + 1));
        auto parsed = image::parse_image(image);
        product_ = image::to_string(parsed.header.product_id);
        config_ = OsConfig::from_json(nlohmann::json::parse(parsed.payload.begin(), parsed.payload.end()));
    } catch (const sc_core::sc_unwind_exception&) {
        throw;  // the simulation is ending this thread: let it unwind
    } catch (const std::exception& e) {
        panic(std::string("bad OS configuration: ") + e.what());
        return;
    }
    klog(fmt::format("spherevp-os 0.2 on {} ({} MHz), booted from {}", tree_.device_name,
                     core_.clock().hz() / 1'000'000, handoff.slot));
    for (const auto& m : handoff.measurements)
        klog(fmt::format("measured {} {} from {}: {}", m.stage, image::version_to_string(m.version), m.slot,
                         to_hex(ByteView(m.digest)).substr(0, 16)));

    // Drivers, bound from the device tree.
    std::vector<std::string> bound = {"console", "security mailbox", "nic"};
    std::vector<GpioBlock> gpio_blocks;
    for (const auto& node : tree_.peripherals) {
        if (node.kind == "gpio" && !node.pins.empty()) gpio_blocks.push_back({node.base, node.pins});
        if (node.kind == "wdt" && !watchdog_) {
            watchdog_ = std::make_unique<WatchdogDriver>(hw_, node.base);
            bound.push_back("watchdog");
        }
        if (node.kind == "mailbox" && node.peer.starts_with("rt") && node.irq && !intercore_.count(node.peer)) {
            // The rings must live where the real-time core can reach them past the firewall.
            const auto outbound = allocate_shared(node.peer, IntercoreDriver::kBufferBytes);
            const auto inbound = allocate_shared(node.peer, IntercoreDriver::kBufferBytes);
            if (!outbound || !inbound) {
                klog(fmt::format("intercore {}: no RAM shared with {} for the channel's buffers", node.peer, node.peer));
                continue;
            }
            intercore_[node.peer] = std::make_unique<IntercoreDriver>(hw_, node.peer, node.base, node.irq, *outbound, *inbound);
            bound.push_back("intercore " + node.peer);
        }
    }
    if (!gpio_blocks.empty()) {
        gpio_ = std::make_unique<GpioDriver>(hw_, gpio_blocks);
        bound.push_back(fmt::format("gpio ({} blocks)", gpio_blocks.size()));
    }
    // ISU UARTs, I2C and SPI masters, the ADC and the PWM controllers for apps. MT3620: each is
    // one 64 KiB block holding its pins' GPIO registers and its function windows (an ISU's
    // UART/SPI/I2C, the ADC's registers, a PWM group; DESIGN.md address map), so a resource's
    // window is the node of that kind in the same block as the GPIO block driving its first
    // pin. The console's UART is the OS's.
    const auto block_of = [&](const std::string& resource) -> std::uint64_t {
        const auto pins = pins_of(resource);
        for (const auto& g : gpio_blocks)
            if (!pins.empty() && std::find(g.pins.begin(), g.pins.end(), pins.front()) != g.pins.end())
                return g.base & ~std::uint64_t{0xFFFF};
        return 0;
    };
    const auto in_block = [](const DeviceNode& node, std::uint64_t block) { return block && (node.base & ~std::uint64_t{0xFFFF}) == block; };
    for (int n = 0;; ++n) {
        const auto isu = fmt::format("ISU{}", n);
        if (pins_of(isu).empty()) break;
        const auto block = block_of(isu);
        for (const auto& node : tree_.peripherals) {
            if (!in_block(node, block)) continue;
            if (node.kind == "uart" && node.base != tree_.console_uart) {
                uarts_[isu] = std::make_unique<UartDriver>(hw_, isu, node.base, node.irq);
                bound.push_back("uart " + isu);
            } else if (node.kind == "i2c-master") {
                i2cs_[isu] = std::make_unique<I2cDriver>(hw_, isu, node.base, node.irq, node.clock_hz);
                bound.push_back("i2c " + isu);
            } else if (node.kind == "spi-master") {
                spis_[isu] = std::make_unique<SpiDriver>(hw_, isu, node.base, node.irq, node.clock_hz);
                bound.push_back("spi " + isu);
            }
        }
    }
    for (const char* prefix : {"ADC-CONTROLLER-", "PWM-CONTROLLER-"})
        for (int n = 0;; ++n) {
            const auto controller = prefix + std::to_string(n);
            if (pins_of(controller).empty()) break;
            const auto block = block_of(controller);
            for (const auto& node : tree_.peripherals) {
                if (!in_block(node, block)) continue;
                if (node.kind == "adc" && prefix[0] == 'A') {
                    adcs_[controller] = std::make_unique<AdcDriver>(hw_, node.base, node.irq);
                    bound.push_back("adc " + std::to_string(n));
                } else if (node.kind == "pwm" && prefix[0] == 'P') {
                    pwms_[controller] = std::make_unique<PwmDriver>(hw_, controller, node.base);
                    bound.push_back("pwm " + std::to_string(n));
                }
            }
        }
    klog("drivers: " + fmt::format("{}", fmt::join(bound, ", ")));
    Fields drivers = Fields::object();
    if (watchdog_) {
        const auto why = watchdog_->last_reset();
        if (!why.empty()) {
            klog("watchdog: the last reset was a " + why + " reset");
            drivers["last_reset"] = why;
        }
        if (config_.watchdog_timeout_s && watchdog_->arm(static_cast<std::uint32_t>(config_.watchdog_timeout_s)))
            klog(fmt::format("watchdog: armed, {} s", config_.watchdog_timeout_s));
    }
    boot_stage("drivers", std::move(drivers));

    mount_storage();
    boot_stage("storage", {{"mounted", storage_ready()}});

    networkd_ = std::make_unique<Networkd>(*this);
    attestation_ = std::make_unique<AttestationAgent>(*this);
    crash_reporter_ = std::make_unique<CrashReporter>(*this);
    update_agent_ = std::make_unique<UpdateAgent>(*this);
    app_manager_ = std::make_unique<AppManager>(*this);
    start_init();
    cpu_.release(kKernelPid);
    kthreadd();
}

void Kernel::panic(const std::string& reason) {
    panicked_ = true;
    klog("Kernel panic - not syncing: " + reason);
    device().emit(ev::os_kernel_panic, {{"reason", reason}});
    boot_stage("panic", {{"reason", reason}});
    // As Linux with panic=N: wait, then reset; an unconfirmed image is reverted on that boot.
    cpu_.block_for(sc_core::sc_time(static_cast<double>(config_.panic_reboot_s), sc_core::SC_SEC));
    security_->call(secproto::device_reset, {{"reason", "kernel panic: " + reason}});
    cpu_.release(kKernelPid);
}

void Kernel::mount_storage() {
    if (!tree_.config_partition || !tree_.config_size) {
        device().emit(ev::os_storage_failed, {{"reason", "the device tree names no storage partition"}});
        return;
    }
    flash_backend_ = std::make_unique<SecureFlashBackend>(
        hw_, tree_.config_partition, tree_.config_size, tree_.flash_sector_size,
        [this](secproto::Command c, const nlohmann::json& req) { return security_call(nullptr, c, req); });
    store_ = std::make_unique<FlashStore>(*flash_backend_);
    store_->on_work = [this](std::uint64_t bytes) { cpu_.consume(cost("per_kib_copied") * (bytes + 1023) / 1024); };
    store_->lock = [this] {
        while (store_busy_) cpu_.block_on(store_free_);
        store_busy_ = true;
    };
    store_->unlock = [this] {
        store_busy_ = false;
        if (!sc_core::sc_is_unwinding()) store_free_.notify(sc_core::SC_ZERO_TIME);
    };
    const auto r = store_->mount();
    if (!r.ok) {
        klog("storage: cannot mount the config partition: " + r.error);
        device().emit(ev::os_storage_failed, {{"reason", r.error}});
        return;
    }
    klog(fmt::format("storage: mounted generation {} ({} files{}{})", r.generation, r.live,
                     r.formatted ? ", formatted" : "", r.dirty_tail ? ", torn write at the end" : ""));
    device().emit(ev::os_storage_mounted,
                  {{"generation", r.generation}, {"live", r.live}, {"formatted", r.formatted}, {"dirty_tail", r.dirty_tail}});
}

void Kernel::start_init() {
    SpawnRequest r;
    r.name = "init";
    r.caps = cap_all;
    r.priority = kInitPriority;
    r.body = [this](Process& p) { return app_manager_->run_init(p); };
    spawn(std::move(r));
}

// ---- processes ------------------------------------------------------------------------------

Process* Kernel::process(int pid) {
    auto it = processes_.find(pid);
    return it == processes_.end() ? nullptr : it->second.get();
}

Process* Kernel::current() { return process(cpu_.running()); }

Process& Kernel::spawn(SpawnRequest r) {
    // Zombies nobody will wait for, whose threads have ended, are forgotten here — a while
    // after they died, so no one is still looking at their exit event.
    for (auto it = processes_.begin(); it != processes_.end();) {
        auto& z = *it->second;
        const bool orphaned = z.ppid <= 1 || !process(z.ppid) || !process(z.ppid)->alive();
        const bool settled = sim_now_ns() - z.died_ns > 1'000'000'000ull;
        if (!z.alive() && orphaned && settled && (!z.thread.valid() || z.thread.terminated()))
            it = processes_.erase(it);
        else
            ++it;
    }
    auto p = std::make_unique<Process>();
    p->pid = next_pid_++;
    p->ppid = r.ppid;
    p->uid = r.uid;
    p->name = r.name;
    p->caps = r.caps;
    p->container = r.container;
    p->body = std::move(r.body);
    p->mm = std::make_unique<AddressSpace>(r.container ? r.container->memory : system_memory_, defence("os.wx"));
    Process& proc = *p;
    processes_[proc.pid] = std::move(p);
    cpu_.set_priority(proc.pid, r.priority);
    if (r.container) r.container->pids.insert(proc.pid);
    // The caller pays for the new process (when a process is asking, not a test or the boot).
    if (Process* caller = current(); caller && caller->thread == sc_core::sc_get_current_process_handle())
        cpu_.consume(cost("process_start"));
    else if (cpu_.running() == kKernelPid)
        cpu_.consume(cost("process_start"));
    spawn_queue_.push_back(&proc);
    spawn_requested_.notify(sc_core::SC_ZERO_TIME);
    return proc;
}

void Kernel::kthreadd() {
    // Every process thread is a child of the core's thread, so a device reset (which kills
    // the core's thread and its descendants) ends them all.
    for (;;) {
        while (!spawn_queue_.empty()) {
            Process* p = spawn_queue_.front();
            spawn_queue_.pop_front();
            start_thread(*p);
        }
        sc_core::wait(spawn_requested_);
    }
}

void Kernel::start_thread(Process& p) {
    sc_core::sc_spawn_options options;
    options.set_stack_size(kProcessStackBytes);
    p.thread = sc_core::sc_spawn(
        [this, &p] {
            cpu_.acquire(p.pid);
            int status = 0;
            try {
                deliver_signals(p);  // killed before it first ran
                status = p.body(p);
            } catch (const ProcessExit& e) {
                status = e.status;
            } catch (const sc_core::sc_unwind_exception&) {
                throw;  // a hard kill or a device reset: whoever killed us reaps
            } catch (const sc_core::sc_unwind_exception&) {
                throw;  // the simulation is ending this thread: let it unwind
            } catch (const std::exception& e) {
                // An uncaught exception is this OS's segmentation fault: the app crashed.
                p.term_signal = sig_segv;
                p.crash_detail = e.what();
                status = 128 + sig_segv;
            }
            reap(p, status);
            cpu_.release(p.pid);
        },
        fmt::format("pid{}_{}", p.pid, p.name).c_str(), &options);
}

void Kernel::reap(Process& p, int status) {
    if (!p.alive()) return;
    p.state = ProcessState::zombie;
    p.died_ns = sim_now_ns();
    p.exit_status = status;
    p.pending = 0;
    for (auto& [fd, file] : p.fds.all())
        if (file.use_count() == 1) file->release(p);
    p.fds.all().clear();
    p.mm->release_all();
    for (auto& [pid, child] : processes_)
        if (child->ppid == p.pid) child->ppid = 1;  // orphans go to init
    if (p.container) {
        p.container->pids.erase(p.pid);
        Fields f = {{"app", p.container->name()}, {"pid", p.pid}, {"status", status}};
        if (p.term_signal) f["signal"] = signal_name(p.term_signal);
        if (!p.crash_detail.empty()) f["reason"] = p.crash_detail;
        device().emit(ev::os_app_exited, std::move(f));
    }
    p.exited.notify(sc_core::SC_ZERO_TIME);
    for (auto& observer : exit_observers_) observer(p);
}

// ---- signals -------------------------------------------------------------------------------

int Kernel::send_signal(Process& target, int sig, Process* sender) {
    if (!target.alive()) return -ESRCH;
    if (sig != sig_kill && sig != sig_term && sig != sig_segv && sig != sig_abrt && sig != sig_xcpu) return -EINVAL;
    if (sender && !(sender->caps & cap_kill) && (!sender->container || sender->container != target.container)) {
        check_capability(*sender, "kill", fmt::format("pid {}", target.pid), false);
        return -EPERM;
    }
    device().emit(ev::os_signal_delivered, {{"pid", target.pid},
                                            {"app", target.container ? target.container->name() : target.name},
                                            {"signal", signal_name(sig)},
                                            {"by", sender ? sender->pid : kKernelPid}});
    const bool fatal = sig != sig_term || !target.handlers.count(sig_term);
    target.pending |= 1u << sig;
    if (!fatal) {
        target.wake.notify(sc_core::SC_ZERO_TIME);
        return 0;
    }
    target.term_signal = sig;
    if (&target == current()) throw ProcessExit{128 + sig};
    if (target.uninterruptible == 0 && target.thread.valid() && !target.thread.terminated()) {
        // Outside the kernel or in an interruptible wait: it ends now, unwinding its stack.
        cpu_.forget(target.pid);
        target.thread.kill();
        reap(target, 128 + sig);
    } else {
        target.wake.notify(sc_core::SC_ZERO_TIME);  // it ends where it leaves the kernel
    }
    return 0;
}

void Kernel::deliver_signals(Process& p) {
    if (!p.pending) return;
    for (int sig : {int(sig_kill), int(sig_segv), int(sig_abrt), int(sig_xcpu)})
        if (p.has_pending(sig)) {
            p.term_signal = sig;
            throw ProcessExit{128 + sig};
        }
    if (p.has_pending(sig_term)) {
        p.pending &= ~(1u << sig_term);
        auto it = p.handlers.find(sig_term);
        if (it == p.handlers.end()) {
            p.term_signal = sig_term;
            throw ProcessExit{128 + sig_term};
        }
        if (!p.in_handler) {
            p.in_handler = true;
            auto handler = it->second;
            handler(sig_term);
            p.in_handler = false;
        }
    }
}

int Kernel::wait_interruptible(Process& p, const sc_core::sc_event* event, sc_core::sc_time timeout) {
    if (p.pending) return -EINTR;
    const bool forever = timeout == sc_core::SC_ZERO_TIME;
    const int depth = p.uninterruptible;
    p.uninterruptible = 0;  // a SIGKILL may end us while we wait
    bool fired;
    if (event) {
        sc_core::sc_event_or_list events;
        events |= *event;
        events |= p.wake;
        fired = cpu_.block_on_any(events, timeout, forever);
    } else {
        sc_core::sc_event_or_list events;
        events |= p.wake;
        fired = cpu_.block_on_any(events, timeout, forever);
    }
    p.uninterruptible = depth;
    if (p.pending) return -EINTR;
    return fired && event ? 0 : -ETIMEDOUT;
}

// ---- policy --------------------------------------------------------------------------------

bool Kernel::check_capability(Process& p, const std::string& capability, const std::string& resource, bool granted) {
    if (granted || !defence("os.capabilities")) return true;
    device().emit(ev::os_security_capability_denied,
                  {{"app", p.container ? p.container->name() : p.name}, {"pid", p.pid},
                   {"capability", capability}, {"resource", resource}});
    klog(fmt::format("audit: {} (pid {}) denied {} {}", p.container ? p.container->name() : p.name, p.pid,
                     capability, resource));
    return false;
}

bool Kernel::check_kernel_capability(Process& p, std::uint32_t cap, const std::string& resource) {
    static const std::map<std::uint32_t, const char*> names = {
        {cap_syslog, "CAP_SYSLOG"}, {cap_update_image, "UPDATE_IMAGE"}, {cap_query_image_info, "QUERY_IMAGE_INFO"},
        {cap_attestation_runtime, "ATTESTATION_RUNTIME"}, {cap_peripheral_mapping, "PERIPHERAL_PIN_MAPPING"},
        {cap_sfs, "SFS"}, {cap_kill, "CAP_KILL"}};
    auto it = names.find(cap);
    return check_capability(p, it == names.end() ? "kernel" : it->second, resource, (p.caps & cap) == cap);
}

const AppContainer* Kernel::owner_of(const std::string& claim) const {
    auto it = owners_.find(claim);
    return it == owners_.end() ? nullptr : it->second;
}

std::optional<std::string> Kernel::claim_resources(AppContainer& app) {
    const auto claims = app.manifest.claims();
    for (const auto& c : claims)
        if (auto* owner = owner_of(c); owner && owner != &app) return c;
    for (const auto& c : claims) owners_[c] = &app;
    return std::nullopt;
}

void Kernel::release_resources(AppContainer& app) {
    for (auto it = owners_.begin(); it != owners_.end();)
        it = it->second == &app ? owners_.erase(it) : std::next(it);
}

// ---- the security subsystem, shared fairly -------------------------------------------------

SecurityDriver::Reply Kernel::security_call(Process* p, secproto::Command command, const nlohmann::json& request) {
    const int who = p ? p->uid : kSystemUid;
    AppContainer* app = p ? p->container : nullptr;
    if (app && app->security_queued >= config_.security_requests_per_app) {
        device().emit(ev::os_security_throttled, {{"app", app->name()}, {"queued", app->security_queued}});
        return SecurityDriver::Reply{secproto::busy, {}};
    }
    if (app) ++app->security_queued;
    struct Count {
        AppContainer* app;
        ~Count() {
            if (app) --app->security_queued;
        }
    } count{app};
    if (security_busy_ || !security_turns_.empty()) {
        // One queue per caller, served in turn: a flood from one app waits behind itself.
        const auto ticket = security_next_ticket_++;
        auto& mine = security_waiting_[who];
        mine.push_back(ticket);
        if (std::find(security_turns_.begin(), security_turns_.end(), who) == security_turns_.end())
            security_turns_.push_back(who);
        while (security_busy_ || security_turns_.front() != who || security_waiting_[who].front() != ticket)
            cpu_.block_on(security_free_);
        security_turns_.pop_front();
        auto& q = security_waiting_[who];
        q.pop_front();
        if (q.empty())
            security_waiting_.erase(who);
        else
            security_turns_.push_back(who);
    }
    security_busy_ = true;
    auto reply = security_->call(command, request);
    security_busy_ = false;
    security_free_.notify(sc_core::SC_ZERO_TIME);
    return reply;
}

// ---- identity ------------------------------------------------------------------------------

const std::optional<crypto::RawPublicKey>& Kernel::device_key() {
    if (!device_key_) {
        auto reply = security_call(nullptr, secproto::get_device_id);
        if (reply.ok() && reply.body.contains("device_key") && reply.body["device_key"].is_binary() &&
            reply.body["device_key"].get_binary().size() == 64) {
            crypto::RawPublicKey k{};
            std::copy(reply.body["device_key"].get_binary().begin(), reply.body["device_key"].get_binary().end(), k.begin());
            device_key_ = k;
        }
    }
    return device_key_;
}

void Kernel::set_device_certificate(std::string pem, std::int64_t not_after) {
    device_certificate_ = std::move(pem);
    certificate_not_after_ = not_after;
    certificate_changed_.notify(sc_core::SC_ZERO_TIME);
}

}  // namespace svp::os

#include "os-sim/kernel/kernel.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/image/image_format.h"
#include "common/util/input_error.h"
#include "common/util/log.h"
#include "models/base/event_log.h"
#include "os-sim/services/attestation_agent.h"

namespace svp::os {

namespace {
constexpr int kKernelPid = 0;
constexpr std::size_t kKernelLogLines = 512;  // the ring keeps the newest lines
constexpr int kSystemUid = 0;
constexpr int kFirstAppUid = 1000;
}  // namespace

Kernel::Kernel(AppCore& core, DeviceTree tree)
    : core_(core), tree_(std::move(tree)),
      cpu_(core.clock(), /*slice=*/core.clock().hz() / 100 /* 10 ms */, tree_.costs.at("context_switch")),
      hw_(core.bus(), cpu_) {}

std::uint64_t Kernel::cost(const std::string& name) const {
    auto it = tree_.costs.find(name);
    if (it == tree_.costs.end()) throw std::logic_error("os cost '" + name + "' missing from the device tree");
    return it->second;
}

std::int64_t Kernel::now_unix_s() const { return tree_.rtc_epoch_unix_s + static_cast<std::int64_t>(sim_now_ns() / 1'000'000'000ull); }
std::uint64_t Kernel::now_unix_ms() const {
    return static_cast<std::uint64_t>(tree_.rtc_epoch_unix_s) * 1000 + sim_now_ns() / 1'000'000ull;
}

void Kernel::klog(const std::string& message) {
    const auto ns = sim_now_ns();
    auto line = fmt::format("[{:5}.{:06}] {}", ns / 1'000'000'000ull, (ns / 1000) % 1'000'000, message);
    klog_.push_back(line);
    if (klog_.size() > kKernelLogLines) klog_.pop_front();
    console_->write(line + "\n");
}

std::uint64_t Kernel::allocate_dma(std::uint64_t bytes) {
    // Kernel buffers come from the top of SRAM, 64-byte aligned; apps get the rest.
    bytes = (bytes + 63) & ~std::uint64_t{63};
    dma_next_ += bytes;
    if (dma_next_ > tree_.ram_size) throw std::runtime_error("kernel DMA area exhausted");
    return tree_.ram_base + tree_.ram_size - dma_next_;
}

void Kernel::boot(const BootHandoff& handoff) {
    cpu_.acquire(kKernelPid);
    console_ = std::make_unique<Console>(hw_, tree_.console_uart);
    security_ = std::make_unique<SecurityDriver>(hw_, tree_.sec_mailbox, tree_.sec_mailbox_irq,
                                                 allocate_dma(secproto::kBufferSize));
    nic_ = std::make_unique<NicDriver>(hw_, tree_.nic, tree_.nic_irq, allocate_dma(NicDriver::kBufferSize));
    device().emit(ev::os_boot_stage, {{"stage", "kernel"}, {"slot", handoff.slot}});

    // Our configuration is the payload of the image the security subsystem just verified.
    Bytes image(handoff.image_size);
    hw_.read(handoff.image_address, image.data(), image.size());
    cpu_.consume(cost("per_kib_copied") * (image.size() / 1024 + 1));
    try {
        auto parsed = image::parse_image(image);
        config_ = OsConfig::from_json(nlohmann::json::parse(parsed.payload.begin(), parsed.payload.end()));
    } catch (const std::exception& e) {
        klog(std::string("kernel panic: bad OS configuration: ") + e.what());
        device().emit(ev::os_boot_stage, {{"stage", "panic"}, {"reason", e.what()}});
        cpu_.release(kKernelPid);
        return;
    }
    klog(fmt::format("spherevp-os 0.1 on {} ({} MHz), booted from {}", tree_.device_name,
                     core_.clock().hz() / 1'000'000, handoff.slot));
    for (const auto& m : handoff.measurements)
        klog(fmt::format("measured {} {} from {}: {}", m.stage, image::version_to_string(m.version), m.slot,
                         to_hex(ByteView(m.digest)).substr(0, 16)));
    device().emit(ev::os_boot_stage, {{"stage", "drivers"}});
    klog("drivers: console, security mailbox, nic");

    spawn("attestation-agent", kSystemUid, [this](Process&) { return AttestationAgent(*this).run(); });
    device().emit(ev::os_boot_stage, {{"stage", "services"}});
    start_apps();
    cpu_.release(kKernelPid);
}

Process& Kernel::spawn(const std::string& name, int uid, std::function<int(Process&)> body) {
    auto p = std::make_unique<Process>();
    p->pid = next_pid_++;
    p->uid = uid;
    p->name = name;
    Process& proc = *p;
    processes_[proc.pid] = std::move(p);
    cpu_.consume(cost("process_start"));
    sc_core::sc_spawn_options options;
    options.set_stack_size(4 << 20);  // TLS handshakes run on process stacks
    sc_core::sc_spawn(
        [this, &proc, body] {
            cpu_.acquire(proc.pid);
            proc.running = true;
            if (proc.uid != kSystemUid)
                device().emit(ev::os_app_started, {{"app", proc.name}, {"pid", proc.pid}});
            proc.exit_status = body(proc);
            proc.running = false;
            if (proc.uid != kSystemUid)
                device().emit(ev::os_app_exited, {{"app", proc.name}, {"pid", proc.pid}, {"status", proc.exit_status}});
            proc.exited.notify(sc_core::SC_ZERO_TIME);
            cpu_.release(proc.pid);
        },
        fmt::format("pid{}_{}", proc.pid, name).c_str(), &options);
    return proc;
}

void Kernel::start_apps() {
    // The apps partition holds signed images back to back, each starting on a 4 KiB boundary;
    // an erased header (all 0xFF) ends the list.
    int started = 0;
    std::uint64_t offset = 0;
    int uid = kFirstAppUid;
    while (offset + image::kHeaderSize <= tree_.apps_size) {
        const std::uint64_t address = tree_.apps_partition + offset;
        Bytes header(image::kHeaderSize);
        hw_.read(address, header.data(), header.size());
        if (std::all_of(header.begin(), header.end(), [](std::uint8_t b) { return b == 0xFF; })) break;
        std::size_t size = 0;
        try {
            const auto h = image::parse_header(header);
            size = image::kHeaderSize + h.payload_size + h.protected_size + image::kSignatureBlockSize;
        } catch (const image::ImageFormatError& e) {
            device().emit(ev::os_app_rejected, {{"app", fmt::format("@0x{:x}", offset)}, {"reason", image::to_string(e.code())}});
            break;  // without a valid header we cannot find the next image
        }
        const std::uint64_t next = offset + ((size + 4095) & ~std::uint64_t{4095});
        if (image::parse_header(header).type == image::ImageType::rt_firmware) {
            start_rt_app(address, size);
            offset = next;
            continue;
        }
        auto verdict = security_->call(secproto::verify_image,
                                       {{"address", address}, {"type", static_cast<int>(image::ImageType::application)}});
        if (!verdict.ok() || !verdict.body.value("verified", false)) {
            const std::string reason = verdict.ok() ? verdict.body.value("reason", "refused")
                                                    : std::string(secproto::status_name(verdict.status));
            device().emit(ev::os_app_rejected, {{"app", fmt::format("@0x{:x}", offset)}, {"reason", reason}});
            klog("app at offset " + std::to_string(offset) + " refused: " + reason);
            offset = next;
            continue;
        }
        Bytes bytes(size);
        hw_.read(address, bytes.data(), bytes.size());
        AppManifest manifest;
        try {
            auto img = image::parse_image(bytes);
            manifest = AppManifest::from_json(nlohmann::json::parse(img.protected_area));
        } catch (const std::exception& e) {
            device().emit(ev::os_app_rejected, {{"app", fmt::format("@0x{:x}", offset)}, {"reason", "bad-manifest"}, {"detail", e.what()}});
            offset = next;
            continue;
        }
        const AppRegistration* reg = nullptr;
        for (const auto& r : builtin_apps())
            if (r.entry_point == manifest.entry_point) reg = &r;
        if (!reg) {
            device().emit(ev::os_app_rejected, {{"app", manifest.name}, {"reason", "unknown-entry-point"}, {"detail", manifest.entry_point}});
            offset = next;
            continue;
        }
        const int pid = next_pid_;
        manifests_[pid] = manifest;
        const AppManifest& stored = manifests_[pid];
        auto make = reg->make;
        klog(fmt::format("starting app {} ({}) as uid {}", manifest.name, manifest.entry_point, uid));
        spawn(manifest.name, uid++, [this, &stored, make](Process& p) {
            AppContext ctx(*this, p, stored);
            return make()->main(ctx);
        });
        ++started;
        offset = next;
    }
    device().emit(ev::os_apps_running, {{"count", started}});
    klog(fmt::format("{} app(s) running", started));
}

void Kernel::start_rt_app(std::uint64_t address, std::size_t size) {
    // A real-time app: the security subsystem verifies the signed image (VERIFY_IMAGE, type
    // rt-firmware); its manifest names the core; the payload is the ELF that IO_CORE_CONTROL
    // loads into that core's memory before releasing it from reset.
    auto verdict = security_->call(secproto::verify_image, {{"address", address}, {"type", static_cast<int>(image::ImageType::rt_firmware)}});
    Bytes bytes(size);
    hw_.read(address, bytes.data(), bytes.size());
    std::string app = fmt::format("@0x{:x}", address - tree_.apps_partition), core, version;
    image::ParsedImage img;
    try {
        img = image::parse_image(bytes);
        version = image::version_to_string(img.header.version);
        if (!img.protected_area.empty()) {
            const auto manifest = nlohmann::json::parse(img.protected_area);
            app = manifest.value("name", app);
            core = manifest.value("core", "");
        }
    } catch (const std::exception& e) {
        device().emit(ev::os_rt_app_rejected, {{"app", app}, {"core", core}, {"reason", "bad-manifest"}, {"detail", e.what()}});
        return;
    }
    if (!verdict.ok() || !verdict.body.value("verified", false)) {
        const std::string reason = verdict.ok() ? verdict.body.value("reason", "refused") : std::string(secproto::status_name(verdict.status));
        device().emit(ev::os_rt_app_rejected, {{"app", app}, {"core", core}, {"reason", reason}});
        klog("real-time app " + app + " refused: " + reason);
        return;
    }
    if (std::find(tree_.rt_cores.begin(), tree_.rt_cores.end(), core) == tree_.rt_cores.end() || !tree_.io_core_control) {
        device().emit(ev::os_rt_app_rejected, {{"app", app}, {"core", core}, {"reason", "no-such-core"}});
        return;
    }
    cpu_.consume(cost("per_kib_copied") * (img.payload.size() / 1024 + 1));
    if (auto why = tree_.io_core_control(core, img.payload, app); !why.empty()) {
        device().emit(ev::os_rt_app_rejected, {{"app", app}, {"core", core}, {"reason", "load-failed"}, {"detail", why}});
        klog("real-time app " + app + " not started on " + core + ": " + why);
        return;
    }
    device().emit(ev::os_rt_app_started, {{"app", app}, {"core", core}, {"version", version}});
    klog(fmt::format("real-time app {} {} started on {}", app, version, core));
}

const std::optional<crypto::RawPublicKey>& Kernel::device_key() {
    if (!device_key_) {
        auto reply = security_->call(secproto::get_device_id);
        if (reply.ok() && reply.body.contains("device_key") && reply.body["device_key"].is_binary() &&
            reply.body["device_key"].get_binary().size() == 64) {
            crypto::RawPublicKey k{};
            std::copy(reply.body["device_key"].get_binary().begin(), reply.body["device_key"].get_binary().end(), k.begin());
            device_key_ = k;
        }
    }
    return device_key_;
}

void Kernel::set_device_certificate(std::string pem) {
    device_certificate_ = std::move(pem);
    certificate_changed_.notify(sc_core::SC_ZERO_TIME);
}

HttpResult Kernel::cloud_post(const std::string& target, const nlohmann::json& body, bool authenticate) {
    TlsSession session(*nic_, cpu_, cost("tls_handshake_client"));
    TlsOptions options;
    options.server_name = config_.cloud_host;
    options.trusted_roots_pem = config_.trusted_roots_pem;
    options.now_unix_s = now_unix_s();
    if (authenticate) {
        if (!device_certificate_ || !device_key()) return {std::nullopt, "no device certificate"};
        options.client = ClientIdentity{*device_certificate_, *device_key_, [this](const crypto::Digest& d)
                                        -> std::optional<crypto::RawSignature> {
            auto reply = security_->call(secproto::sign_with_device_key,
                                         {{"digest", nlohmann::json::binary(std::vector<std::uint8_t>(d.begin(), d.end()))}});
            if (!reply.ok() || !reply.body.contains("signature") || !reply.body["signature"].is_binary() ||
                reply.body["signature"].get_binary().size() != 64)
                return std::nullopt;
            crypto::RawSignature s{};
            std::copy(reply.body["signature"].get_binary().begin(), reply.body["signature"].get_binary().end(), s.begin());
            return s;
        }};
    }
    if (auto error = session.open(config_.cloud_ip, config_.cloud_port, options)) {
        device().emit(ev::os_net_failed, {{"host", config_.cloud_host}, {"port", config_.cloud_port}, {"reason", *error}});
        return {std::nullopt, *error};
    }
    device().emit(ev::os_net_connected, {{"host", config_.cloud_host}, {"port", config_.cloud_port},
                                         {"tls", session.version()}, {"mutual", authenticate}});
    auto result = post_json(session, config_.cloud_host, target, body);
    session.close();
    return result;
}

}  // namespace svp::os

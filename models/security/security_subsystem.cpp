#include "models/security/security_subsystem.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/crypto/deterministic_random.h"
#include "common/protocol/attestation.h"
#include "common/util/log.h"
#include "models/bus/firewall.h"
#include "models/periph/mailbox.h"
#include "models/security/sec_protocol.h"

namespace svp {
namespace {

constexpr std::size_t kFlashChunk = 4096;  // the boot ROM streams images through the SHA engine

std::string hex(const crypto::Digest& d) { return to_hex(ByteView(d)); }

}  // namespace

namespace secproto {
std::string_view command_name(std::uint32_t id) {
    switch (id) {
    case read_rng: return "read-rng";
    case get_security_state: return "get-security-state";
    case process_attestation: return "process-attestation";
    case sign_with_device_key: return "sign-with-device-key";
    case get_device_id: return "get-device-id";
    case verify_image: return "verify-image";
    case device_reset: return "device-reset";
    case stage_begin: return "stage-begin";
    case stage_write: return "stage-write";
    case stage_commit: return "stage-commit";
    case confirm_boot: return "confirm-boot";
    case rollback_info: return "rollback-info";
    case storage_erase: return "storage-erase";
    case storage_write: return "storage-write";
    case peripheral_assign: return "peripheral-assign";
    case peripheral_lock: return "peripheral-lock";
    case set_firewall_mapping: return "set-firewall-mapping";
    case lock_firewall_mapping: return "lock-firewall-mapping";
    case advance_manufacturing_state: return "advance-manufacturing-state";
    default: return "unknown";
    }
}
std::string_view status_name(std::uint32_t s) {
    switch (s) {
    case ok: return "ok";
    case bad_request: return "bad-request";
    case unknown_command: return "unknown-command";
    case not_ready: return "not-ready";
    case refused: return "refused";
    case busy: return "busy";
    default: return "unknown";
    }
}
}  // namespace secproto

SecuritySubsystem::SecuritySubsystem(sc_core::sc_module_name name, DeviceContext& device, SecurityConfig config,
                                     BusInitiator who, IrqLine* mailbox_irq)
    : sc_module(name), device_(device), config_(std::move(config)), clock_(config_.clock_hz), bus_("bus", who),
      mailbox_irq_(mailbox_irq), faults_(device) {
    start_threads();
}

void SecuritySubsystem::start_threads() {
    threads_.clear();
    threads_.push_back(sc_core::sc_spawn([this] { boot_rom(); }, "boot_rom"));
    threads_.push_back(sc_core::sc_spawn([this] { command_server(); }, "command_server"));
    if (firewall_irq_) threads_.push_back(sc_core::sc_spawn([this] { firewall_watch(); }, "firewall_watch"));
}

void SecuritySubsystem::reset() {
    for (auto& t : threads_)
        if (!t.terminated()) t.kill();
    pending_ = sc_core::SC_ZERO_TIME;
    identity_key_.reset();
    measurements_.clear();
    booted_ = false;
    staging_.reset();
    fuses_.reset_latches();
    start_threads();
}

std::optional<crypto::RawPublicKey> SecuritySubsystem::device_public_key() const {
    if (!identity_key_) return std::nullopt;
    return identity_key_->public_key().raw();
}

void SecuritySubsystem::charge(std::uint64_t cycles) {
    activity_.busy_cycles += cycles;
    pending_ += clock_.cycles(cycles);
}

void SecuritySubsystem::charge_engine(std::uint64_t& operations, std::uint64_t count, std::uint64_t cycles_each) {
    operations += count;
    activity_.crypto_cycles += count * cycles_each;
    charge(count * cycles_each);
}

void SecuritySubsystem::sync() {
    if (pending_ > sc_core::SC_ZERO_TIME) {
        activity_.active += pending_;
        wait(pending_);
        pending_ = sc_core::SC_ZERO_TIME;
    }
}

bool SecuritySubsystem::read_flash_plain(std::uint64_t address, std::size_t length, Bytes& out) {
    out.resize(length);
    for (std::size_t done = 0; done < length; done += kFlashChunk) {
        const std::size_t n = std::min(kFlashChunk, length - done);
        if (bus_.read(address + done, out.data() + done, n, pending_) != tlm::TLM_OK_RESPONSE) return false;
    }
    sync();
    return true;
}

bool SecuritySubsystem::read_flash(std::uint64_t address, std::size_t length, Bytes& out) {
    // With an engine the image is hashed where it is verified (signature_valid), on the engine.
    if (has_engine()) return read_flash_plain(address, length, out);
    out.resize(length);
    for (std::size_t done = 0; done < length; done += kFlashChunk) {
        const std::size_t n = std::min(kFlashChunk, length - done);
        if (bus_.read(address + done, out.data() + done, n, pending_) != tlm::TLM_OK_RESPONSE) return false;
        charge_engine(activity_.sha256_blocks, (n + 63) / 64, config_.costs.sha256_cycles_per_block);  // hashed as it streams in
        sync();
    }
    return true;
}

std::optional<std::pair<std::size_t, image::ParsedImage>> SecuritySubsystem::boot_stage(
    const BootStage& stage, const std::vector<std::size_t>& order, Bytes& storage) {
    for (const std::size_t index : order) {
        const auto& slot = stage.slots[index];
        auto reject = [&](const std::string& reason, const std::string& detail) {
            device_.emit(ev::sec_boot_image_rejected,
                         {{"stage", stage.name}, {"slot", slot.name}, {"reason", reason}, {"detail", detail}});
        };
        Bytes header;
        if (!read_flash(slot.address, image::kHeaderSize, header)) {
            reject("bus-error", "reading the image header failed");
            continue;
        }
        std::size_t total = 0;
        try {
            auto h = image::parse_header(header);
            total = image::kHeaderSize + h.payload_size + h.protected_size + image::kSignatureBlockSize;
        } catch (const image::ImageFormatError& e) {
            // An erased slot reads as 0xFF: say "empty" rather than "bad magic".
            bool erased = std::all_of(header.begin(), header.end(), [](std::uint8_t b) { return b == 0xFF; });
            reject(erased ? "empty-slot" : std::string(image::to_string(e.code())), e.detail());
            continue;
        }
        if (total > slot.size) {
            reject("too-large", fmt::format("header declares {} bytes, slot holds {}", total, slot.size));
            continue;
        }
        if (!read_flash(slot.address, total, storage)) {
            reject("bus-error", "reading the image failed");
            continue;
        }
        image::ParsedImage img;
        try {
            img = image::parse_image(storage);
        } catch (const image::ImageFormatError& e) {
            reject(std::string(image::to_string(e.code())), e.detail());
            continue;
        }
        boot::StageRequirements req{stage.type, config_.product, slot.size, stage.counter,
                                    /*allow_development=*/!fuses_.debug_locked()};
        auto result = boot::verify_stage(img, fuses_, req,
                                         {&faults_, &config_.defences, [this](const image::ParsedImage& i) { return signature_valid(i); }});
        if (!result.passed) {
            if (result.reason == "fault-detected")
                device_.emit(ev::sec_fault_detected, {{"stage", stage.name}, {"slot", slot.name}, {"detail", result.detail}});
            reject(result.reason, result.detail);
            continue;
        }
        device_.emit(ev::sec_boot_image_verified,
                     {{"stage", stage.name}, {"slot", slot.name}, {"component", image::to_string(img.header.component_id)},
                      {"version", image::version_to_string(img.header.version)},
                      {"key_id", hex(img.signature.key_id()).substr(0, 16)}});
        return std::make_pair(index, img);
    }
    return std::nullopt;
}

bool SecuritySubsystem::attach_debugger(const std::string& core) {
    const bool allowed = !fuses_.debug_locked() || !config_.defences.on("debug.lock");
    device_.emit(ev::sec_debug_attach, {{"core", core}, {"result", allowed ? "attached" : "refused: debug-lock fuse blown"}});
    return allowed;
}

crypto::Digest SecuritySubsystem::debugger_read_device_secret() {
    const auto value = fuses_.read_device_secret();
    const bool readable = value != crypto::Digest{};
    device_.emit(ev::sec_debug_secret_read,
                 {{"result", readable ? "read" : (fuses_.device_secret_latched() ? "refused: latched after boot" : "empty")}});
    return value;
}

void SecuritySubsystem::derive_identity(const crypto::Digest& first_mutable_stage) {
    // DICE: CDI = HMAC(UDS, measurement of the first mutable stage); the identity key pair
    // is derived from the CDI, so it changes only if that stage (or the secret) changes.
    const auto uds = fuses_.read_device_secret();
    crypto::Digest cdi{};
    Bytes seed;
    if (has_engine()) {
        cdi = engine_hmac(ByteView(uds), ByteView(first_mutable_stage));
        seed = engine_hkdf(ByteView(cdi), as_bytes("spherevp-dice-v1"), as_bytes("device-identity"), 32);
    } else {
        cdi = crypto::hmac_sha256(ByteView(uds), ByteView(first_mutable_stage));
        seed = crypto::hkdf_sha256(ByteView(cdi), as_bytes("spherevp-dice-v1"), as_bytes("device-identity"), 32);
    }
    identity_key_ = crypto::EcPrivateKey::from_seed(seed);
    device_.emit(ev::sec_identity_derived,
                 {{"device_id", protocol::device_id(identity_key_->public_key().raw()).substr(0, 16)}});
}

void SecuritySubsystem::boot_rom() {
    device_.emit(ev::sec_reset, {{"clock_hz", clock_.hz()}, {"stages", config_.chain.size()}});
    measurements_.clear();
    booted_slot_.assign(config_.chain.size(), 0);
    test_boot_.assign(config_.chain.size(), false);
    boot_state_ = load_boot_state();
    BootHandoff handoff;
    for (std::size_t i = 0; i < config_.chain.size(); ++i) {
        const auto& stage = config_.chain[i];
        Bytes storage;
        auto booted = boot_stage(stage, slot_order(i), storage);
        if (!booted) {
            device_.emit(ev::sec_boot_halted,
                         {{"stage", stage.name}, {"reason", "no slot holds a verified image; recovery mode"}});
            return;  // never run unverified code
        }
        const auto& [index, img] = *booted;
        const auto& slot = stage.slots[index];
        booted_slot_[i] = index;
        if (boot_state_ && i < kMaxBootStages) {
            const auto& st = boot_state_->stages[i];
            test_boot_[i] = st.pending == index;
            if (!test_boot_[i] && index != st.confirmed)
                device_.emit(ev::sec_boot_fallback, {{"stage", stage.name}, {"slot", slot.name},
                                                     {"confirmed", stage.slots[st.confirmed].name}});
        }
        // The anti-rollback floor follows the confirmed image, never a test boot (it moves
        // when the new image is confirmed), and only ever up.
        if (!test_boot_[i] && img.header.security_counter > fuses_.counter(stage.counter)) {
            fuses_.advance_counter(stage.counter, img.header.security_counter);
            device_.emit(ev::sec_rollback_counter_advanced,
                         {{"counter", stage.counter}, {"value", img.header.security_counter}});
        }
        BootMeasurement m{stage.name, slot.name, img.header.type, img.header.component_id, img.header.version,
                          img.measurement()};
        measurements_.push_back(m);
        device_.emit(ev::sec_boot_measured, {{"stage", stage.name}, {"digest", hex(m.digest).substr(0, 16)},
                                             {"test_boot", static_cast<bool>(test_boot_[i])}});
        if (i == 0) {
            try {
                derive_identity(m.digest);
            } catch (const std::runtime_error& e) {
                device_.emit(ev::sec_boot_halted, {{"stage", stage.name}, {"reason", e.what()}});
                return;  // no identity, no release
            }
        }
        handoff.slot = slot.name;
        handoff.image_address = slot.app_core_address;
        handoff.image_size = img.image_size;
        handoff.entry_point = img.header.entry_point;
    }
    if (config_.defences.on("secret.latch")) {
        fuses_.latch_device_secret();
        device_.emit(ev::sec_fuse_secret_latched);
    }
    handoff.measurements = measurements_;
    booted_ = true;
    booted_event_.notify(sc_core::SC_ZERO_TIME);
    device_.emit(ev::sec_boot_core_released,
                 {{"core", "a7"}, {"slot", handoff.slot}, {"entry", fmt::format("0x{:08x}", handoff.entry_point)}});
    if (release_) release_(handoff);
}

std::vector<std::size_t> SecuritySubsystem::slot_order(std::size_t i) {
    const auto& stage = config_.chain[i];
    std::vector<std::size_t> order;
    auto append_rest = [&] {
        for (std::size_t k = 0; k < stage.slots.size(); ++k)
            if (std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
    };
    if (!boot_state_ || i >= kMaxBootStages) {
        append_rest();  // no journal: A, then B
        return order;
    }
    // A copy: storing a new record below replaces boot_state_.
    auto st = boot_state_->stages[i];
    if (st.confirmed >= stage.slots.size()) st.confirmed = 0;
    if (st.pending != kNoSlot && st.pending < stage.slots.size()) {
        if (st.attempts == 0) {
            // First boot of a newly installed image: record the attempt before running it, so
            // a reset before the OS confirms it reverts (MCUboot "test" semantics).
            BootStateRecord next = *boot_state_;
            next.stages[i].attempts = 1;
            store_boot_state(next);
            device_.emit(ev::sec_update_test_boot, {{"stage", stage.name}, {"slot", stage.slots[st.pending].name}});
            order.push_back(st.pending);
            order.push_back(st.confirmed);
            // A pending image that fails verification is dropped: fall back to the confirmed one.
        } else {
            BootStateRecord next = *boot_state_;
            next.stages[i].pending = kNoSlot;
            next.stages[i].attempts = 0;
            store_boot_state(next);
            device_.emit(ev::sec_update_reverted, {{"stage", stage.name}, {"slot", stage.slots[st.pending].name},
                                                   {"reason", "not confirmed after its test boot"}});
            order.push_back(st.confirmed);
        }
    } else {
        order.push_back(st.confirmed);
    }
    append_rest();
    return order;
}

std::optional<BootStateRecord> SecuritySubsystem::load_boot_state() {
    if (!config_.boot_state || !flash_) return std::nullopt;
    Bytes partition;
    if (!read_flash_plain(config_.boot_state->address, config_.boot_state->size, partition)) return std::nullopt;
    auto pos = scan_journal(partition, flash_->sector_size());
    if (pos.latest) return pos.latest;
    return BootStateRecord{};  // a fresh device: slot A confirmed everywhere
}

bool SecuritySubsystem::store_boot_state(BootStateRecord record) {
    if (!config_.boot_state || !flash_) return false;
    Bytes partition;
    if (!read_flash_plain(config_.boot_state->address, config_.boot_state->size, partition)) return false;
    auto pos = scan_journal(partition, flash_->sector_size());
    record.sequence = (pos.latest ? pos.latest->sequence : 0) + 1;
    const auto base = config_.boot_state->address;
    if (pos.needs_erase && !flash_erase_range(base + pos.next_offset, flash_->sector_size())) return false;
    if (!flash_program(base + pos.next_offset, record.encode())) return false;
    boot_state_ = record;
    return true;
}

bool SecuritySubsystem::flash_erase_range(std::uint64_t address, std::uint64_t length) {
    if (!flash_ || address < flash_base_) return false;
    const auto sector = flash_->sector_size();
    for (std::uint64_t at = (address - flash_base_) / sector * sector; at < address - flash_base_ + length; at += sector) {
        sync();
        const auto t = flash_->erase_sector(at);
        if (!flash_->powered()) power_lost();
        activity_.active += t;  // the core waits for the flash operation (it polls the controller)
        wait(t);
    }
    return true;
}

void SecuritySubsystem::power_lost() {
    // The flash (and with it the device) lost power during our operation: nothing more
    // happens on this core until the platform's reset restarts it.
    sc_core::sc_event never;
    for (;;) wait(never);
}

bool SecuritySubsystem::flash_program(std::uint64_t address, ByteView bytes) {
    if (!flash_ || address < flash_base_) return false;
    // The controller programs 256-byte pages; each is one flash operation.
    for (std::size_t done = 0; done < bytes.size(); done += 256) {
        const auto n = std::min<std::size_t>(256, bytes.size() - done);
        sync();
        const auto t = flash_->program(address - flash_base_ + done, bytes.subspan(done, n));
        if (!flash_->powered()) power_lost();
        activity_.active += t;  // the core waits for the flash operation (it polls the controller)
        wait(t);
    }
    return true;
}

std::uint32_t SecuritySubsystem::mbox_read(std::uint32_t offset) {
    std::uint32_t v = 0;
    bus_.read(config_.mailbox_address + offset, &v, 4, pending_);
    return v;
}

void SecuritySubsystem::mbox_write(std::uint32_t offset, std::uint32_t value) {
    bus_.write(config_.mailbox_address + offset, &value, 4, pending_);
}

void SecuritySubsystem::command_server() {
    wait(booted_event_);
    mbox_write(MailboxSide::INT_EN, MailboxSide::INT_RX);
    sync();
    for (;;) {
        if (mbox_read(MailboxSide::FIFO_POP_CNT) == 0) {
            mbox_write(MailboxSide::INT_STS, MailboxSide::INT_RX);
            sync();
            if (mbox_read(MailboxSide::FIFO_POP_CNT) == 0) {
                if (mailbox_irq_ && !mailbox_irq_->level()) wait(mailbox_irq_->rising());
                continue;
            }
        }
        // One request, first come first served: the FIFO is the fair queue, bounded at 15.
        const std::uint32_t buffer = mbox_read(MailboxSide::DATA_POP);
        const std::uint32_t word = mbox_read(MailboxSide::CMD_POP);
        charge(config_.costs.command_overhead_cycles);
        std::uint32_t status = secproto::bad_request;
        Bytes response;
        std::uint32_t length = 0;
        const bool version_ok = secproto::command_version(word) == secproto::kVersion;
        if (version_ok && bus_.read(buffer, &length, 4, pending_) == tlm::TLM_OK_RESPONSE &&
            length <= secproto::kMaxPayload && length <= config_.max_request_bytes) {
            Bytes request(length);
            if (length == 0 || bus_.read(buffer + 4, request.data(), length, pending_) == tlm::TLM_OK_RESPONSE)
                try {
                    status = execute(secproto::command_id(word), request, response);
                } catch (const std::runtime_error& e) {  // the crypto engine failed us: refuse, keep serving
                    log::get("sec.core")->warn("{}", e.what());
                    status = secproto::refused;
                    response.clear();
                }
        }
        if (response.size() > secproto::kMaxPayload) {
            status = secproto::bad_request;
            response.clear();
        }
        const std::uint32_t out_length = static_cast<std::uint32_t>(response.size());
        bus_.write(buffer, &status, 4, pending_);
        bus_.write(buffer + 4, &out_length, 4, pending_);
        if (!response.empty()) bus_.write(buffer + 8, response.data(), response.size(), pending_);
        sync();
        ++commands_served_;
        device_.emit(ev::sec_cmd_done, {{"command", secproto::command_name(secproto::command_id(word))},
                                        {"status", secproto::status_name(status)}, {"caller", "a7"}});
        mbox_write(MailboxSide::DATA_PUSH, status);
        mbox_write(MailboxSide::CMD_PUSH, word);
        sync();
    }
}

std::uint32_t SecuritySubsystem::execute(std::uint8_t command, ByteView request, Bytes& response) {
    using nlohmann::json;
    json req;
    if (!request.empty()) {
        req = json::from_cbor(request.begin(), request.end(), true, false);
        if (req.is_discarded() || !req.is_object()) return secproto::bad_request;
    } else {
        req = json::object();
    }
    auto reply = [&](const json& j) {
        auto cbor = json::to_cbor(j);
        response.assign(cbor.begin(), cbor.end());
        return secproto::ok;
    };
    auto binary = [](ByteView b) { return json::binary(std::vector<std::uint8_t>(b.begin(), b.end())); };
    auto get_binary = [&](const char* key, std::size_t size) -> std::optional<Bytes> {
        auto it = req.find(key);
        if (it == req.end() || !it->is_binary() || it->get_binary().size() != size) return std::nullopt;
        return Bytes(it->get_binary().begin(), it->get_binary().end());
    };
    switch (command) {
    case secproto::get_security_state:
        return reply({{"secure_boot", fuses_.secure_boot_enabled()},
                      {"debug_locked", fuses_.debug_locked()},
                      {"manufacturing_state", to_string(fuses_.manufacturing_state())},
                      {"device_key", identity_key_ ? binary(ByteView(identity_key_->public_key().raw())) : json()}});
    case secproto::get_device_id:
        if (!identity_key_) return secproto::not_ready;
        return reply({{"device_key", binary(ByteView(identity_key_->public_key().raw()))}});
    case secproto::read_rng: {
        auto it = req.find("count");
        if (it == req.end() || !it->is_number_unsigned() || it->get<std::uint64_t>() > 1024) return secproto::bad_request;
        const auto n = it->get<std::size_t>();
        charge_engine(activity_.trng_words, (n + 3) / 4, config_.costs.trng_cycles_per_word);
        return reply({{"bytes", binary(device_.rng.bytes(n))}});
    }
    case secproto::sign_with_device_key: {
        if (!identity_key_) return secproto::not_ready;
        auto digest = get_binary("digest", 32);
        if (!digest) return secproto::bad_request;
        crypto::Digest d{};
        std::copy(digest->begin(), digest->end(), d.begin());
        crypto::RawSignature sig{};
        if (has_engine()) {
            sig = engine_sign(*identity_key_, d);
        } else {
            charge(config_.costs.ecdsa_sign_cycles);
            sig = identity_key_->sign_digest(d);
        }
        return reply({{"signature", binary(ByteView(sig))}});
    }
    case secproto::process_attestation: {
        if (!identity_key_) return secproto::not_ready;
        auto nonce = get_binary("nonce", protocol::kNonceSize);
        if (!nonce) return secproto::bad_request;
        protocol::Quote q;
        q.nonce = *nonce;
        q.device_key = identity_key_->public_key().raw();
        json ms = json::array();
        for (const auto& m : measurements_) {
            q.measurements.push_back({static_cast<std::uint16_t>(m.type), m.stage, image::to_string(m.component),
                                      image::version_to_string(m.version), m.digest});
            ms.push_back({{"type", static_cast<int>(m.type)}, {"stage", m.stage},
                          {"component", image::to_string(m.component)},
                          {"version", image::version_to_string(m.version)}, {"digest", binary(ByteView(m.digest))}});
        }
        if (has_engine()) {
            const auto tbs = q.to_be_signed();
            q.signature = engine_sign(*identity_key_, engine_sha256(tbs));
        } else {
            charge(config_.costs.sha256_cycles_per_block * 4 + config_.costs.ecdsa_sign_cycles);
            q.signature = identity_key_->sign_digest(q.digest());
        }
        last_quote_ = q;
        return reply({{"device_key", binary(ByteView(q.device_key))},
                      {"measurements", ms},
                      {"signature", binary(ByteView(q.signature))}});
    }
    case secproto::verify_image: {
        auto addr = req.find("address");
        auto type = req.find("type");
        if (addr == req.end() || !addr->is_number_unsigned() || type == req.end() || !type->is_number_unsigned())
            return secproto::bad_request;
        const auto address = addr->get<std::uint64_t>();
        // Only flash the caller may name: the address must fall in a known slot of the chain
        // or in the apps area the variant gives (checked by the bus: a refused read fails).
        Bytes header;
        if (!read_flash(address, image::kHeaderSize, header)) return secproto::refused;
        std::size_t total = 0;
        try {
            auto h = image::parse_header(header);
            total = image::kHeaderSize + h.payload_size + h.protected_size + image::kSignatureBlockSize;
        } catch (const image::ImageFormatError& e) {
            return reply({{"verified", false}, {"reason", image::to_string(e.code())}});
        }
        Bytes storage;
        if (!read_flash(address, total, storage)) return secproto::refused;
        try {
            auto img = image::parse_image(storage);
            boot::StageRequirements r{static_cast<image::ImageType>(type->get<int>()), config_.product, 0,
                                      std::string(image::to_string(static_cast<image::ImageType>(type->get<int>()))),
                                      !fuses_.debug_locked()};
            auto result = boot::verify_stage(img, fuses_, r,
                                             {nullptr, nullptr, [this](const image::ParsedImage& i) { return signature_valid(i); }});
            return reply({{"verified", result.passed}, {"reason", result.reason},
                          {"measurement", binary(ByteView(img.measurement()))}, {"size", img.image_size}});
        } catch (const image::ImageFormatError& e) {
            return reply({{"verified", false}, {"reason", image::to_string(e.code())}});
        }
    }
    case secproto::set_firewall_mapping:
    case secproto::lock_firewall_mapping:
    case secproto::advance_manufacturing_state: {
        json out = json::object();
        const auto status = execute_admin(command, req, out);
        if (status == secproto::ok && !out.empty()) return reply(out);
        return status;
    }
    default: {
        json out = json::object();
        const auto status = execute_update(command, req, out);
        if (status == secproto::ok && !out.empty()) return reply(out);
        return status;
    }
    }
}

std::uint32_t SecuritySubsystem::execute_update(std::uint8_t command, const nlohmann::json& req, nlohmann::json& out) {
    using nlohmann::json;
    auto stage_index = [&](const json& name) -> std::optional<std::size_t> {
        if (!name.is_string()) return std::nullopt;
        for (std::size_t i = 0; i < config_.chain.size(); ++i)
            if (config_.chain[i].name == name.get<std::string>()) return i;
        return std::nullopt;
    };
    switch (command) {
    case secproto::device_reset: {
        const std::string reason = req.value("reason", "requested by the OS");
        if (reset_request_) reset_request_(reason);
        return secproto::ok;
    }
    case secproto::stage_begin: {
        if (!flash_ || !boot_state_) return secproto::refused;
        auto i = stage_index(req.value("stage", json()));
        auto size = req.find("size");
        if (!i || size == req.end() || !size->is_number_unsigned()) return secproto::bad_request;
        const auto& stage = config_.chain[*i];
        if (stage.slots.size() < 2) return secproto::refused;
        // The inactive slot: never the one that booted, never the confirmed one.
        std::size_t target = 0;
        while (target == booted_slot_[*i] || target == boot_state_->stages[*i].confirmed) ++target;
        if (target >= stage.slots.size()) return secproto::refused;
        const auto& slot = stage.slots[target];
        if (size->get<std::uint64_t>() > slot.size) {
            device_.emit(ev::sec_update_rejected, {{"stage", stage.name}, {"slot", slot.name}, {"reason", "too-large"}});
            return secproto::refused;
        }
        // Staging over a pending image cancels it first, so no half-written slot is pending.
        if (boot_state_->stages[*i].pending == target) {
            BootStateRecord next = *boot_state_;
            next.stages[*i].pending = kNoSlot;
            next.stages[*i].attempts = 0;
            if (!store_boot_state(next)) return secproto::refused;
        }
        staging_ = Staging{*i, target, size->get<std::uint64_t>(), 0};
        device_.emit(ev::sec_update_staging, {{"stage", stage.name}, {"slot", slot.name}, {"size", staging_->size}});
        if (!flash_erase_range(slot.address, std::max<std::uint64_t>(1, staging_->size))) return secproto::refused;
        out = {{"slot", slot.name}};
        return secproto::ok;
    }
    case secproto::stage_write: {
        if (!staging_) return secproto::refused;
        auto offset = req.find("offset");
        auto data = req.find("data");
        if (offset == req.end() || !offset->is_number_unsigned() || data == req.end() || !data->is_binary() ||
            data->get_binary().size() > 1024)
            return secproto::bad_request;
        const auto at = offset->get<std::uint64_t>();
        const auto& bytes = data->get_binary();
        if (at + bytes.size() > staging_->size) return secproto::refused;  // never past what was announced
        const auto& slot = config_.chain[staging_->stage].slots[staging_->slot];
        if (!flash_program(slot.address + at, ByteView(bytes.data(), bytes.size()))) return secproto::refused;
        staging_->written = std::max(staging_->written, at + bytes.size());
        return secproto::ok;
    }
    case secproto::stage_commit: {
        if (!staging_) return secproto::refused;
        const auto st = *staging_;
        staging_.reset();
        const auto& stage = config_.chain[st.stage];
        const auto& slot = stage.slots[st.slot];
        auto reject = [&](const std::string& reason, const std::string& detail) {
            device_.emit(ev::sec_update_rejected, {{"stage", stage.name}, {"slot", slot.name}, {"reason", reason}, {"detail", detail}});
            if (config_.defences.on("update.erase-rejected"))
                flash_erase_range(slot.address, std::max<std::uint64_t>(1, st.size));  // B1: never leave it lying there
            out = {{"verified", false}, {"reason", reason}};
            return secproto::ok;
        };
        Bytes storage;
        if (!read_flash(slot.address, st.size, storage)) return reject("bus-error", "reading the staged image failed");
        image::ParsedImage img;
        try {
            img = image::parse_image(storage);
        } catch (const image::ImageFormatError& e) {
            return reject(std::string(image::to_string(e.code())), e.detail());
        }
        boot::StageRequirements r{stage.type, config_.product, slot.size, stage.counter, !fuses_.debug_locked()};
        auto result = boot::verify_stage(img, fuses_, r,
                                         {&faults_, &config_.defences, [this](const image::ParsedImage& i) { return signature_valid(i); }});
        if (!result.passed) return reject(result.reason, result.detail);
        BootStateRecord next = *boot_state_;
        next.stages[st.stage].pending = static_cast<std::uint8_t>(st.slot);
        next.stages[st.stage].attempts = 0;
        if (!store_boot_state(next)) return secproto::refused;
        device_.emit(ev::sec_update_installed, {{"stage", stage.name}, {"slot", slot.name},
                                                {"version", image::version_to_string(img.header.version)}});
        out = {{"verified", true}, {"slot", slot.name}};
        return secproto::ok;
    }
    case secproto::confirm_boot: {
        if (!boot_state_) return secproto::refused;
        BootStateRecord next = *boot_state_;
        bool changed = false;
        for (std::size_t i = 0; i < config_.chain.size() && i < kMaxBootStages; ++i) {
            if (!test_boot_[i]) continue;
            next.stages[i].confirmed = static_cast<std::uint8_t>(booted_slot_[i]);
            next.stages[i].pending = kNoSlot;
            next.stages[i].attempts = 0;
            changed = true;
        }
        if (!changed) return secproto::ok;
        if (!store_boot_state(next)) return secproto::refused;
        for (std::size_t i = 0; i < config_.chain.size() && i < kMaxBootStages; ++i) {
            if (!test_boot_[i]) continue;
            test_boot_[i] = false;
            const auto& stage = config_.chain[i];
            device_.emit(ev::sec_update_confirmed, {{"stage", stage.name}, {"slot", stage.slots[booted_slot_[i]].name}});
            // Only now may the anti-rollback floor rise to the new image's counter.
            Bytes header;
            if (read_flash_plain(stage.slots[booted_slot_[i]].address, image::kHeaderSize, header)) {
                const auto counter = image::parse_header(header).security_counter;
                if (counter > fuses_.counter(stage.counter)) {
                    fuses_.advance_counter(stage.counter, counter);
                    device_.emit(ev::sec_rollback_counter_advanced, {{"counter", stage.counter}, {"value", counter}});
                }
            }
        }
        return secproto::ok;
    }
    case secproto::storage_erase:
    case secproto::storage_write: {
        // Only the OS's storage partition, only inside it (TrapaSecurity found an SM flash
        // write that "failed to validate its offset": every bound is checked here).
        if (!flash_ || !config_.os_storage) return secproto::refused;
        const auto& part = *config_.os_storage;
        auto offset = req.find("offset");
        if (offset == req.end() || !offset->is_number_unsigned()) return secproto::bad_request;
        const auto at = offset->get<std::uint64_t>();
        if (at >= part.size) return secproto::refused;
        if (command == secproto::storage_erase) {
            if (!flash_erase_range(part.address + at, 1)) return secproto::refused;
            return secproto::ok;
        }
        auto data = req.find("data");
        if (data == req.end() || !data->is_binary() || data->get_binary().empty() ||
            data->get_binary().size() > secproto::kMaxStorageWrite)
            return secproto::bad_request;
        const auto& bytes = data->get_binary();
        if (bytes.size() > part.size - at) return secproto::refused;
        if (!flash_program(part.address + at, ByteView(bytes.data(), bytes.size()))) return secproto::refused;
        return secproto::ok;
    }
    case secproto::rollback_info: {
        json stages = json::array();
        for (std::size_t i = 0; i < config_.chain.size(); ++i) {
            const auto& stage = config_.chain[i];
            json s = {{"stage", stage.name}, {"booted", stage.slots[booted_slot_[i]].name},
                      {"test_boot", static_cast<bool>(test_boot_[i])}, {"fuse_counter", fuses_.counter(stage.counter)}};
            if (boot_state_ && i < kMaxBootStages) {
                s["confirmed"] = stage.slots[boot_state_->stages[i].confirmed].name;
                const auto p = boot_state_->stages[i].pending;
                s["pending"] = p == kNoSlot ? json() : json(stage.slots[p].name);
            }
            stages.push_back(s);
        }
        out = {{"stages", stages}};
        return secproto::ok;
    }
    case secproto::peripheral_assign: {
        // The OS hands each peripheral an app owns to the core that runs the app (reference
        // §1.5). The resource is a pin ("gpio5") or a named peripheral with its pins; every
        // GPIO block driving one of them goes to that core alone. Once locked, the firewall
        // itself refuses the write and so do we.
        if (!config_.firewall) return secproto::unknown_command;
        const auto& fw = *config_.firewall;
        auto resource = req.find("resource");
        auto core = req.find("core");
        if (resource == req.end() || !resource->is_string() || core == req.end() || !core->is_string())
            return secproto::bad_request;
        const auto who = fw.core_ids.find(core->get<std::string>());
        if (who == fw.core_ids.end()) return secproto::refused;
        std::vector<unsigned> pins;
        const auto name = resource->get<std::string>();
        bool single_pin = false;
        if (name.starts_with("gpio") && name.size() > 4 && name.size() <= 7 &&
            name.find_first_not_of("0123456789", 4) == std::string::npos) {
            pins.push_back(static_cast<unsigned>(std::stoul(name.substr(4))));
            single_pin = true;
        } else if (auto p = req.find("pins"); p != req.end() && p->is_array() && !p->empty() && p->size() <= 32) {
            for (const auto& v : *p) {
                if (!v.is_number_unsigned()) return secproto::bad_request;
                pins.push_back(v.get<unsigned>());
            }
        }
        std::vector<std::size_t> slots;
        for (auto n : pins) {
            const auto it = fw.pin_slots.find(n);
            if (it == fw.pin_slots.end()) return secproto::refused;  // no such pin on this device
            if (std::find(slots.begin(), slots.end(), it->second) == slots.end()) slots.push_back(it->second);
            if (single_pin) continue;
            if (const auto w = fw.pin_windows.find(n); w != fw.pin_windows.end())
                for (auto slot : w->second)
                    if (std::find(slots.begin(), slots.end(), slot) == slots.end()) slots.push_back(slot);
        }
        if (slots.empty()) return secproto::refused;
        const std::uint32_t owners = 1u << who->second;
        for (auto slot : slots)
            if (bus_.write(fw.address + Firewall::slot_owners(slot), &owners, 4, pending_) !=
                tlm::TLM_OK_RESPONSE)
                return secproto::refused;
        out = {{"slots", slots}};
        return secproto::ok;
    }
    case secproto::peripheral_lock: {
        if (!config_.firewall) return secproto::unknown_command;
        std::uint32_t lock = Firewall::CTRL_LOCK;
        if (bus_.write(config_.firewall->address + Firewall::FW_CTRL, &lock, 4, pending_) != tlm::TLM_OK_RESPONSE)
            return secproto::refused;
        return secproto::ok;
    }
    default:
        return secproto::unknown_command;
    }
}

// ---- crypto engine driver ---------------------------------------------------------------

SecuritySubsystem::EngineResult SecuritySubsystem::engine_run(std::uint32_t ctrl, ByteView in, ByteView key, ByteView aux,
                                                              std::uint32_t out_len) {
    using CE = CryptoEngine;
    EngineResult r;
    bool bus_ok = true;
    auto w32 = [&](std::uint32_t off, std::uint32_t v) {
        bus_ok = bus_ok && bus_.write(engine_base_ + off, &v, 4, pending_) == tlm::TLM_OK_RESPONSE;
    };
    auto r32 = [&](std::uint32_t off) {
        std::uint32_t v = 0;
        bus_ok = bus_ok && bus_.read(engine_base_ + off, &v, 4, pending_) == tlm::TLM_OK_RESPONSE;
        return v;
    };
    auto load = [&](std::uint32_t off, ByteView b) {
        if (!b.empty()) bus_ok = bus_ok && bus_.write(engine_base_ + off, b.data(), b.size(), pending_) == tlm::TLM_OK_RESPONSE;
    };
    w32(CE::CE_INT_EN, CE::INT_DONE | CE::INT_ERROR);
    w32(CE::CE_INT_STS, CE::INT_DONE | CE::INT_ERROR);
    load(CE::CE_IN, in);
    load(CE::CE_KEY, key);
    load(CE::CE_AUX, aux);
    w32(CE::CE_IN_LEN, static_cast<std::uint32_t>(in.size()));
    w32(CE::CE_KEY_LEN, static_cast<std::uint32_t>(key.size()));
    w32(CE::CE_AUX_LEN, static_cast<std::uint32_t>(aux.size()));
    w32(CE::CE_OUT_LEN, out_len);
    w32(CE::CE_CTRL, ctrl);
    if (!bus_ok) return r;
    // Wait for the engine: its DONE/ERROR interrupt (the core sleeps meanwhile).
    sync();
    std::uint32_t status = r32(CE::CE_STATUS);
    while (bus_ok && (status & CE::STATUS_BUSY)) {
        if (engine_irq_) wait(engine_irq_->rising());
        else wait(clock_.cycles(config_.costs.engine_setup_cycles));
        status = r32(CE::CE_STATUS);
    }
    if (!bus_ok || (status & CE::STATUS_ERROR)) return r;
    r.ok = true;
    r.valid = (status & CE::STATUS_VALID) != 0;
    const std::uint32_t produced = r32(CE::CE_OUT_LEN);
    r.out.resize(std::min<std::uint32_t>(produced, CE::kOutSize));
    if (!r.out.empty()) bus_ok = bus_.read(engine_base_ + CE::CE_OUT, r.out.data(), r.out.size(), pending_) == tlm::TLM_OK_RESPONSE;
    w32(CE::CE_INT_STS, CE::INT_DONE | CE::INT_ERROR);
    sync();
    r.ok = bus_ok;
    return r;
}

namespace {
// An engine that failed us is a hardware fault: the root of trust stops rather than guess.
[[noreturn]] void engine_failed(const char* what) {
    throw std::runtime_error(std::string("security subsystem: the crypto engine failed ") + what);
}
crypto::Digest to_digest(const Bytes& b) {
    crypto::Digest d{};
    if (b.size() == d.size()) std::copy(b.begin(), b.end(), d.begin());
    return d;
}
}  // namespace

crypto::Digest SecuritySubsystem::engine_sha256(ByteView data) {
    using CE = CryptoEngine;
    std::size_t done = 0;
    do {
        const std::size_t n = std::min<std::size_t>(CE::kInSize, data.size() - done);
        const bool first = done == 0, last = done + n == data.size();
        auto r = engine_run(CE::ctrl(CE::sha256, (first ? CE::CTRL_INIT : 0u) | (last ? CE::CTRL_FINAL : 0u)),
                            data.subspan(done, n));
        if (!r.ok) engine_failed("hashing");
        done += n;
        if (last) return to_digest(r.out);
    } while (true);
}

crypto::Digest SecuritySubsystem::engine_hmac(ByteView key, ByteView data) {
    auto r = engine_run(CryptoEngine::ctrl(CryptoEngine::hmac_sha256), data, key);
    if (!r.ok) engine_failed("computing an HMAC");
    return to_digest(r.out);
}

Bytes SecuritySubsystem::engine_hkdf(ByteView ikm, ByteView salt, ByteView info, std::size_t length) {
    auto r = engine_run(CryptoEngine::ctrl(CryptoEngine::hkdf_sha256), info, ikm, salt, static_cast<std::uint32_t>(length));
    if (!r.ok || r.out.size() != length) engine_failed("deriving a key");
    return r.out;
}

crypto::RawSignature SecuritySubsystem::engine_sign(const crypto::EcPrivateKey& key, const crypto::Digest& digest) {
    // The key crosses from the vault to the engine's write-only key port on the security
    // core's private, firewalled path; the engine wipes it when the operation ends.
    const auto scalar = key.scalar();
    auto r = engine_run(CryptoEngine::ctrl(CryptoEngine::ecdsa_sign), ByteView(digest), ByteView(scalar));
    if (!r.ok || r.out.size() != 64) engine_failed("signing");
    crypto::RawSignature sig{};
    std::copy(r.out.begin(), r.out.end(), sig.begin());
    return sig;
}

bool SecuritySubsystem::engine_verify(const crypto::RawPublicKey& key, const crypto::Digest& digest,
                                      const crypto::RawSignature& sig) {
    Bytes in(digest.begin(), digest.end());
    in.insert(in.end(), sig.begin(), sig.end());
    auto r = engine_run(CryptoEngine::ctrl(CryptoEngine::ecdsa_verify), in, {}, ByteView(key));
    return r.ok && r.valid;  // a key off the curve is an ERROR: not valid (fail closed)
}

bool SecuritySubsystem::signature_valid(const image::ParsedImage& img) {
    if (!has_engine()) {
        charge(config_.costs.ecdsa_verify_cycles);
        sync();
        return image::signature_matches(img);
    }
    try {
        const auto digest = engine_sha256(img.signed_region);
        return engine_verify(img.signature.signer, digest, img.signature.signature);
    } catch (const std::runtime_error&) {
        return false;  // fail closed: an engine that cannot answer verifies nothing
    }
}

// ---- firewall: the violation interrupt and SET/LOCK_FIREWALL_MAPPING ----------------------

void SecuritySubsystem::firewall_watch() {
    // Its own local time: this thread runs beside the boot ROM and the command server.
    for (;;) {
        if (!firewall_irq_->level()) wait(firewall_irq_->rising());
        sc_core::sc_time delay;
        std::uint32_t count = 0, address = 0, info = 0, clear = Firewall::INT_VIOLATION;
        bus_.read(firewall_base_ + Firewall::FW_VIOL_COUNT, &count, 4, delay);
        bus_.read(firewall_base_ + Firewall::FW_VIOL_ADDR, &address, 4, delay);
        bus_.read(firewall_base_ + Firewall::FW_VIOL_INFO, &info, 4, delay);
        bus_.write(firewall_base_ + Firewall::FW_INT_STS, &clear, 4, delay);
        ++violations_seen_;
        const std::size_t who = info & 0xFFFF, slot = (info >> 16) & 0xFF;
        device_.emit(ev::sec_firewall_violation_seen,
                     {{"violations", count},
                      {"initiator", who < initiator_names_.size() ? initiator_names_[who] : std::to_string(who)},
                      {"address", fmt::format("0x{:08x}", address)},
                      {"region", slot < firewall_regions_.size() ? firewall_regions_[slot] : std::string("?")}});
        wait(delay + clock_.cycles(config_.costs.command_overhead_cycles / 4));
        // The line is shared with the app core's GIC; if it is still high nothing new happened
        // until it falls and rises again.
        if (firewall_irq_->level()) wait(firewall_irq_->changed());
    }
}

std::uint32_t SecuritySubsystem::execute_admin(std::uint8_t command, const nlohmann::json& req, nlohmann::json& out) {
    using nlohmann::json;
    switch (command) {
    case secproto::set_firewall_mapping: {
        if (!firewall_base_) return secproto::refused;
        auto region = req.find("region");
        auto owners = req.find("owners");
        if (region == req.end() || !region->is_string() || owners == req.end() || !owners->is_array() ||
            owners->size() > initiator_names_.size())
            return secproto::bad_request;
        const auto slot = std::find(firewall_regions_.begin(), firewall_regions_.end(), region->get<std::string>());
        if (slot == firewall_regions_.end()) return secproto::bad_request;
        std::uint32_t mask = 0;
        for (const auto& o : *owners) {
            if (!o.is_string()) return secproto::bad_request;
            const auto it = std::find(initiator_names_.begin(), initiator_names_.end(), o.get<std::string>());
            if (it == initiator_names_.end()) return secproto::bad_request;
            mask |= 1u << (it - initiator_names_.begin());
        }
        const auto index = static_cast<std::size_t>(slot - firewall_regions_.begin());
        // Nothing the security core owns may be taken from it (its firewall, engines, fuses,
        // mailbox buffers): the root of trust must never lose the means to do its job.
        std::uint32_t current = 0;
        if (bus_.read(firewall_base_ + Firewall::slot_owners(index), &current, 4, pending_) != tlm::TLM_OK_RESPONSE)
            return secproto::refused;
        const std::uint32_t self = 1u << bus_.who().id;
        if ((current & self) && !(mask & self)) return secproto::refused;
        if (bus_.write(firewall_base_ + Firewall::slot_owners(index), &mask, 4, pending_) != tlm::TLM_OK_RESPONSE)
            return secproto::refused;  // locked until reset
        sync();
        device_.emit(ev::sec_firewall_mapping_set, {{"region", *slot}, {"owners", *owners}, {"locked", false}});
        out = {{"region", *slot}, {"owners", *owners}};
        return secproto::ok;
    }
    case secproto::lock_firewall_mapping: {
        if (!firewall_base_) return secproto::refused;
        std::uint32_t ctrl = Firewall::CTRL_LOCK;
        if (bus_.write(firewall_base_ + Firewall::FW_CTRL, &ctrl, 4, pending_) != tlm::TLM_OK_RESPONSE) {
            // Already locked: the lock itself cannot be written again; that is the state asked for.
            std::uint32_t now = 0;
            bus_.read(firewall_base_ + Firewall::FW_CTRL, &now, 4, pending_);
            if (!(now & Firewall::CTRL_LOCK)) return secproto::refused;
        }
        sync();
        out = {{"locked", true}};
        return secproto::ok;
    }
    case secproto::advance_manufacturing_state: {
        auto to = req.find("to");
        if (to == req.end() || !to->is_string()) return secproto::bad_request;
        std::optional<ManufacturingState> target;
        for (auto st : {ManufacturingState::blank, ManufacturingState::module_complete, ManufacturingState::device_complete})
            if (to_string(st) == to->get<std::string>()) target = st;
        if (!target) return secproto::bad_request;
        const auto from = fuses_.manufacturing_state();
        // Fuses only ever move forward: asking for an earlier state is refused, the same is a no-op.
        if (static_cast<std::uint32_t>(*target) < static_cast<std::uint32_t>(from)) return secproto::refused;
        if (*target != from) {
            if (!fuses_.advance_manufacturing_state(*target)) return secproto::refused;
            // A complete device is locked against debuggers (the state's purpose).
            if (*target == ManufacturingState::device_complete) fuses_.lock_debug();
            device_.emit(ev::sec_manufacturing_advanced, {{"from", to_string(from)},
                                                          {"to", to_string(*target)},
                                                          {"debug_locked", fuses_.debug_locked()}});
        }
        out = {{"state", to_string(fuses_.manufacturing_state())}, {"debug_locked", fuses_.debug_locked()}};
        return secproto::ok;
    }
    default: return secproto::unknown_command;
    }
}

std::optional<protocol::Quote> SecuritySubsystem::clone_quote(ByteView nonce) const {
    if (!identity_key_ || nonce.size() != protocol::kNonceSize) return std::nullopt;
    protocol::Quote q;
    q.nonce = Bytes(nonce.begin(), nonce.end());
    q.device_key = identity_key_->public_key().raw();
    for (const auto& m : measurements_)
        q.measurements.push_back({static_cast<std::uint16_t>(m.type), m.stage, image::to_string(m.component),
                                  image::version_to_string(m.version), m.digest});
    q.signature = identity_key_->sign_digest(q.digest());
    return q;
}

}  // namespace svp

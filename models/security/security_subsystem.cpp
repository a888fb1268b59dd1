#include "models/security/security_subsystem.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/crypto/deterministic_random.h"
#include "common/protocol/attestation.h"
#include "common/util/log.h"
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

void SecuritySubsystem::charge(std::uint64_t cycles) { pending_ += clock_.cycles(cycles); }

void SecuritySubsystem::sync() {
    if (pending_ > sc_core::SC_ZERO_TIME) {
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
    out.resize(length);
    for (std::size_t done = 0; done < length; done += kFlashChunk) {
        const std::size_t n = std::min(kFlashChunk, length - done);
        if (bus_.read(address + done, out.data() + done, n, pending_) != tlm::TLM_OK_RESPONSE) return false;
        charge(((n + 63) / 64) * config_.costs.sha256_cycles_per_block);  // hashed as it streams in
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
        charge(config_.costs.ecdsa_verify_cycles);
        sync();
        auto result = boot::verify_stage(img, fuses_, req, {&faults_, &config_.defences});
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
    const auto cdi = crypto::hmac_sha256(ByteView(uds), ByteView(first_mutable_stage));
    const auto seed = crypto::hkdf_sha256(ByteView(cdi), as_bytes("spherevp-dice-v1"), as_bytes("device-identity"), 32);
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
        if (i == 0) derive_identity(m.digest);
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
                status = execute(secproto::command_id(word), request, response);
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
        charge(((n + 3) / 4) * config_.costs.trng_cycles_per_word);
        return reply({{"bytes", binary(device_.rng.bytes(n))}});
    }
    case secproto::sign_with_device_key: {
        if (!identity_key_) return secproto::not_ready;
        auto digest = get_binary("digest", 32);
        if (!digest) return secproto::bad_request;
        crypto::Digest d{};
        std::copy(digest->begin(), digest->end(), d.begin());
        charge(config_.costs.ecdsa_sign_cycles);
        auto sig = identity_key_->sign_digest(d);
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
        charge(config_.costs.sha256_cycles_per_block * 4 + config_.costs.ecdsa_sign_cycles);
        q.signature = identity_key_->sign_digest(q.digest());
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
            charge(config_.costs.ecdsa_verify_cycles);
            auto result = boot::verify_stage(img, fuses_, r);
            return reply({{"verified", result.passed}, {"reason", result.reason},
                          {"measurement", binary(ByteView(img.measurement()))}, {"size", img.image_size}});
        } catch (const image::ImageFormatError& e) {
            return reply({{"verified", false}, {"reason", image::to_string(e.code())}});
        }
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
        charge(config_.costs.ecdsa_verify_cycles);
        sync();
        boot::StageRequirements r{stage.type, config_.product, slot.size, stage.counter, !fuses_.debug_locked()};
        auto result = boot::verify_stage(img, fuses_, r, {&faults_, &config_.defences});
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
    default:
        return secproto::unknown_command;
    }
}

}  // namespace svp

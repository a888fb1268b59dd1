// The security subsystem (a Pluton-class block): the hardware root of trust. It has its own
// core on its own clock (modelled as a host-compiled runtime), its own bus identity ("sec",
// secure world), the e-fuses, a key vault no other initiator can address (keys live only in
// this object), and crypto engines whose cost per operation comes from the variant file.
//
// At power-on it runs its boot ROM: each stage of the boot chain is read from flash over the
// bus, hashed, checked by the named checks of boot_checks.h, measured; the device identity is
// derived DICE-style from the fuse secret and the first mutable stage; the fuse secret is
// latched; and only then is the app core released from reset. Afterwards it serves commands
// from the app core over the mailbox (sec_protocol.h).
#pragma once

#include "common/defences/defences.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/crypto/ec_key.h"
#include "common/image/image_format.h"
#include "common/protocol/attestation.h"
#include "models/base/bus_master.h"
#include "models/base/clock.h"
#include "models/base/device_context.h"
#include "models/base/irq.h"
#include "models/bus/nor_flash.h"
#include "models/security/boot_state.h"
#include "models/security/boot_checks.h"
#include "models/security/crypto_engine.h"
#include "models/security/efuses.h"

namespace svp {


// What the subsystem's core and crypto engines did since power-on, for metrics (the engine
// writes it at the end of a run as sim/counters). Cycles at the security core's clock.
struct SecurityActivity {
    std::uint64_t busy_cycles = 0;    // every cycle charged: command overhead and crypto work
    std::uint64_t crypto_cycles = 0;  // the share the crypto engines and TRNG worked
    std::uint64_t sha256_blocks = 0, ecdsa_verifies = 0, ecdsa_signs = 0, trng_words = 0;
    sc_core::sc_time active;  // time the core was not idle: work, memory and flash waits included
};

struct FlashSlot {
    std::string name;             // partition name from the variant ("os_a")
    std::uint64_t address = 0;    // as the security core sees it
    std::uint64_t size = 0;
    std::uint64_t app_core_address = 0;  // the same bytes as the app core sees them
};

struct BootStage {
    std::string name;  // "security-monitor", "os-kernel"
    image::ImageType type{};
    std::string counter;  // anti-rollback counter name in the fuses
    std::vector<FlashSlot> slots;  // tried in order: A, then B
};

// The peripheral firewall as the security core programs it for the OS (peripheral_assign,
// peripheral_lock), when the variant has one: where its registers are, the rule slot guarding
// each package pin (the GPIO block that drives it), and each core's initiator id.
struct FirewallControl {
    std::uint64_t address = 0;
    std::map<unsigned, std::size_t> pin_slots;
    // The slots of the function windows (ISU I2C/SPI/UART, ADC, PWM) in the 64 KiB block of
    // each pin's GPIO block: a named peripheral (not a single gpioN) takes these too.
    std::map<unsigned, std::vector<std::size_t>> pin_windows;
    std::map<std::string, std::uint16_t> core_ids;  // cores the OS may assign peripherals to
};

struct SecurityConfig {
    std::uint64_t clock_hz = 200'000'000;
    CryptoCosts costs;
    image::Guid product{};
    std::vector<BootStage> chain;         // ROM -> ... -> the stage the app core runs
    std::uint64_t mailbox_address = 0;    // our side of the app-core mailbox
    std::uint64_t max_request_bytes = 2048;
    std::optional<FlashSlot> boot_state;  // the boot-state journal's partition (A/B updates)
    DefenceSet defences;                  // all on, unless a test variant switched some off
    std::optional<FlashSlot> os_storage;  // the partition the OS may erase and program (storage_*)
    std::optional<FirewallControl> firewall;  // absent: peripheral_* are unknown commands
};

struct BootMeasurement {
    std::string stage, slot;
    image::ImageType type{};
    image::Guid component{};
    std::uint32_t version = 0;
    crypto::Digest digest{};
};

// What the app core is told when released: where its verified image is and what booted.
struct BootHandoff {
    std::string slot;
    std::uint64_t image_address = 0;  // app-core view
    std::uint64_t image_size = 0;
    std::uint32_t entry_point = 0;
    std::vector<BootMeasurement> measurements;
};

class SecuritySubsystem : public sc_core::sc_module {
public:
    SecuritySubsystem(sc_core::sc_module_name name, DeviceContext& device, SecurityConfig config,
                      BusInitiator who, IrqLine* mailbox_irq);

    BusMaster& bus() { return bus_; }
    // The crypto engine at `bus_base` (its DONE/ERROR interrupt on `irq`): from then on every
    // hash, HMAC, HKDF, signature and verification of the boot ROM and the command server runs
    // on it, so boot and update times follow the variant's engine costs. Without one the core
    // charges the same table's cycles and computes in software.
    void attach_crypto_engine(std::uint64_t bus_base, IrqLine* irq) {
        engine_base_ = bus_base;
        engine_irq_ = irq;
    }
    // The firewall's registers at `bus_base`, the region each rule slot guards and the
    // initiator names owner masks use (SET_FIREWALL_MAPPING), and its violation interrupt,
    // which this core listens to.
    void attach_firewall(std::uint64_t bus_base, std::vector<std::string> slot_regions,
                         std::vector<std::string> initiators, IrqLine* violation_irq) {
        firewall_base_ = bus_base;
        firewall_regions_ = std::move(slot_regions);
        initiator_names_ = std::move(initiators);
        firewall_irq_ = violation_irq;
        if (firewall_irq_) threads_.push_back(sc_core::sc_spawn([this] { firewall_watch(); }, "firewall_watch"));
    }
    // Firewall violations this core has taken the interrupt for since power-on.
    std::uint64_t firewall_violations_seen() const { return violations_seen_; }
    // The flash this subsystem programs (it owns the flash controller) and where the flash
    // appears on its bus.
    void attach_flash(NorFlash& flash, std::uint64_t bus_base) {
        flash_ = &flash;
        flash_base_ = bus_base;
    }
    // Restarts the subsystem as at power-on: its threads are killed (their stacks unwind) and
    // the boot ROM runs again. Call from a SystemC process (the platform's reset controller).
    void reset();
    // Asks the platform for a device reset (the DEVICE_RESET command; the platform wires it).
    void on_reset_request(std::function<void(const std::string& reason)> f) { reset_request_ = std::move(f); }
    EFuses& fuses() { return fuses_; }
    FaultInjector& faults() { return faults_; }
    // A debugger asks to attach through the debug port: allowed only while the debug-lock
    // fuse is unblown (B11). The answer is an event either way.
    bool attach_debugger(const std::string& core);
    // The debugger reads the device-secret fuse row: zeros once latched after boot (B11).
    crypto::Digest debugger_read_device_secret();
    const SecurityConfig& config() const { return config_; }
    // The product this device was manufactured for (provisioning): every stage must name it.
    void set_product(const image::Guid& product) { config_.product = product; }
    void on_release_app_core(std::function<void(const BootHandoff&)> f) { release_ = std::move(f); }

    // Public facts (what GET_SECURITY_STATE reveals), for tests and summaries.
    std::optional<crypto::RawPublicKey> device_public_key() const;
    const std::vector<BootMeasurement>& measurements() const { return measurements_; }
    bool booted() const { return booted_; }
    const std::optional<BootStateRecord>& boot_state() const { return boot_state_; }
    // The slot name stage `i` last booted from ("" before it booted).
    std::string booted_slot(std::size_t i) const {
        return booted_ && i < booted_slot_.size() ? config_.chain[i].slots[booted_slot_[i]].name : std::string();
    }
    std::uint64_t commands_served() const { return commands_served_; }

    // Scenario probes for the cloud attacks; no guest reaches them.
    // C2: the last quote this subsystem signed, as an attacker who recorded it would hold it.
    const std::optional<protocol::Quote>& last_signed_quote() const { return last_quote_; }
    // C4: a quote over `nonce` as a clone of this device signs it: a copy of its fuse secret
    // and images derives the same DICE identity key. None before the identity exists.
    std::optional<protocol::Quote> clone_quote(ByteView nonce) const;
    // Survives resets: counts everything the engines did during the run.
    const SecurityActivity& activity() const { return activity_; }

private:
    void start_threads();
    void firewall_watch();
    // ---- the crypto engine, driven over the bus (crypto_engine.h)
    bool has_engine() const { return engine_base_ != 0; }
    // Loads the buffers, starts `ctrl`, waits for DONE/ERROR; false on ERROR or a bus error.
    struct EngineResult {
        bool ok = false, valid = false;
        Bytes out;
    };
    EngineResult engine_run(std::uint32_t ctrl, ByteView in, ByteView key = {}, ByteView aux = {},
                            std::uint32_t out_len = 0);
    crypto::Digest engine_sha256(ByteView data);
    crypto::Digest engine_hmac(ByteView key, ByteView data);
    Bytes engine_hkdf(ByteView ikm, ByteView salt, ByteView info, std::size_t length);
    crypto::RawSignature engine_sign(const crypto::EcPrivateKey& key, const crypto::Digest& digest);
    bool engine_verify(const crypto::RawPublicKey& key, const crypto::Digest& digest, const crypto::RawSignature& sig);
    // The signature check the boot ROM and update path hand to boot::verify_stage.
    bool signature_valid(const image::ParsedImage& img);
    std::uint32_t execute_admin(std::uint8_t command, const nlohmann::json& request, nlohmann::json& out);
    void boot_rom();
    void command_server();
    // Boots one stage from the first slot of `order` (slot indices) that verifies.
    std::optional<std::pair<std::size_t, image::ParsedImage>> boot_stage(const BootStage& stage,
                                                                         const std::vector<std::size_t>& order, Bytes& storage);
    // Decides the slot order of each stage from the journal, recording test boots and reverts.
    std::vector<std::size_t> slot_order(std::size_t stage_index);
    std::optional<BootStateRecord> load_boot_state();
    bool store_boot_state(BootStateRecord record);
    bool flash_erase_range(std::uint64_t address, std::uint64_t length);
    bool flash_program(std::uint64_t address, ByteView bytes);
    [[noreturn]] void power_lost();
    std::uint32_t execute_update(std::uint8_t command, const nlohmann::json& request, nlohmann::json& out);
    bool read_flash(std::uint64_t address, std::size_t length, Bytes& out);        // hashed as it streams
    bool read_flash_plain(std::uint64_t address, std::size_t length, Bytes& out);  // no engine cost
    void derive_identity(const crypto::Digest& first_mutable_stage);
    void charge(std::uint64_t cycles);
    // Charges `count` operations of one engine at `cycles_each` and counts them.
    void charge_engine(std::uint64_t& operations, std::uint64_t count, std::uint64_t cycles_each);
    void sync();
    std::uint32_t mbox_read(std::uint32_t offset);
    void mbox_write(std::uint32_t offset, std::uint32_t value);
    // Handles one request; returns the status and fills `response` (CBOR bytes).
    std::uint32_t execute(std::uint8_t command, ByteView request, Bytes& response);

    DeviceContext& device_;
    SecurityConfig config_;
    ClockDomain clock_;
    BusMaster bus_;
    IrqLine* mailbox_irq_;
    EFuses fuses_;
    FaultInjector faults_;
    sc_core::sc_time pending_;  // local time not yet synchronised with the kernel

    // The key vault: the device identity key exists only here.
    std::optional<crypto::EcPrivateKey> identity_key_;
    std::vector<BootMeasurement> measurements_;
    std::optional<protocol::Quote> last_quote_;
    std::function<void(const BootHandoff&)> release_;
    std::function<void(const std::string&)> reset_request_;
    std::vector<sc_core::sc_process_handle> threads_;
    NorFlash* flash_ = nullptr;
    std::uint64_t flash_base_ = 0;
    std::optional<BootStateRecord> boot_state_;
    std::vector<std::size_t> booted_slot_;   // per stage, the slot index that booted
    std::vector<bool> test_boot_;            // per stage, booted its pending slot as a test
    struct Staging {
        std::size_t stage = 0, slot = 0;
        std::uint64_t size = 0, written = 0;
    };
    std::optional<Staging> staging_;
    sc_core::sc_event booted_event_;
    std::uint64_t engine_base_ = 0;
    IrqLine* engine_irq_ = nullptr;
    std::uint64_t firewall_base_ = 0;
    std::vector<std::string> firewall_regions_, initiator_names_;
    IrqLine* firewall_irq_ = nullptr;
    std::uint64_t violations_seen_ = 0;
    bool booted_ = false;
    std::uint64_t commands_served_ = 0;
    SecurityActivity activity_;
};

}  // namespace svp

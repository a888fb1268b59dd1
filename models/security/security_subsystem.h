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
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/crypto/ec_key.h"
#include "common/image/image_format.h"
#include "models/base/bus_master.h"
#include "models/base/clock.h"
#include "models/base/device_context.h"
#include "models/base/irq.h"
#include "models/bus/nor_flash.h"
#include "models/security/boot_state.h"
#include "models/security/boot_checks.h"
#include "models/security/efuses.h"

namespace svp {

struct CryptoCosts {
    std::uint64_t sha256_cycles_per_block = 80;   // one 64-byte block
    std::uint64_t ecdsa_verify_cycles = 1'200'000;
    std::uint64_t ecdsa_sign_cycles = 600'000;
    std::uint64_t trng_cycles_per_word = 40;
    std::uint64_t command_overhead_cycles = 2'000;  // decode, copy in and out
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

struct SecurityConfig {
    std::uint64_t clock_hz = 200'000'000;
    CryptoCosts costs;
    image::Guid product{};
    std::vector<BootStage> chain;         // ROM -> ... -> the stage the app core runs
    std::uint64_t mailbox_address = 0;    // our side of the app-core mailbox
    std::uint64_t max_request_bytes = 2048;
    std::optional<FlashSlot> boot_state;  // the boot-state journal's partition (A/B updates)
    DefenceSet defences;                  // all on, unless a test variant switched some off
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

private:
    void start_threads();
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
    bool booted_ = false;
    std::uint64_t commands_served_ = 0;
};

}  // namespace svp

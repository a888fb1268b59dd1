// The security subsystem on the assembled mt3620 device with its crypto engine: boot runs its
// hashing, key derivation and verification on the engine (the time is the variant's), the
// engine is the security core's alone (a refused access raises the firewall interrupt the
// security core takes), and the mailbox commands of issue 5 item 1, malformed ones included.
#include <catch2/catch.hpp>

#include "common/crypto/ec_key.h"
#include "tests/support/device_rig.h"

using namespace svp;
using nlohmann::json;
using sc_core::sc_time;

namespace {

constexpr std::uint64_t kEngine = 0x300B0000;

std::vector<const Event*> engine_ops(const EventLog& log, const std::string& op) {
    std::vector<const Event*> out;
    for (const auto& e : log.events())
        if (e.is(ev::sec_crypto_op_done) && e.fields.at("op") == op) out.push_back(&e);
    return out;
}

}  // namespace

TEST_CASE("boot hashes, derives and verifies on the crypto engine, at the variant's cycle costs") {
    test::DeviceRig rig;
    REQUIRE_RUNS([&] { rig.wait_for_boot(1); });
    const auto& costs = rig.device.variant().crypto;
    const ClockDomain clk(static_cast<std::uint64_t>(rig.device.variant().core("sec").clock_mhz * 1e6));
    // Two stages: two streamed hashes and two verifications, then the DICE HMAC and HKDF.
    const auto verifies = engine_ops(rig.ctx.log, "ecdsa-p256-verify");
    REQUIRE(verifies.size() == 2);
    for (const auto* v : verifies) {
        CHECK(v->fields.at("result") == "valid");
        CHECK(v->fields.at("cycles") == costs.engine_setup_cycles + costs.ecdsa_verify_cycles);
        CHECK(v->fields.at("busy_ns") == static_cast<std::uint64_t>(clk.cycles(costs.engine_setup_cycles + costs.ecdsa_verify_cycles).to_seconds() * 1e9 + 0.5));
    }
    CHECK(engine_ops(rig.ctx.log, "sha256").size() == 2);
    CHECK(engine_ops(rig.ctx.log, "hmac-sha256").size() == 1);
    CHECK(engine_ops(rig.ctx.log, "hkdf-sha256").size() == 1);
    // The app core is released only after the engine's work: two verifications at least.
    const auto* released = rig.ctx.log.first(ev::sec_boot_core_released);
    REQUIRE(released);
    CHECK(released->t_ns >= verifies.back()->t_ns);
    CHECK(sc_time(static_cast<double>(released->t_ns), sc_core::SC_NS) > clk.cycles(2 * costs.ecdsa_verify_cycles));
    // The identity the engine derived is the one the software derivation gives (same UDS, same stage).
    crypto::Digest uds{};
    uds[5] = 0x42;
    const auto cdi = crypto::hmac_sha256(ByteView(uds), ByteView(rig.boots.at(0).measurements.at(0).digest));
    const auto seed = crypto::hkdf_sha256(ByteView(cdi), as_bytes("spherevp-dice-v1"), as_bytes("device-identity"), 32);
    CHECK(rig.device.security().device_public_key() == crypto::EcPrivateKey::from_seed(seed).public_key().raw());
}

TEST_CASE("only the security core reaches the crypto engine: the app core is refused, and the security core takes the interrupt") {
    test::DeviceRig rig;
    std::vector<tlm::tlm_response_status> app;
    REQUIRE_RUNS([&] {
        rig.wait_for_boot(1);
        sc_time d;
        for (std::uint32_t offset : {CryptoEngine::CE_ID, CryptoEngine::CE_KEY, CryptoEngine::CE_OUT}) {
            std::uint32_t v = 0;
            app.push_back(rig.device.app_core().bus().read(kEngine + offset, &v, 4, d));
            CHECK(v == 0);
        }
        std::uint32_t start = CryptoEngine::ctrl(CryptoEngine::sha256, CryptoEngine::CTRL_INIT);
        app.push_back(rig.device.app_core().bus().write(kEngine + CryptoEngine::CE_CTRL, &start, 4, d));
        sc_core::wait(sc_time(100, sc_core::SC_US));
    });
    for (auto s : app) CHECK(s == tlm::TLM_GENERIC_ERROR_RESPONSE);
    CHECK(rig.device.firewall()->violations() == 4);
    // The security core listened: at least one interrupt taken, each an event naming the culprit.
    CHECK(rig.device.security().firewall_violations_seen() >= 1);
    const auto* seen = rig.ctx.log.first(ev::sec_firewall_violation_seen);
    REQUIRE(seen);
    CHECK(seen->fields.at("initiator") == "a7");
    CHECK(seen->fields.at("region") == "crypto");
    CHECK(seen->fields.at("address") == "0x300b0000");
}

TEST_CASE("commands: security state, device id, random bytes, sign a digest, verify an image") {
    test::DeviceRig rig;
    std::map<std::string, std::pair<std::uint32_t, json>> r;
    const auto digest = crypto::sha256(as_bytes("a message the OS wants signed"));
    REQUIRE_RUNS([&] {
        rig.wait_for_boot(1);
        r["state"] = rig.call(secproto::get_security_state);
        r["id"] = rig.call(secproto::get_device_id);
        r["rng"] = rig.call(secproto::read_rng, {{"count", 16}});
        r["sign"] = rig.call(secproto::sign_with_device_key, {{"digest", json::binary(Bytes(digest.begin(), digest.end()))}});
        r["verify"] = rig.call(secproto::verify_image, {{"address", rig.device.partition_address("os_a")},
                                                       {"type", static_cast<int>(image::ImageType::os_kernel)}});
        r["verify-sm-as-os"] = rig.call(secproto::verify_image, {{"address", rig.device.partition_address("sm_a")},
                                                                {"type", static_cast<int>(image::ImageType::os_kernel)}});
    });
    for (const auto& [name, answer] : r) {
        INFO(name);
        CHECK(answer.first == secproto::ok);
    }
    CHECK(r["state"].second["manufacturing_state"] == "device-complete");
    CHECK(r["state"].second["debug_locked"] == true);
    CHECK(r["rng"].second["bytes"].get_binary().size() == 16);
    // The signature made on the engine verifies with OpenSSL against the device key.
    const auto& key = r["id"].second["device_key"].get_binary();
    const auto& sig = r["sign"].second["signature"].get_binary();
    REQUIRE(sig.size() == 64);
    crypto::RawSignature raw{};
    std::copy(sig.begin(), sig.end(), raw.begin());
    CHECK(crypto::EcPublicKey::from_raw(ByteView(key.data(), key.size())).verify_digest(digest, raw));
    CHECK(r["verify"].second["verified"] == true);
    CHECK(r["verify-sm-as-os"].second["verified"] == false);
    CHECK(r["verify-sm-as-os"].second["reason"] == "wrong-image-type");
    CHECK(engine_ops(rig.ctx.log, "ecdsa-p256-sign").size() == 1);
}

TEST_CASE("SET/LOCK_FIREWALL_MAPPING: owners change until the lock, never away from the security core, and malformed requests get error codes") {
    test::DeviceRig rig;
    std::vector<std::pair<std::string, std::uint32_t>> got;
    REQUIRE_RUNS([&] {
        rig.wait_for_boot(1);
        auto call = [&](const std::string& what, secproto::Command c, const json& req) {
            got.emplace_back(what, rig.call(c, req).first);
        };
        call("give uart_isu1 to rt0", secproto::set_firewall_mapping, {{"region", "uart_isu1"}, {"owners", {"rt0"}}});
        call("no region", secproto::set_firewall_mapping, {{"owners", {"rt0"}}});
        call("unknown region", secproto::set_firewall_mapping, {{"region", "nowhere"}, {"owners", {"rt0"}}});
        call("unknown initiator", secproto::set_firewall_mapping, {{"region", "uart_isu1"}, {"owners", {"mallory"}}});
        call("owners not a list", secproto::set_firewall_mapping, {{"region", "uart_isu1"}, {"owners", "rt0"}});
        call("owner not a name", secproto::set_firewall_mapping, {{"region", "uart_isu1"}, {"owners", {7}}});
        call("take the engine from sec", secproto::set_firewall_mapping, {{"region", "crypto"}, {"owners", {"a7"}}});
        call("take the fuses from sec", secproto::set_firewall_mapping, {{"region", "efuse"}, {"owners", json::array()}});
        call("lock", secproto::lock_firewall_mapping, json::object());
        call("set after lock", secproto::set_firewall_mapping, {{"region", "uart_isu1"}, {"owners", {"a7"}}});
        call("lock again", secproto::lock_firewall_mapping, json::object());
    });
    std::map<std::string, std::uint32_t> want = {
        {"give uart_isu1 to rt0", secproto::ok}, {"no region", secproto::bad_request},
        {"unknown region", secproto::bad_request}, {"unknown initiator", secproto::bad_request},
        {"owners not a list", secproto::bad_request}, {"owner not a name", secproto::bad_request},
        {"take the engine from sec", secproto::refused}, {"take the fuses from sec", secproto::refused},
        {"lock", secproto::ok}, {"set after lock", secproto::refused}, {"lock again", secproto::ok}};
    REQUIRE(got.size() == want.size());
    for (const auto& [what, status] : got) {
        INFO(what);
        CHECK(secproto::status_name(status) == secproto::status_name(want.at(what)));
    }
    auto& fw = *rig.device.firewall();
    CHECK(fw.locked());
    for (std::size_t i = 0; i < fw.slots(); ++i) {
        const auto rule = fw.rule(i);
        if (rule.region == "uart_isu1") CHECK(rule.owners == 1u << rig.device.initiator("rt0").id);
        if (rule.region == "crypto") CHECK(rule.owners == 1u << rig.device.initiator("sec").id);
    }
    CHECK(rig.ctx.log.count(ev::sec_firewall_mapping_set) == 1);
    CHECK(rig.ctx.log.count(ev::firewall_locked) == 1);
}

TEST_CASE("ADVANCE_MANUFACTURING_STATE moves forward only, and device-complete locks the debug port") {
    test::DeviceRig rig(1, [](Provisioning& p) {
        p.manufacturing = ManufacturingState::blank;
        p.debug_locked = false;
    });
    std::vector<std::pair<std::uint32_t, json>> got;
    bool attach_before = false, attach_after = true;
    REQUIRE_RUNS([&] {
        rig.wait_for_boot(1);
        attach_before = rig.device.security().attach_debugger("a7");
        got.push_back(rig.call(secproto::advance_manufacturing_state, {{"to", "module-complete"}}));
        got.push_back(rig.call(secproto::advance_manufacturing_state, {{"to", "blank"}}));
        got.push_back(rig.call(secproto::advance_manufacturing_state, {{"to", "finished"}}));
        got.push_back(rig.call(secproto::advance_manufacturing_state, {{"to", 3}}));
        got.push_back(rig.call(secproto::advance_manufacturing_state, json::object()));
        got.push_back(rig.call(secproto::advance_manufacturing_state, {{"to", "device-complete"}}));
        got.push_back(rig.call(secproto::advance_manufacturing_state, {{"to", "module-complete"}}));
        got.push_back(rig.call(secproto::advance_manufacturing_state, {{"to", "device-complete"}}));
        got.push_back(rig.call(secproto::get_security_state));
        attach_after = rig.device.security().attach_debugger("a7");
    });
    REQUIRE(got.size() == 9);
    CHECK(got[0].first == secproto::ok);
    CHECK(got[0].second["state"] == "module-complete");
    CHECK(got[0].second["debug_locked"] == false);
    CHECK(got[1].first == secproto::refused);      // fuses never go back
    CHECK(got[2].first == secproto::bad_request);  // no such state
    CHECK(got[3].first == secproto::bad_request);
    CHECK(got[4].first == secproto::bad_request);
    CHECK(got[5].first == secproto::ok);
    CHECK(got[5].second["state"] == "device-complete");
    CHECK(got[5].second["debug_locked"] == true);
    CHECK(got[6].first == secproto::refused);
    CHECK(got[7].first == secproto::ok);           // already there: nothing to burn
    CHECK(got[8].second["manufacturing_state"] == "device-complete");
    CHECK(attach_before);
    CHECK_FALSE(attach_after);
    CHECK(rig.device.security().fuses().manufacturing_state() == ManufacturingState::device_complete);
    CHECK(rig.ctx.log.count(ev::sec_manufacturing_advanced) == 2);
}

TEST_CASE("the e-fuses live in the OTP block: what the factory burns is in its rows, bits only set, locked rows refuse, the secret latches") {
    test::DeviceRig rig;
    auto& otp = *rig.device.otp();
    auto& fuses = rig.device.security().fuses();
    REQUIRE(fuses.backed());
    // Provisioned through EFuses, present in the block's rows.
    CHECK(otp.read_row("uds")[5] == 0x42);
    const auto key_id = rig.root.public_key().key_id();
    const auto keys = otp.read_row("root_keys");
    CHECK(Bytes(keys.begin(), keys.begin() + 32) == Bytes(key_id.begin(), key_id.end()));
    CHECK((otp.word(otp.row("config").first_word) & 0x3) == 0x3);  // debug lock, secure boot
    CHECK(((otp.word(otp.row("config").first_word) >> 8) & 3) == 3);  // device-complete
    CHECK(otp.word(otp.row("counters").first_word) == 0x1);         // os-kernel at 1, thermometer-coded
    // Bits blown in the block directly are what EFuses reads: the block is the only copy.
    REQUIRE(fuses.advance_counter("apps", 1));  // the next counter slot: words 2 and 3 of the row
    CHECK(otp.word(otp.row("counters").first_word + 2) == 0x1);
    REQUIRE(otp.program(otp.row("counters").first_word + 2, 0x6));
    CHECK(fuses.counter("apps") == 3);
    CHECK(fuses.advance_counter("apps", 2));  // lower: no bit changes, the value stays 3
    CHECK(fuses.counter("apps") == 3);
    fuses.revoke_root_key(2);
    CHECK(otp.word(otp.row("revocation").first_word) == 1u << 2);
    CHECK(fuses.root_key_revoked(2));
    // A locked row refuses programming through EFuses too.
    otp.lock_row("root_keys");
    crypto::Digest other{};
    other[0] = 0x80;
    CHECK_FALSE(fuses.program_root_key(1, other));
    CHECK(fuses.root_keys()[1] == crypto::Digest{});
    // Boot latches the secret in the block: after it, nobody reads the uds row, the security core included.
    std::uint32_t word = 0xFFFFFFFF;
    tlm::tlm_response_status sec_read{};
    std::uint64_t otp_base = 0;
    for (const auto& p : rig.device.variant().peripherals)
        if (p.kind == "otp") otp_base = p.windows.front().base;
    REQUIRE_RUNS([&] {
        rig.wait_for_boot(1);
        sc_time d;
        sec_read = rig.device.security().bus().read(otp_base + OtpFuses::OTP_DATA + 4 * otp.row("uds").first_word, &word, 4, d);
    });
    CHECK(otp.latched());
    CHECK(fuses.device_secret_latched());
    CHECK(fuses.read_device_secret() == crypto::Digest{});
    CHECK(sec_read != tlm::TLM_OK_RESPONSE);
    CHECK(word == 0xFFFFFFFF);
}

TEST_CASE("an engine the security core cannot reach fails closed: commands are refused, images do not verify, nothing crashes") {
    test::DeviceRig rig;
    // A glitch-like misconfiguration no command can make: the engine's rule loses the security core.
    BusMaster sec_probe("sec_probe", rig.device.initiator("sec"));
    sec_probe.socket.bind(rig.device.router().from_initiators);
    std::size_t slot = 0;
    for (std::size_t i = 0; i < rig.device.firewall()->slots(); ++i)
        if (rig.device.firewall()->rule(i).region == "crypto") slot = i;
    std::pair<std::uint32_t, json> sign, verify, id;
    const auto digest = crypto::sha256(as_bytes("x"));
    REQUIRE_RUNS([&] {
        rig.wait_for_boot(1);
        std::uint32_t a7_only = 1u << rig.device.initiator("a7").id;
        sc_time d;
        REQUIRE(sec_probe.write(0x30000000 + Firewall::slot_owners(slot), &a7_only, 4, d) == tlm::TLM_OK_RESPONSE);
        sign = rig.call(secproto::sign_with_device_key, {{"digest", json::binary(Bytes(digest.begin(), digest.end()))}});
        verify = rig.call(secproto::verify_image, {{"address", rig.device.partition_address("os_a")},
                                                   {"type", static_cast<int>(image::ImageType::os_kernel)}});
        id = rig.call(secproto::get_device_id);
    });
    CHECK(sign.first == secproto::refused);
    CHECK(verify.first == secproto::ok);
    CHECK(verify.second["verified"] == false);
    CHECK(verify.second["reason"] == "bad-signature");
    CHECK(id.first == secproto::ok);  // the server keeps serving
}

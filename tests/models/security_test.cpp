// The security subsystem: e-fuse semantics, each named boot check's refusal, and the whole
// boot ROM plus command server on the mt3620 variant, with attestation quotes checked by an
// independent `openssl` verification rather than by the code that made them.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/protocol/attestation.h"
#include "models/periph/mailbox.h"
#include "models/security/boot_checks.h"
#include "models/security/sec_protocol.h"
#include "platform/device.h"
#include "tests/support/sec_mailbox.h"
#include "tests/support/sim.h"

using namespace svp;

namespace {

image::ImageHeader header(image::ImageType type, std::uint32_t counter) {
    image::ImageHeader h;
    h.type = type;
    h.component_id = image::guid_from_string("3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f101");
    h.product_id = image::guid_from_string("7e1c0d4a-5b2f-4c3e-9a61-0f5d2b8c9e01");
    h.version = image::version_from_string("1.0.0");
    h.security_counter = counter;
    return h;
}

Bytes signed_image(image::ImageType type, std::uint32_t counter, const crypto::EcPrivateKey& key,
                   std::size_t payload = 1000) {
    return image::sign_image(image::pack_image(header(type, counter), Bytes(payload, 0x11), ""), key);
}

boot::StageRequirements os_stage() {
    return {image::ImageType::os_kernel, image::guid_from_string("7e1c0d4a-5b2f-4c3e-9a61-0f5d2b8c9e01"), 2 << 20,
            "os-kernel", true};
}

}  // namespace

TEST_CASE("e-fuse bits can only be set: counters go up, never down, the secret latches") {
    EFuses f;
    crypto::Digest secret{};
    secret[0] = 0x0F;
    CHECK(f.program_device_secret(secret));
    crypto::Digest other{};
    other[0] = 0xF0;  // would need bits 0..3 cleared: impossible
    CHECK_FALSE(f.program_device_secret(other));
    CHECK(f.read_device_secret()[0] == 0x0F);
    f.advance_counter("os", 3);
    f.advance_counter("os", 1);  // lower: no effect
    CHECK(f.counter("os") == 3);
    CHECK_FALSE(f.advance_counter("os", 65));
    f.latch_device_secret();
    CHECK(f.read_device_secret() == crypto::Digest{});
    CHECK(f.advance_manufacturing_state(ManufacturingState::module_complete));
    CHECK(f.advance_manufacturing_state(ManufacturingState::device_complete));
    CHECK_FALSE(f.advance_manufacturing_state(ManufacturingState::module_complete));
    CHECK(f.manufacturing_state() == ManufacturingState::device_complete);
}

TEST_CASE("every boot check refuses with its own reason") {
    auto root = crypto::EcPrivateKey::generate();
    auto rogue = crypto::EcPrivateKey::generate();
    EFuses fuses;
    fuses.program_root_key(0, root.public_key().key_id());
    fuses.advance_counter("os-kernel", 2);
    auto req = os_stage();
    auto verdict = [&](const Bytes& b, const EFuses& f, const boot::StageRequirements& r) {
        return boot::verify_stage(image::parse_image(b), f, r);
    };
    CHECK(verdict(signed_image(image::ImageType::os_kernel, 2, root), fuses, req).passed);
    CHECK(verdict(signed_image(image::ImageType::os_kernel, 2, rogue), fuses, req).reason == "unknown-key");
    CHECK(verdict(signed_image(image::ImageType::os_kernel, 1, root), fuses, req).reason == "rollback");
    CHECK(verdict(signed_image(image::ImageType::application, 2, root), fuses, req).reason == "wrong-image-type");
    auto big = req;
    big.slot_size = 500;
    CHECK(verdict(signed_image(image::ImageType::os_kernel, 2, root), fuses, big).reason == "too-large");
    auto other_product = req;
    other_product.product = image::guid_from_string("00000000-0000-4000-8000-000000000001");
    CHECK(verdict(signed_image(image::ImageType::os_kernel, 2, root), fuses, other_product).reason == "wrong-product");
    auto tampered = signed_image(image::ImageType::os_kernel, 2, root);
    tampered[image::kHeaderSize + 10] ^= 1;
    CHECK(verdict(tampered, fuses, req).reason == "bad-signature");
    EFuses revoked = fuses;
    revoked.revoke_root_key(0);
    CHECK(verdict(signed_image(image::ImageType::os_kernel, 2, root), revoked, req).reason == "revoked-key");
    auto locked = req;
    locked.allow_development = false;
    auto h = header(image::ImageType::os_kernel, 2);
    h.flags = image::flag_development;
    CHECK(verdict(image::sign_image(image::pack_image(h, Bytes(10), ""), root), fuses, locked).reason == "development-image");
}

namespace {

// The mt3620 variant with a valid chain in flash, and a test initiator on the app core's bus.
struct Booted {
    test::SimContext ctx;
    HostBridge bridge;
    Device device{"dev0", load_variant(find_variant("mt3620")), ctx.device, bridge};
    crypto::EcPrivateKey root = crypto::EcPrivateKey::generate();
    std::optional<BootHandoff> handoff;

    Booted() {
        Provisioning p;
        p.device_secret[5] = 0x42;
        p.root_keys = {root.public_key().key_id()};
        p.partitions["sm_a"] = signed_image(image::ImageType::security_monitor, 0, root);
        p.partitions["os_a"] = signed_image(image::ImageType::os_kernel, 0, root);
        device.provision(p);
        device.app_core().set_os_entry([this](AppCore&, const BootHandoff& h) { handoff = h; });
    }

    // A mailbox command from the app core, as its driver would send it.
    std::pair<std::uint32_t, nlohmann::json> call(secproto::Command cmd, const nlohmann::json& request) {
        return test::sec_mailbox_call(device.app_core().bus(), cmd, 1, request);
    }
};

}  // namespace

TEST_CASE("the boot ROM verifies the chain, derives the identity, latches the secret, then releases the app core") {
    Booted b;
    test::run_for(sc_core::sc_time(1, sc_core::SC_SEC));
    REQUIRE(b.handoff.has_value());
    CHECK(b.handoff->slot == "os_a");
    CHECK(b.handoff->measurements.size() == 2);
    CHECK(b.ctx.log.count(ev::sec_boot_image_verified) == 2);
    CHECK(b.device.security().fuses().device_secret_latched());
    const auto* released = b.ctx.log.first(ev::sec_boot_core_released);
    const auto* latched = b.ctx.log.first(ev::sec_fuse_secret_latched);
    REQUIRE(released);
    REQUIRE(latched);
    CHECK(latched->t_ns <= released->t_ns);
    // Verification costs simulated time: ECDSA at 1.2 M cycles on a 200 MHz core is 6 ms a stage.
    CHECK(released->t_ns > 12'000'000);
}

TEST_CASE("a tampered OS slot with an empty B slot halts boot without releasing the app core") {
    Booted b;
    b.device.flash().tamper(b.device.variant().partition("os_a").offset + 500, Bytes{0x00});
    test::run_for(sc_core::sc_time(1, sc_core::SC_SEC));
    CHECK_FALSE(b.handoff.has_value());
    REQUIRE(b.ctx.log.count(ev::sec_boot_image_rejected) == 2);
    CHECK(b.ctx.log.events()[std::size_t(0)].src == "bus.flash");
    const auto* halted = b.ctx.log.first(ev::sec_boot_halted);
    REQUIRE(halted);
    CHECK(halted->field("stage") == "os-kernel");
}

TEST_CASE("the same fuse secret and first stage give the same identity, another secret does not") {
    Booted a;
    test::run_for(sc_core::sc_time(1, sc_core::SC_SEC));
    auto key = a.device.security().device_public_key();
    REQUIRE(key.has_value());
    // Re-derive independently: CDI = HMAC(UDS, measurement of the security monitor).
    crypto::Digest uds{};
    uds[5] = 0x42;
    auto cdi = crypto::hmac_sha256(ByteView(uds), ByteView(a.handoff->measurements[0].digest));
    auto seed = crypto::hkdf_sha256(ByteView(cdi), as_bytes("spherevp-dice-v1"), as_bytes("device-identity"), 32);
    CHECK(crypto::EcPrivateKey::from_seed(seed).public_key().raw() == *key);
}

TEST_CASE("an attestation quote verifies with the openssl tool against the device key") {
    Booted b;
    std::pair<std::uint32_t, nlohmann::json> reply;
    Bytes nonce(32, 0x5A);
    REQUIRE_RUNS([&] {
        while (!b.handoff) sc_core::wait(sc_core::sc_time(1, sc_core::SC_MS));
        reply = b.call(secproto::process_attestation,
                       {{"nonce", nlohmann::json::binary(std::vector<std::uint8_t>(nonce.begin(), nonce.end()))}});
    });
    REQUIRE(reply.first == secproto::ok);
    protocol::Quote q;
    q.nonce = nonce;
    auto dk = reply.second["device_key"].get_binary();
    std::copy(dk.begin(), dk.end(), q.device_key.begin());
    for (const auto& m : reply.second["measurements"]) {
        protocol::Measurement x;
        x.image_type = m["type"].get<std::uint16_t>();
        auto d = m["digest"].get_binary();
        std::copy(d.begin(), d.end(), x.digest.begin());
        q.measurements.push_back(x);
    }
    CHECK(q.measurements.size() == 2);
    auto sig = reply.second["signature"].get_binary();
    crypto::RawSignature raw{};
    std::copy(sig.begin(), sig.end(), raw.begin());

    namespace fs = std::filesystem;
    auto dir = fs::temp_directory_path() / ("svp-quote-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    write_file(dir / "tbs", q.to_be_signed());
    write_file(dir / "sig", crypto::signature_to_der(raw));
    write_file(dir / "pub.pem", as_bytes(crypto::EcPublicKey::from_raw(ByteView(q.device_key)).pem()));
    const auto verify = "openssl dgst -sha256 -verify " + (dir / "pub.pem").string() + " -signature " +
                        (dir / "sig").string() + " " + (dir / "tbs").string() + " >/dev/null 2>&1";
    CHECK(std::system(verify.c_str()) == 0);
    write_file(dir / "tbs", Bytes(q.to_be_signed().size(), 0));  // and a different message fails
    CHECK(std::system(verify.c_str()) != 0);
    fs::remove_all(dir);
}

TEST_CASE("malformed and unknown commands get error codes, and the server keeps serving") {
    Booted b;
    std::vector<std::uint32_t> statuses;
    REQUIRE_RUNS([&] {
        while (!b.handoff) sc_core::wait(sc_core::sc_time(1, sc_core::SC_MS));
        statuses.push_back(b.call(static_cast<secproto::Command>(0x99), nlohmann::json::object()).first);
        statuses.push_back(b.call(secproto::sign_with_device_key, {{"digest", "not binary"}}).first);
        statuses.push_back(b.call(secproto::read_rng, {{"count", 100000}}).first);
        statuses.push_back(b.call(secproto::get_device_id, nlohmann::json::object()).first);
    });
    REQUIRE(statuses.size() == 4);
    CHECK(statuses[0] == secproto::unknown_command);
    CHECK(statuses[1] == secproto::bad_request);
    CHECK(statuses[2] == secproto::bad_request);
    CHECK(statuses[3] == secproto::ok);
}

// A/B updates through the security subsystem: staging into the inactive slot, verification
// at commit, the test boot, confirmation, automatic revert, and the anti-rollback fuse that
// moves only on confirmation (SCENARIOS.md U1-U3, B1, B2, B5; MCUboot test/confirm/revert).
#include <catch2/catch.hpp>

#include "models/security/boot_state.h"
#include "tests/support/device_rig.h"

using namespace svp;
using test::DeviceRig;

namespace {
std::size_t count(const DeviceRig& r, const EventType& t) { return r.ctx.log.count(t); }
const Event* last(const DeviceRig& r, const EventType& t) {
    const Event* found = nullptr;
    for (const auto& e : r.ctx.log.events())
        if (e.is(t)) found = &e;
    return found;
}
}  // namespace

TEST_CASE("the boot-state journal survives torn records and alternates sectors") {
    const std::uint64_t sector = 4096;
    Bytes partition(2 * sector, 0xFF);
    auto pos = scan_journal(partition, sector);
    CHECK_FALSE(pos.latest.has_value());
    CHECK(pos.next_offset == 0);
    BootStateRecord r;
    for (std::uint32_t seq = 1; seq <= 64; ++seq) {  // exactly one sector of records
        r.sequence = seq;
        r.stages[1].confirmed = static_cast<std::uint8_t>(seq % 2);
        auto bytes = r.encode();
        pos = scan_journal(partition, sector);
        std::copy(bytes.begin(), bytes.end(), partition.begin() + static_cast<std::ptrdiff_t>(pos.next_offset));
    }
    pos = scan_journal(partition, sector);
    REQUIRE(pos.latest);
    CHECK(pos.latest->sequence == 64);
    CHECK(pos.next_offset == sector);  // full: the other sector is next, after an erase
    CHECK(pos.needs_erase == false);   // it is still erased from the factory
    // A torn record (half its bytes programmed) is ignored; the previous one stays the latest,
    // and the half-written sector is erased before it is used.
    r.sequence = 65;
    auto torn = r.encode();
    std::fill(torn.begin() + 32, torn.end(), 0xFF);
    std::copy(torn.begin(), torn.end(), partition.begin() + static_cast<std::ptrdiff_t>(sector));
    pos = scan_journal(partition, sector);
    CHECK(pos.latest->sequence == 64);
    CHECK(pos.next_offset == sector);
    CHECK(pos.needs_erase);
}

TEST_CASE("an update installs into the inactive slot, test-boots, is confirmed, and then the fuse moves") {
    DeviceRig r;
    REQUIRE_RUNS([&] {
        r.wait_for_boot(1);
        CHECK(r.boots[0].slot == "os_a");
        auto answer = r.install("os-kernel", test::make_image(image::ImageType::os_kernel, "2.0.0", 2, r.root));
        CHECK(answer.value("verified", false));
        CHECK(answer.value("slot", "") == "os_b");
        CHECK(r.device.security().fuses().counter("os-kernel") == 1);
        r.reset_device();
        CHECK(r.boots[1].slot == "os_b");
        CHECK(count(r, ev::sec_update_test_boot) == 1);
        CHECK(r.device.security().fuses().counter("os-kernel") == 1);  // not before confirmation
        CHECK(r.call(secproto::confirm_boot).first == secproto::ok);
        CHECK(count(r, ev::sec_update_confirmed) == 1);
        CHECK(r.device.security().fuses().counter("os-kernel") == 2);
        // U3: a confirmed image is never reverted.
        r.reset_device();
        CHECK(r.boots[2].slot == "os_b");
        CHECK(count(r, ev::sec_update_reverted) == 0);
        auto info = r.call(secproto::rollback_info).second;
        CHECK(info["stages"][1]["confirmed"] == "os_b");
        CHECK(info["stages"][1]["pending"].is_null());
    });
    CHECK(r.device.resets() == 2);
}

TEST_CASE("an image that is never confirmed is reverted at the next reset (U2)") {
    DeviceRig r;
    REQUIRE_RUNS([&] {
        r.wait_for_boot(1);
        REQUIRE(r.install("os-kernel", test::make_image(image::ImageType::os_kernel, "2.0.0", 2, r.root)).value("verified", false));
        r.reset_device();
        CHECK(r.boots[1].slot == "os_b");  // the test boot
        r.reset_device();  // crashed before confirming
        CHECK(r.boots[2].slot == "os_a");
        REQUIRE(last(r, ev::sec_update_reverted));
        CHECK(last(r, ev::sec_update_reverted)->field("slot") == "os_b");
        CHECK(r.device.security().fuses().counter("os-kernel") == 1);
    });
}

TEST_CASE("a staged image that fails a check is refused with its reason and erased (B1, B2, B5)") {
    DeviceRig r(/*os_counter=*/3);
    auto rogue = crypto::EcPrivateKey::generate();
    REQUIRE_RUNS([&] {
        r.wait_for_boot(1);
        auto tampered = test::make_image(image::ImageType::os_kernel, "4.0.0", 4, r.root);
        tampered[image::kHeaderSize + 7] ^= 0x20;
        CHECK(r.install("os-kernel", tampered).value("reason", "") == "bad-signature");
        CHECK(r.install("os-kernel", test::make_image(image::ImageType::os_kernel, "4.0.0", 4, rogue)).value("reason", "") == "unknown-key");
        CHECK(r.install("os-kernel", test::make_image(image::ImageType::os_kernel, "2.0.0", 2, r.root)).value("reason", "") == "rollback");
        CHECK(r.install("os-kernel", test::make_image(image::ImageType::application, "4.0.0", 4, r.root)).value("reason", "") == "wrong-image-type");
        // The refused copy is gone from the inactive slot, and the device still boots the old one.
        const auto& v = r.device.variant();
        CHECK(r.device.flash().dump(v.partition("os_b").offset, 16) == Bytes(16, 0xFF));
        r.reset_device();
        CHECK(r.boots[1].slot == "os_a");
    });
    CHECK(count(r, ev::sec_update_rejected) == 4);
    CHECK(r.device.security().fuses().counter("os-kernel") == 3);
}

TEST_CASE("staging refuses writes past the announced size and images larger than the slot (B6)") {
    DeviceRig r;
    REQUIRE_RUNS([&] {
        r.wait_for_boot(1);
        const auto slot_size = r.device.variant().partition("os_b").size;
        CHECK(r.call(secproto::stage_begin, {{"stage", "os-kernel"}, {"size", slot_size + 1}}).first == secproto::refused);
        CHECK(r.call(secproto::stage_begin, {{"stage", "os-kernel"}, {"size", 100}}).first == secproto::ok);
        CHECK(r.call(secproto::stage_write, {{"offset", 90}, {"data", nlohmann::json::binary(std::vector<std::uint8_t>(20, 1))}}).first ==
              secproto::refused);
        CHECK(r.call(secproto::stage_begin, {{"stage", "no-such-stage"}, {"size", 100}}).first == secproto::bad_request);
    });
}

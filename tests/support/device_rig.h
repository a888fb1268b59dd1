// A device built from the mt3620 variant, provisioned with a signed boot chain, with a stand-in
// for the OS: each time the app core is released the hand-off is recorded, and the test body
// talks to the security subsystem over the app core's mailbox exactly as the OS driver does.
#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/periph/mailbox.h"
#include "models/security/sec_protocol.h"
#include "platform/device.h"
#include "tests/support/sim.h"

namespace svp::test {

inline const char* kProduct = "7e1c0d4a-5b2f-4c3e-9a61-0f5d2b8c9e01";

inline Bytes make_image(image::ImageType type, const std::string& version, std::uint32_t counter,
                        const crypto::EcPrivateKey& key, std::size_t payload = 1000) {
    image::ImageHeader h;
    h.type = type;
    h.component_id = image::guid_from_string(type == image::ImageType::os_kernel ? "3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f102"
                                                                                 : "3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f101");
    h.product_id = image::guid_from_string(kProduct);
    h.version = image::version_from_string(version);
    h.security_counter = counter;
    return image::sign_image(image::pack_image(h, Bytes(payload, static_cast<std::uint8_t>(counter + 0x10)), ""), key);
}

struct DeviceRig {
    SimContext ctx;
    HostBridge bridge;
    Device device{"dev0", load_variant(find_variant("mt3620")), ctx.device, bridge};
    crypto::EcPrivateKey root = crypto::EcPrivateKey::generate();
    std::vector<BootHandoff> boots;
    sc_core::sc_event released;

    explicit DeviceRig(std::uint32_t os_counter = 1) {
        Provisioning p;
        p.device_secret[5] = 0x42;
        p.root_keys = {root.public_key().key_id()};
        p.product = image::guid_from_string(kProduct);
        p.counters = {{"os-kernel", os_counter}};
        p.partitions["sm_a"] = make_image(image::ImageType::security_monitor, "1.0.0", 0, root);
        p.partitions["os_a"] = make_image(image::ImageType::os_kernel, "1.0.0", os_counter, root);
        device.provision(p);
        device.app_core().set_os_entry([this](AppCore&, const BootHandoff& h) {
            boots.push_back(h);
            released.notify(sc_core::SC_ZERO_TIME);
        });
    }

    // Waits (in a test thread) until the app core has been released `n` times in all.
    void wait_for_boot(std::size_t n) {
        while (boots.size() < n) sc_core::wait(released);
    }

    // The status `call` returns when the device reset (a power cut, the watchdog) before answering.
    static constexpr std::uint32_t kAbandoned = 0xFFFFFFFFu;

    // One mailbox command from the app core, as the OS's security driver sends it.
    std::pair<std::uint32_t, nlohmann::json> call(secproto::Command cmd, const nlohmann::json& request = nlohmann::json::object()) {
        auto& bus = device.app_core().bus();
        const std::uint64_t mbox = 0x31000000, buffer = 0x80300000;
        sc_core::sc_time d;
        const auto cbor = nlohmann::json::to_cbor(request);
        const auto length = static_cast<std::uint32_t>(cbor.size());
        bus.write(buffer, &length, 4, d);
        bus.write(buffer + 4, cbor.data(), cbor.size(), d);
        const std::uint32_t word = secproto::command_word(cmd, ++seq), addr = static_cast<std::uint32_t>(buffer);
        bus.write(mbox + MailboxSide::DATA_PUSH, &addr, 4, d);
        bus.write(mbox + MailboxSide::CMD_PUSH, &word, 4, d);
        const auto boots_before = boots.size();
        std::uint32_t count = 0;
        while (count == 0) {
            sc_core::wait(sc_core::sc_time(10, sc_core::SC_US));
            if (boots.size() != boots_before) return {kAbandoned, nullptr};
            bus.read(mbox + MailboxSide::FIFO_POP_CNT, &count, 4, d);
        }
        std::uint32_t popped = 0, header[2] = {};
        bus.read(mbox + MailboxSide::CMD_POP, &popped, 4, d);
        bus.read(buffer, header, 8, d);
        std::vector<std::uint8_t> body(header[1]);
        if (!body.empty()) bus.read(buffer + 8, body.data(), body.size(), d);
        return {header[0], body.empty() ? nlohmann::json() : nlohmann::json::from_cbor(body)};
    }

    // DEVICE_RESET, as the OS sends it: the device resets before any answer could come, so
    // nobody waits for one. Returns once the app core has been released again.
    void reset_device() {
        const auto before = boots.size();
        auto& bus = device.app_core().bus();
        const std::uint64_t mbox = 0x31000000, buffer = 0x80300000;
        sc_core::sc_time d;
        const std::uint32_t length = 0, word = secproto::command_word(secproto::device_reset, ++seq),
                            addr = static_cast<std::uint32_t>(buffer);
        bus.write(buffer, &length, 4, d);
        bus.write(mbox + MailboxSide::DATA_PUSH, &addr, 4, d);
        bus.write(mbox + MailboxSide::CMD_PUSH, &word, 4, d);
        wait_for_boot(before + 1);
    }

    // Stages `image` for `stage` through the update commands; returns the commit's answer.
    nlohmann::json install(const std::string& stage, const Bytes& image) {
        auto begin = call(secproto::stage_begin, {{"stage", stage}, {"size", image.size()}});
        if (begin.first != secproto::ok) return {{"verified", false}, {"reason", "stage-begin refused"}};
        for (std::size_t at = 0; at < image.size(); at += 1024) {
            const auto n = std::min<std::size_t>(1024, image.size() - at);
            auto written = call(secproto::stage_write,
                 {{"offset", at}, {"data", nlohmann::json::binary(std::vector<std::uint8_t>(image.begin() + at, image.begin() + at + n))}});
            if (written.first == kAbandoned) return {{"verified", false}, {"reason", "device reset"}};
        }
        auto commit = call(secproto::stage_commit);
        if (commit.first == kAbandoned) return {{"verified", false}, {"reason", "device reset"}};
        return commit.second;
    }

    std::uint16_t seq = 0;
};

}  // namespace svp::test

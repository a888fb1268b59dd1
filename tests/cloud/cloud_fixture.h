// A running cloud stub on its own clock file and event log, plus the steps of the device
// side of attestation, for tests that read like the protocol: upload the known-good images,
// ask for a nonce, send a signed quote, use the certificate.
#pragma once

#include <optional>

#include <catch2/catch.hpp>

#include "cloud-stub/clock_file.h"
#include "cloud_process.h"
#include "common/events/event.h"
#include "temp_dir.h"
#include "test_device.h"

namespace svp::test {

inline constexpr std::int64_t kEpochNs = 1'735'689'600'000'000'000;  // 2025-01-01T00:00:00Z
inline constexpr std::uint64_t kSecond = 1'000'000'000;
inline constexpr std::uint64_t kHour = 3600 * kSecond;

class CloudFixture {
public:
    explicit CloudFixture(std::vector<std::string> extra = {}) : clock(dir / "clock") {
        clock.set_epoch(kEpochNs);
        clock.set_sim_ns(0);
        start(std::move(extra));
    }

    void start(std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"--clock-file", (dir / "clock").string(), "--events", events_path().string()};
        args.insert(args.end(), extra.begin(), extra.end());
        cloud.emplace(dir / "cloud.db", args);
        cloud->set_verify_time([this] { return clock.read().unix_ns() / 1'000'000'000; });
    }

    std::filesystem::path events_path() const { return dir / "cloud-events.jsonl"; }
    std::vector<Event> events() const {
        std::vector<Event> out;
        std::istringstream in(read_text_file(events_path()));
        std::string line;
        for (int n = 1; std::getline(in, line); ++n) out.push_back(Event::from_json_line(line, "events:" + std::to_string(n)));
        return out;
    }
    std::size_t count(const EventType& type, const std::string& reason = "") const {
        std::size_t n = 0;
        for (const auto& e : events())
            if (e.is(type) && (reason.empty() || e.field("reason") == reason)) ++n;
        return n;
    }

    void advance(std::uint64_t ns) { clock.set_sim_ns(clock.read().sim_ns + ns); }

    void upload(const std::vector<SignedImage>& images) {
        auto admin = cloud->admin();
        for (const auto& img : images) REQUIRE(admin.upload_image(img.bytes).ok());
    }

    std::string challenge(cloud::CloudClient& client, const TestDevice& device) {
        auto r = client.post_json("/v1/attestation/challenge", {{"device_id", device.id()}});
        REQUIRE(r.status == 200);
        return r.json().at("nonce").get<std::string>();
    }

    // Challenge and quote over one connection, as the device's attestation agent does.
    cloud::CloudResponse attest(const TestDevice& device, const std::vector<SignedImage>& images) {
        auto client = cloud->anonymous();
        auto nonce = challenge(client, device);
        return client.post_json("/v1/attestation/quote", device.quote(nonce, images).to_json());
    }

    TempDir dir;
    cloud::ClockFileWriter clock;
    std::optional<CloudProcess> cloud;
};

// The boot chain a device measures: one image of each stage.
inline std::vector<SignedImage> boot_chain(const std::string& label = "good") {
    return {make_image(image::ImageType::security_monitor, label + "/sm"),
            make_image(image::ImageType::os_kernel, label + "/kernel"),
            make_image(image::ImageType::application, label + "/app")};
}

}  // namespace svp::test

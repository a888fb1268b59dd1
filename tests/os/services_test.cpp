// The system services end to end with the security subsystem, the flash and a cloud double:
// crash reports that survive a reset and reach the cloud once; an update installed by the
// agent that boots as a test image and is confirmed, one that fails and is reverted; the
// manifest checks (rollback, expiry, untrusted key, endless data, mix-and-match); deferral;
// re-attestation before an expired certificate is used.
#include <catch2/catch.hpp>

#include "os-sim/services/crash_reporter.h"
#include "os-sim/services/update_agent.h"
#include "tests/os/fake_cloud.h"
#include "tests/os/os_rig.h"

using namespace svp;
using namespace svp::test;
using os::AppContext;

namespace {

std::int64_t sim_unix_s() { return OsRig::kEpoch + static_cast<std::int64_t>(sim_now_ns() / 1'000'000'000ull); }
const char* kOsComponent = "3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f102";

OsRigOptions cloud_options(const FakeCloud& cloud, nlohmann::json extra = nlohmann::json::object()) {
    OsRigOptions o;
    o.cloud_roots_pem = cloud.roots_pem();
    o.cloud_port = cloud.port();
    o.os_config = {{"update_keys", cloud.update_key().public_key().pem()}, {"update_confirm_after_s", 10}};
    for (auto& [k, v] : extra.items()) o.os_config[k] = v;
    return o;
}

protocol::ManifestBody manifest_with(std::vector<protocol::ManifestImage> images, std::uint64_t version = 1) {
    protocol::ManifestBody b;
    b.version = version;
    b.expires = OsRig::kEpoch + 30 * 86400;
    b.product = kOsProduct;
    b.device_group = "production";
    b.images = std::move(images);
    return b;
}

std::string booted_os_version(const OsRig& rig) {
    std::string v;
    for (const auto* e : rig.all(ev::sec_boot_image_verified, {{"stage", "os-kernel"}})) v = e->field("version");
    return v;
}

}  // namespace

TEST_CASE("crash reports are queued on flash, survive a reset before upload, and reach the cloud once (A8, C10)") {
    FakeCloud cloud(sim_unix_s);
    cloud.drop_report_answers = 1;  // the first upload is stored, but its answer never comes
    static int runs = 0;
    register_app("/test/crash-once", [](AppContext& c) {
        if (runs++ == 0) throw std::runtime_error("segmentation fault (first run only)");
        return idle(c);
    });
    auto o = cloud_options(cloud, {{"report_upload_delay_s", 30}});
    o.apps = {{manifest("fragile", "/test/crash-once")}};
    OsRig rig(o);
    rig.at(s(3), [](os::Kernel& k, os::Process&) {
        CHECK(k.crash_reporter().queued() == 1);
        k.security_call(nullptr, secproto::device_reset, {{"reason", "test: reset before upload"}});
    });
    run_for(s(200));

    CHECK(rig.count(ev::os_crash_queued, {{"app", "fragile"}, {"seq", "1"}, {"kind", "crash"}}) == 1);
    CHECK(rig.count(ev::sec_device_reset) == 1);
    // After the reset the report was still on flash ...
    const auto mounts = rig.all(ev::os_storage_mounted);
    REQUIRE(mounts.size() == 2);
    CHECK(mounts[1]->field("formatted") == "false");
    // ... the first upload went unanswered, the retry was acknowledged, and the cloud holds
    // the report once.
    CHECK(rig.count(ev::os_crash_upload_failed) == 1);
    CHECK(rig.count(ev::os_crash_uploaded, {{"first_seq", "00000000000000000001"}}) == 1);
    CHECK(cloud.report_uploads() == 2);
    const auto reports = cloud.reports();
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].seq == 1);
    CHECK(reports[0].app == "fragile");
    CHECK(reports[0].kind == "crash");
    CHECK(rig.kernel().crash_reporter().queued() == 0);
}

TEST_CASE("the report queue keeps at most report_queue_max reports, dropping the oldest") {
    auto o = OsRigOptions{};
    o.os_config = {{"report_queue_max", 3}, {"restart_backoff_initial_ms", 100}, {"restart_backoff_max_ms", 100}};
    o.apps = {{manifest("crashy", "/bin/misbehave", {}, {"crash-loop"})}};
    OsRig rig(o);
    run_for(s(2));
    const auto queued = rig.count(ev::os_crash_queued, {{"app", "crashy"}});
    REQUIRE(queued > 3);
    // (The run may end between dropping the oldest and writing the newest.)
    const auto dropped = rig.count(ev::os_crash_dropped);
    CHECK(dropped >= queued - 3);
    CHECK(dropped <= queued - 2);
    CHECK(rig.kernel().crash_reporter().queued() <= 3);
}

TEST_CASE("an OS update installed through the agent boots as a test image and is confirmed (U1, U3)") {
    FakeCloud cloud(sim_unix_s);
    OsRig rig(cloud_options(cloud));
    const auto v2 = rig.os_image("2.0.0", 2, rig.os_config_json());
    cloud.publish(manifest_with({cloud.add_image(v2, 7, kOsComponent, "2.0.0", 2)}));
    std::optional<std::uint64_t> stored;
    rig.at(s(59), [&](os::Kernel& k, os::Process&) { stored = k.update_agent().last_manifest_version(); });
    run_for(s(60));

    CHECK(rig.count(ev::os_update_checked, {{"version", "1"}}) >= 1);
    CHECK(rig.count(ev::os_update_downloaded, {{"component", kOsComponent}}) == 1);
    CHECK(rig.count(ev::sec_update_installed, {{"stage", "os-kernel"}, {"slot", "os_b"}, {"version", "2.0.0"}}) == 1);
    CHECK(rig.count(ev::os_update_rebooting) == 1);
    CHECK(rig.count(ev::sec_update_test_boot, {{"stage", "os-kernel"}, {"slot", "os_b"}}) == 1);
    CHECK(rig.count(ev::os_update_confirmed) == 1);
    CHECK(rig.count(ev::sec_update_confirmed, {{"stage", "os-kernel"}, {"slot", "os_b"}}) == 1);
    CHECK(rig.count(ev::sec_rollback_counter_advanced, {{"counter", "os-kernel"}, {"value", "2"}}) == 1);
    CHECK(booted_os_version(rig) == "2.0.0");
    // Downloaded by hash in ranges, never past the manifest's size.
    CHECK(cloud.image_requests() == (v2.size() + 16383) / 16384);
    // The new OS checked again and found nothing newer; the accepted version is on flash.
    CHECK(rig.count(ev::os_update_up_to_date) >= 1);
    CHECK(stored == 1u);
    CHECK(rig.count(ev::sec_update_reverted) == 0);
}

TEST_CASE("an OS update that fails its test boot is reverted and not installed again (U2)") {
    FakeCloud cloud(sim_unix_s);
    OsRig rig(cloud_options(cloud));
    auto broken = rig.os_config_json();
    broken["cloud"] = "nowhere";  // the new kernel cannot read its configuration: it panics
    const auto v2 = rig.os_image("2.0.0", 2, broken);
    cloud.publish(manifest_with({cloud.add_image(v2, 7, kOsComponent, "2.0.0", 2)}));
    run_for(s(60));

    CHECK(rig.count(ev::sec_update_installed, {{"version", "2.0.0"}}) == 1);
    CHECK(rig.count(ev::sec_update_test_boot) == 1);
    CHECK(rig.count(ev::os_kernel_panic) == 1);
    CHECK(rig.count(ev::sec_update_reverted, {{"stage", "os-kernel"}, {"slot", "os_b"}}) == 1);
    CHECK(rig.count(ev::os_update_reverted, {{"stage", "os-kernel"}, {"version", "2.0.0"}}) == 1);
    CHECK(booted_os_version(rig) == "1.0.0");
    CHECK(rig.count(ev::os_update_withheld, {{"reason", "reverted after a failed test boot before"}}) >= 1);
    CHECK(rig.count(ev::sec_update_confirmed) == 0);
}

TEST_CASE("manifest checks: a replayed older manifest is a rollback, an expired one is refused (U6, U7)") {
    FakeCloud cloud(sim_unix_s);
    OsRig rig(cloud_options(cloud, {{"update_period_s", 100}, {"update_retry_s", 100}}));
    cloud.publish(manifest_with({}, 5));
    rig.at(s(50), [&](os::Kernel&, os::Process&) { cloud.publish(manifest_with({}, 4)); });
    rig.at(s(150), [&](os::Kernel&, os::Process&) {
        auto expired = manifest_with({}, 6);
        expired.expires = sim_unix_s() - 1;
        cloud.publish(expired);
    });
    std::optional<std::uint64_t> stored;
    rig.at(s(249), [&](os::Kernel& k, os::Process&) { stored = k.update_agent().last_manifest_version(); });
    run_for(s(250));
    CHECK(rig.count(ev::os_update_checked, {{"version", "5"}}) == 1);
    CHECK(rig.count(ev::os_update_manifest_rejected, {{"reason", "rollback"}, {"version", "4"}}) == 1);
    CHECK(rig.count(ev::os_update_manifest_rejected, {{"reason", "expired"}, {"version", "6"}}) == 1);
    CHECK(stored == 5u);
}

TEST_CASE("manifest checks: a manifest signed by an untrusted key or tampered with is refused") {
    FakeCloud cloud(sim_unix_s);
    OsRig rig(cloud_options(cloud, {{"update_period_s", 100}, {"update_retry_s", 100}}));
    const auto other = crypto::EcPrivateKey::from_seed(Bytes(32, 0x99));
    cloud.publish_signed(protocol::SignedManifest::sign(manifest_with({}, 3), other));
    rig.at(s(50), [&](os::Kernel&, os::Process&) {
        auto m = protocol::SignedManifest::sign(manifest_with({}, 3), cloud.update_key());
        m.body.version = 9;  // changed after signing
        cloud.publish_signed(m);
    });
    bool stored = true;
    rig.at(s(149), [&](os::Kernel& k, os::Process&) { stored = k.update_agent().last_manifest_version().has_value(); });
    run_for(s(150));
    CHECK(rig.count(ev::os_update_manifest_rejected, {{"reason", "untrusted-key"}}) == 1);
    CHECK(rig.count(ev::os_update_manifest_rejected, {{"reason", "bad-signature"}}) == 1);
    CHECK_FALSE(stored);
}

TEST_CASE("an image longer than the manifest says is cut off, not installed (U8)") {
    FakeCloud cloud(sim_unix_s);
    cloud.extra_image_bytes = 64;
    OsRig rig(cloud_options(cloud));
    const auto v2 = rig.os_image("2.0.0", 2, rig.os_config_json());
    cloud.publish(manifest_with({cloud.add_image(v2, 7, kOsComponent, "2.0.0", 2)}));
    run_for(s(20));
    const auto* failed = rig.first(ev::os_update_download_failed, {{"component", kOsComponent}});
    REQUIRE(failed);
    CHECK_THAT(failed->field("reason"), Catch::Contains("endless data"));
    CHECK(rig.count(ev::sec_update_installed) == 0);
    CHECK(rig.count(ev::sec_device_reset) == 0);
}

TEST_CASE("an image that arrives slower than the floor rate is abandoned and the device keeps working (U9)") {
    FakeCloud cloud(sim_unix_s);
    register_app("/test/idle", idle);
    // A floor no link meets: every chunk is "still arriving" at its deadline.
    auto o = cloud_options(cloud, {{"download_min_bytes_per_s", 1'000'000'000}, {"download_allowance_ms", 0},
                                   {"update_retry_s", 100000}});
    o.apps = {{manifest("worker", "/test/idle")}};
    OsRig rig(o);
    const auto v2 = rig.os_image("2.0.0", 2, rig.os_config_json());
    cloud.publish(manifest_with({cloud.add_image(v2, 7, kOsComponent, "2.0.0", 2)}));
    run_for(s(20));
    const auto* failed = rig.first(ev::os_update_download_failed, {{"component", kOsComponent}});
    REQUIRE(failed);
    CHECK_THAT(failed->field("reason"), Catch::Contains("slow retrieval"));
    CHECK(rig.count(ev::sec_update_installed) == 0);
    CHECK(rig.count(ev::sec_device_reset) == 0);
    CHECK(rig.count(ev::os_app_exited) == 0);  // the device keeps working
}

TEST_CASE("an image whose requirement the device does not meet is withheld (U10)") {
    FakeCloud cloud(sim_unix_s);
    OsRig rig(cloud_options(cloud));
    const auto v2 = rig.os_image("2.0.0", 2, rig.os_config_json());
    auto img = cloud.add_image(v2, 7, kOsComponent, "2.0.0", 2);
    img.requires_ = {{"3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f101", "2.0.0"}};  // a security monitor we do not have
    cloud.publish(manifest_with({img}));
    run_for(s(20));
    CHECK(rig.count(ev::os_update_withheld, {{"component", kOsComponent}}) == 1);
    CHECK_THAT(rig.first(ev::os_update_withheld)->field("reason"), Catch::Contains("requires 3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f101 >= 2.0.0"));
    CHECK(rig.count(ev::os_update_up_to_date) == 1);
    CHECK(cloud.image_requests() == 0);
}

TEST_CASE("an app's update deferral holds the install back until it ends (U11)") {
    FakeCloud cloud(sim_unix_s);
    register_app("/test/busy", [](AppContext& c) {
        c.defer_update(300);
        return idle(c);
    });
    auto o = cloud_options(cloud);
    o.apps = {{manifest("busy", "/test/busy", {{"SoftwareUpdateDeferral", true}})}};
    OsRig rig(o);
    const auto v2 = rig.os_image("2.0.0", 2, rig.os_config_json());
    cloud.publish(manifest_with({cloud.add_image(v2, 7, kOsComponent, "2.0.0", 2)}));
    run_for(s(400));
    const auto* deferred = rig.first(ev::os_update_deferred, {{"app", "busy"}});
    REQUIRE(deferred);
    const auto* staging = rig.first(ev::sec_update_staging);
    REQUIRE(staging);
    CHECK(staging->t_ns >= 300'000'000'000ull);
    CHECK(rig.count(ev::os_update_confirmed) == 1);
}

TEST_CASE("a service re-attests before using an expired certificate (C6)") {
    FakeCloud cloud(sim_unix_s);
    cloud.certificate_lifetime_s = 3600;
    int status = 0;
    register_app("/test/late", [&](AppContext& c) {
        c.sleep(s(2 * 3600));  // offline for longer than the certificate lives
        auto r = c.cloud_post("/v1/telemetry", {{"records", nlohmann::json::array()}});
        status = r.response ? r.response->status : -1;
        return idle(c);
    });
    auto o = cloud_options(cloud, {{"update_period_s", 100000}, {"update_retry_s", 100000}});
    o.apps = {{manifest("late", "/test/late", {{"AllowedConnections", {kCloudHost}},
                                                {"DeviceAuthentication", "2a5f0c9e-0000-4000-8000-00000000beef"}})}};
    OsRig rig(o);
    run_for(s(2 * 3600 + 60));
    CHECK(rig.count(ev::os_attest_expired) == 1);
    CHECK(cloud.certificates_issued() == 2);
    const auto certs = rig.all(ev::os_attest_certificate);
    REQUIRE(certs.size() == 2);
    CHECK(certs[1]->t_ns >= 7200'000'000'000ull);
    CHECK(status == 404);  // the double has no telemetry endpoint: the request itself got through
}

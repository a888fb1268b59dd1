// Staged rollouts (issue 7; SCENARIOS.md U12): a deployment goes to a deterministic share of its
// group first; devices report how the install went; failures among them at the threshold halt
// the rollout (persisted, audited, withdrawn), while devices outside it never see the release.
#include <catch2/catch.hpp>

#include "cloud-stub/rollout.h"
#include "update_fixture.h"

using namespace svp;
using namespace svp::test;

namespace {

// Devices whose keys follow from a label: the same fleet, and so the same canaries, every run.
TestDevice seeded_device(int n) {
    const auto seed = crypto::sha256("rollout-device-" + std::to_string(n));
    return TestDevice(crypto::EcPrivateKey::from_seed(ByteView(seed)));
}

struct Fleet {
    std::vector<AttestedDevice> devices;
};

const SignedImage& app_v1() {
    static const auto img = component_image(image::ImageType::application, kAppComponent, "1.0.0", "thermostat 1");
    return img;
}
const SignedImage& app_v2() {
    static const auto img = component_image(image::ImageType::application, kAppComponent, "2.0.0", "thermostat 2 (bad)");
    return img;
}

// A product whose Production group runs app 1.0.0 on `n` claimed devices, each checked once.
Fleet production_fleet(UpdateFixture& f, int n) {
    f.upload({app_v1(), app_v2()});
    f.create_product();
    f.deploy("Production", {measurement_of(app_v1())});
    Fleet fleet;
    for (int i = 0; i < n; ++i) {
        fleet.devices.push_back(f.attested(seeded_device(i)));
        f.claim(fleet.devices.back(), "Production");
        REQUIRE(f.manifest(f.client(fleet.devices.back())).body.images.at(0).version == "1.0.0");
    }
    return fleet;
}

nlohmann::json rollout_plan(std::vector<int> phases, int threshold, int min_outcomes) {
    return {{"phases", phases}, {"failure_threshold_percent", threshold}, {"min_outcomes", min_outcomes}};
}

nlohmann::json deploy_staged(UpdateFixture& f, const nlohmann::json& plan) {
    return f.admin("POST", UpdateFixture::group_path("Production") + "/deployments",
                   {{"images", {measurement_of(app_v2())}}, {"rollout", plan}});
}

std::string app_version(const protocol::SignedManifest& m) {
    for (const auto& img : m.body.images)
        if (img.component == kAppComponent) return img.version;
    return "";
}

nlohmann::json outcome(const std::uint64_t version, const std::string& what) {
    return {{"manifest_version", version}, {"outcome", what}};
}

nlohmann::json latest_rollout(UpdateFixture& f) {
    return f.admin("GET", UpdateFixture::group_path("Production") + "/deployments").at("deployments").back().at("rollout");
}

}  // namespace

TEST_CASE("a staged rollout offers the new release to its canaries only, and advancing gives it to the rest") {
    UpdateFixture f;
    auto fleet = production_fleet(f, 16);
    auto deployed = deploy_staged(f, rollout_plan({25}, 50, 1));
    CHECK(deployed.at("rollout").at("phases") == nlohmann::json({25, 100}));
    const auto key = deployed.at("rollout").at("selection_key").get<std::int64_t>();

    std::set<std::string> canaries, expected;
    for (auto& d : fleet.devices) {
        if (cloud::in_rollout_phase(d.device.id(), key, 25)) expected.insert(d.device.id());
        auto m = f.manifest(f.client(d));
        if (app_version(m) == "2.0.0") canaries.insert(d.device.id());
        else CHECK(app_version(m) == "1.0.0");
    }
    CHECK(canaries == expected);  // the published rule: SHA-256 of device id and key, no dice
    CHECK(!canaries.empty());
    CHECK(canaries.size() < fleet.devices.size());
    // Asking again changes nothing.
    for (auto& d : fleet.devices) CHECK((app_version(f.manifest(f.client(d))) == "2.0.0") == (canaries.count(d.device.id()) == 1));

    auto advanced = f.admin("POST", UpdateFixture::group_path("Production") + "/deployments/2/advance");
    CHECK(advanced.at("rollout").at("state") == "complete");
    CHECK(advanced.at("rollout").at("percent") == 100);
    for (auto& d : fleet.devices) CHECK(app_version(f.manifest(f.client(d))) == "2.0.0");
    CHECK(f.count(ev::cloud_rollout_advanced) == 1);
    // Complete: nothing left to advance.
    CHECK(f.admin_raw("POST", UpdateFixture::group_path("Production") + "/deployments/2/advance").error() == "rollout-complete");
}

TEST_CASE("failures among the canaries halt the rollout at its threshold: persisted, audited, withdrawn, the others untouched") {
    UpdateFixture f;
    auto fleet = production_fleet(f, 16);
    deploy_staged(f, rollout_plan({25}, 50, 2));

    std::vector<AttestedDevice*> canaries, others;
    std::map<std::string, std::uint64_t> served;  // version each device was served during the rollout
    std::map<std::string, std::string> images;    // ...and the images it listed
    for (auto& d : fleet.devices) {
        auto m = f.manifest(f.client(d));
        served[d.device.id()] = m.body.version;
        images[d.device.id()] = m.body.to_json().at("images").dump();
        (app_version(m) == "2.0.0" ? canaries : others).push_back(&d);
    }
    REQUIRE(canaries.size() >= 2);

    // One canary confirms: 0 of 1 failed, and one outcome is below min_outcomes anyway.
    auto first = f.client(*canaries[0]).post_json("/v1/updates/outcome", outcome(served[canaries[0]->device.id()], "success"));
    INFO(first.body);
    REQUIRE(first.status == 200);
    CHECK(first.json().at("rollout").at("state") == "rolling");
    // The next crashes after its update: 1 of 2 = 50 %, the threshold.
    auto second =
        f.client(*canaries[1]).post_json("/v1/updates/outcome", outcome(served[canaries[1]->device.id()], "crash-after-update"));
    INFO(second.body);
    REQUIRE(second.status == 200);
    CHECK(second.json().at("rollout").at("state") == "halted");
    CHECK(f.count(ev::cloud_rollout_halted) == 1);
    CHECK(f.count(ev::cloud_rollout_outcome) == 2);
    bool audited = false;
    const auto audit = f.admin("GET", "/admin/v1/audit?limit=1000").at("audit");
    for (const auto& row : audit) audited = audited || (row.at("action") == "rollout.halt" && row.at("subject") == "deployment 2");
    CHECK(audited);

    // The state survives a restart of the service.
    REQUIRE(f.cloud->stop() == 0);
    f.start();
    auto rollout = latest_rollout(f);
    CHECK(rollout.at("state") == "halted");
    CHECK(rollout.at("failures") == 1);
    CHECK(rollout.at("outcomes") == 2);
    CHECK(rollout.at("halt_reason").get<std::string>().find("1 of 2") != std::string::npos);

    // Withdrawn: canaries are offered the previous release again, above every version they saw
    // (so they take it); devices outside the canary set keep exactly the images they had (the
    // line they are on was re-signed for the canaries' sake: a higher version, the same content).
    for (auto* d : canaries) {
        auto m = f.manifest(f.client(*d));
        CHECK(app_version(m) == "1.0.0");
        CHECK(m.body.version > served[d->device.id()]);
    }
    for (auto* d : others) {
        auto m = f.manifest(f.client(*d));
        CHECK(app_version(m) == "1.0.0");
        CHECK(m.body.to_json().at("images").dump() == images[d->device.id()]);
        CHECK(m.body.version >= served[d->device.id()]);
    }
    // A halted rollout does not advance.
    CHECK(f.admin_raw("POST", UpdateFixture::group_path("Production") + "/deployments/2/advance").error() == "rollout-halted");
}

TEST_CASE("install outcomes: only a device in the rollout reports one, a failure stands, malformed ones are refused") {
    UpdateFixture f;
    auto fleet = production_fleet(f, 16);
    deploy_staged(f, rollout_plan({25}, 100, 3));
    AttestedDevice* canary = nullptr;
    AttestedDevice* other = nullptr;
    std::uint64_t canary_version = 0, other_version = 0;
    for (auto& d : fleet.devices) {
        auto m = f.manifest(f.client(d));
        if (app_version(m) == "2.0.0" && !canary) canary = &d, canary_version = m.body.version;
        if (app_version(m) == "1.0.0" && !other) other = &d, other_version = m.body.version;
    }
    REQUIRE((canary && other));
    auto c = f.client(*canary);
    auto o = f.client(*other);

    CHECK(o.post_json("/v1/updates/outcome", outcome(other_version, "success")).error() == "not-in-rollout");
    CHECK(o.post_json("/v1/updates/outcome", outcome(canary_version, "success")).error() == "not-in-rollout");
    CHECK(c.post_json("/v1/updates/outcome", outcome(999999, "success")).status == 404);
    CHECK(c.post_json("/v1/updates/outcome", outcome(canary_version, "fine")).error() == "malformed");
    CHECK(c.post_json("/v1/updates/outcome", {{"manifest_version", "7"}, {"outcome", "success"}}).error() == "malformed");
    CHECK(c.post_json("/v1/updates/outcome", {{"manifest_version", canary_version}, {"outcome", "success"}, {"x", 1}}).error() == "malformed");
    CHECK(f.cloud->anonymous().post_json("/v1/updates/outcome", outcome(canary_version, "success")).error() ==
          "client-certificate-required");

    REQUIRE(c.post_json("/v1/updates/outcome", outcome(canary_version, "failed-to-confirm")).json().at("stored") == true);
    auto later = c.post_json("/v1/updates/outcome", outcome(canary_version, "success"));
    CHECK(later.json().at("stored") == false);  // the failure stands
    CHECK(later.json().at("rollout").at("failures") == 1);
    CHECK(later.json().at("rollout").at("state") == "rolling");  // 1 outcome of the 3 it waits for
}

TEST_CASE("with cloud.rollout-threshold off, failing canaries do not halt the rollout") {
    UpdateFixture f({"--defence-off", "cloud.rollout-threshold"});
    CHECK(f.count(ev::sim_defence_off) == 1);
    auto fleet = production_fleet(f, 16);
    deploy_staged(f, rollout_plan({25}, 1, 1));
    int failed = 0;
    for (auto& d : fleet.devices) {
        auto m = f.manifest(f.client(d));
        if (app_version(m) != "2.0.0") continue;
        REQUIRE(f.client(d).post_json("/v1/updates/outcome", outcome(m.body.version, "crash-after-update")).status == 200);
        ++failed;
    }
    REQUIRE(failed > 0);
    auto rollout = latest_rollout(f);
    CHECK(rollout.at("state") == "rolling");
    CHECK(rollout.at("failures") == failed);
    CHECK(f.count(ev::cloud_rollout_halted) == 0);
}

TEST_CASE("a rollout plan that is not one is refused with what is wrong") {
    UpdateFixture f;
    f.upload({app_v1(), app_v2()});
    f.create_product();
    const auto path = UpdateFixture::group_path("Production") + "/deployments";
    auto refused = [&](const nlohmann::json& plan, const std::string& says) {
        auto r = f.admin_raw("POST", path, {{"images", {measurement_of(app_v2())}}, {"rollout", plan}});
        INFO(r.body);
        CHECK(r.status == 400);
        CHECK(r.error() == "malformed");
        CHECK(r.json().at("detail").get<std::string>().find(says) != std::string::npos);
    };
    refused({{"phases", {50, 10}}, {"failure_threshold_percent", 10}}, "must be above");
    refused({{"phases", nlohmann::json::array()}, {"failure_threshold_percent", 10}}, "non-empty");
    refused({{"phases", {0}}, {"failure_threshold_percent", 10}}, "from 1 to 100");
    refused({{"phases", {10}}}, "failure_threshold_percent");
    refused({{"phases", {10}}, {"failure_threshold_percent", 101}}, "from 1 to 100");
    refused({{"phases", {10}}, {"failure_threshold_percent", 10}, {"canary", true}}, "canary");
    refused("10%", "must be an object");
    // A deployment without a rollout cannot be advanced; one that does not exist is 404.
    f.deploy("Production", {measurement_of(app_v1())});
    CHECK(f.admin_raw("POST", path + "/1/advance").error() == "not-in-rollout");
    CHECK(f.admin_raw("POST", path + "/9/advance").status == 404);
    CHECK(f.admin_raw("POST", path + "/x/advance").error() == "malformed");
}

TEST_CASE("the canary selection is a fixed function of device and deployment") {
    const std::string id(128, 'a');
    CHECK(cloud::rollout_bucket(id, 7) == cloud::rollout_bucket(id, 7));
    int in10 = 0;
    for (int n = 0; n < 2000; ++n) in10 += cloud::in_rollout_phase(seeded_device(n).id(), 3, 10) ? 1 : 0;
    CHECK(in10 > 140);  // about 10 % of 2000 devices: not a constant, not everyone
    CHECK(in10 < 260);
    for (int n = 0; n < 200; ++n)  // a device in a phase is in every later one
        if (cloud::in_rollout_phase(seeded_device(n).id(), 3, 10)) CHECK(cloud::in_rollout_phase(seeded_device(n).id(), 3, 50));
}

// The command line: `cloud serve` refuses what it must not do, `cloud admin` drives the REST
// API, and a client refuses a server whose certificate it was not told to trust.
#include <catch2/catch.hpp>

#include "update_fixture.h"

using namespace svp;
using namespace svp::test;

TEST_CASE("cloud serve refuses to listen beyond loopback (exit 2)") {
    TempDir dir;
    auto r = run_spherevp({"cloud", "serve", "--db", (dir / "c.db").string(), "--listen", "0.0.0.0:0"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("not a loopback address"));
    r = run_spherevp({"cloud", "serve", "--db", (dir / "c.db").string(), "--listen", "127.0.0.1:http"});
    CHECK(r.exit_code == 2);
    r = run_spherevp({"cloud", "serve", "--db", (dir / "c.db").string(), "--clock-file", (dir / "missing").string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("missing"));
}

TEST_CASE("cloud serve stops cleanly on SIGTERM and says so in its events") {
    CloudFixture f;
    CHECK(f.cloud->stop() == 0);
    auto events = f.events();
    REQUIRE(events.size() == 2);
    CHECK(events.front().is(ev::cloud_service_started));
    CHECK(events.front().field("pki") == "created");
    CHECK(events.back().is(ev::cloud_service_stopped));
}

TEST_CASE("cloud admin uploads an image, lists it, revokes a device and reads the audit log") {
    TempDir dir;
    CloudProcess cloud(dir / "cloud.db");  // wall clock: what an operator runs
    auto img = make_image(image::ImageType::application, "cli");
    write_file(dir / "app.img", img.bytes);
    const std::vector<std::string> conn{"cloud", "admin", "--url", cloud.url(), "--ca",
                                        cloud.ready().at("service_ca").get<std::string>(), "--token-file",
                                        cloud.ready().at("admin_token_file").get<std::string>()};
    auto admin = [&](std::vector<std::string> action) {
        auto args = conn;
        args.insert(args.end(), action.begin(), action.end());
        return run_spherevp(args);
    };

    auto up = admin({"upload-image", (dir / "app.img").string()});
    INFO(up.err);
    CHECK(up.exit_code == 0);
    CHECK_THAT(up.out, Catch::Contains(to_hex(ByteView(img.measurement))));
    CHECK_THAT(admin({"images"}).out, Catch::Contains("\"type\": \"application\""));

    TestDevice device;
    CHECK(admin({"revoke", device.id(), "--reason", "lost"}).exit_code == 0);
    CHECK_THAT(admin({"devices"}).out, Catch::Contains("\"revoke_reason\": \"lost\""));
    CHECK_THAT(admin({"audit", "--limit", "5"}).out, Catch::Contains("device.revoke"));

    // A refusal by the service is invalid input for the command: exit 2 with the reason.
    write_file(dir / "junk.img", as_bytes("not an image"));
    auto bad = admin({"upload-image", (dir / "junk.img").string()});
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.err, Catch::Contains("bad-image"));
    CHECK(admin({"revoke", "abcd"}).exit_code == 2);
}

TEST_CASE("the admin API refuses a request without the right token") {
    TempDir dir;
    CloudProcess cloud(dir / "cloud.db");
    auto anonymous = cloud.anonymous();
    CHECK(anonymous.get("/admin/v1/devices").status == 401);
    auto o = cloud.client_options();
    o.bearer_token = std::string(64, '0');
    CHECK(cloud::CloudClient(o).get("/admin/v1/devices").error() == "unauthenticated");
    // An anonymous upload is refused from its header: the body is never buffered.
    CHECK(anonymous.upload_image(make_image(image::ImageType::application, "x").bytes).status == 401);
}

TEST_CASE("a client refuses a server whose certificate does not chain to the CA it trusts") {
    TempDir dir_a, dir_b;
    CloudProcess real(dir_a / "cloud.db");
    CloudProcess spoof(dir_b / "cloud.db");  // a different service CA
    auto o = spoof.client_options();
    o.ca_pem = real.service_ca_pem();
    cloud::CloudClient client(o);
    CHECK_THROWS_WITH(client.get("/admin/v1/images"), Catch::Contains("certificate verify failed"));
}

TEST_CASE("cloud admin drives the deployment model: products, groups, feeds, deployments, manifests and device state") {
    TempDir dir;
    CloudProcess cloud(dir / "cloud.db");
    const std::vector<std::string> conn{"cloud", "admin", "--url", cloud.url(), "--ca",
                                        cloud.ready().at("service_ca").get<std::string>(), "--token-file",
                                        cloud.ready().at("admin_token_file").get<std::string>()};
    auto admin = [&](std::vector<std::string> action) {
        auto args = conn;
        args.insert(args.end(), action.begin(), action.end());
        auto r = run_spherevp(args);
        INFO(action[0] << ": " << r.err);
        return r;
    };
    auto ok = [&](std::vector<std::string> action) {
        auto r = admin(action);
        INFO(action[0] << ": " << r.err);
        CHECK(r.exit_code == 0);
        return r.out;
    };
    auto app = component_image(image::ImageType::application, kAppComponent, "1.0.0", "cli app");
    auto kernel = component_image(image::ImageType::os_kernel, kKernelComponent, "2.0.0", "cli kernel");
    auto foreign = component_image(image::ImageType::application, kApp2Component, "1.0.0", "foreign", "{}", kOtherProduct);
    write_file(dir / "app.img", app.bytes);
    write_file(dir / "kernel.img", kernel.bytes);
    write_file(dir / "foreign.img", foreign.bytes);
    for (auto name : {"app.img", "kernel.img", "foreign.img"}) ok({"upload-image", (dir / name).string()});

    CHECK_THAT(ok({"create-product", "Thermostat", "--id", kProduct, "--description", "a thermostat"}),
               Catch::Contains("Production OS Evaluation"));
    CHECK_THAT(ok({"products"}), Catch::Contains("\"Unassigned\""));
    CHECK_THAT(ok({"groups", "Thermostat"}), Catch::Contains("\"Field Test\""));
    CHECK_THAT(ok({"create-group", "Thermostat", "Canary", "--feed", "RetailEval", "--policy", "NoUpdates",
                   "--manifest-lifetime", "3600"}),
               Catch::Contains("\"manifest_lifetime_s\": 3600"));
    CHECK_THAT(ok({"set-group", "Thermostat", "Field Test", "--policy", "No3rdPartyAppUpdates"}),
               Catch::Contains("No3rdPartyAppUpdates"));
    CHECK(admin({"set-group", "Thermostat", "Field Test", "--policy", "Sometimes"}).exit_code != 0);  // CLI11 refuses it

    ok({"publish-os", "Retail", measurement_of(kernel)});
    CHECK_THAT(ok({"os-feeds"}), Catch::Contains(measurement_of(kernel)));
    CHECK_THAT(ok({"deploy", "Thermostat", "Field Test", measurement_of(app), "--requires", kKernelComponent + ":2.0.0"}),
               Catch::Contains("\"min_version\": \"2.0.0\""));
    CHECK_THAT(ok({"deployments", "Thermostat", "Field Test"}), Catch::Contains("\"deployment\": 1"));
    auto wrong = admin({"deploy", "Thermostat", "Production", measurement_of(foreign)});
    CHECK(wrong.exit_code == 2);
    CHECK_THAT(wrong.err, Catch::Contains("wrong-product"));

    CHECK_THAT(ok({"freeze", "Thermostat", "Field Test"}), Catch::Contains("\"frozen\": true"));
    CHECK_THAT(ok({"manifests", "Thermostat", "Field Test"}), Catch::Contains("\"version\": 1"));
    CHECK_THAT(ok({"manifests", "Thermostat", "Field Test", "--version", "1"}), Catch::Contains("\"signature\""));
    CHECK_THAT(ok({"unfreeze", "Thermostat", "Field Test"}), Catch::Contains("\"frozen\": false"));

    TestDevice device;
    CHECK_THAT(ok({"claim", device.id(), "Thermostat", "Production"}), Catch::Contains("\"group\": \"Production\""));
    CHECK_THAT(ok({"default-group"}), Catch::Contains("Unassigned"));
    ok({"default-group", "Thermostat", "Production"});
    CHECK_THAT(ok({"default-group"}), Catch::Contains("Thermostat"));
    CHECK_THAT(ok({"quarantine", device.id(), "--reason", "odd"}), Catch::Contains("\"quarantined\": true"));
    CHECK_THAT(ok({"devices"}), Catch::Contains("\"quarantine_reason\": \"odd\""));
    CHECK_THAT(ok({"release", device.id()}), Catch::Contains("\"was_quarantined\": true"));
    CHECK_THAT(ok({"reports", "--device", device.id()}), Catch::Contains("\"reports\": []"));
    CHECK_THAT(ok({"audit", "--limit", "50"}), Catch::Contains("deployment.create"));
}

TEST_CASE("cloud admin stages a rollout, advances it, and rotates the tenant CA") {
    TempDir dir;
    CloudProcess cloud(dir / "cloud.db");
    const std::vector<std::string> conn{"cloud", "admin", "--url", cloud.url(), "--ca",
                                        cloud.ready().at("service_ca").get<std::string>(), "--token-file",
                                        cloud.ready().at("admin_token_file").get<std::string>()};
    auto admin = [&](std::vector<std::string> action) {
        auto args = conn;
        args.insert(args.end(), action.begin(), action.end());
        return run_spherevp(args);
    };
    const auto app = component_image(image::ImageType::application, kAppComponent, "2.0.0", "cli rollout");
    write_file(dir / "app.img", app.bytes);
    REQUIRE(admin({"upload-image", (dir / "app.img").string()}).exit_code == 0);
    REQUIRE(admin({"create-product", "Thermostat", "--id", kProduct}).exit_code == 0);

    // --phases without a threshold is refused before anything is sent.
    auto half = admin({"deploy", "Thermostat", "Production", measurement_of(app), "--phases", "10"});
    CHECK(half.exit_code == 2);
    CHECK_THAT(half.err, Catch::Contains("--failure-threshold"));
    auto staged = admin({"deploy", "Thermostat", "Production", measurement_of(app), "--phases", "10,50",
                         "--failure-threshold", "20", "--min-outcomes", "3"});
    INFO(staged.err);
    REQUIRE(staged.exit_code == 0);
    CHECK_THAT(staged.out, Catch::Contains("\"phases\": [\n      10,\n      50,\n      100\n    ]"));
    CHECK_THAT(admin({"advance-rollout", "Thermostat", "Production", "1"}).out, Catch::Contains("\"percent\": 50"));
    CHECK_THAT(admin({"advance-rollout", "Thermostat", "Production", "1"}).out, Catch::Contains("\"state\": \"complete\""));
    auto again = admin({"advance-rollout", "Thermostat", "Production", "1"});
    CHECK(again.exit_code == 2);
    CHECK_THAT(again.err, Catch::Contains("rollout-complete"));
    CHECK_THAT(admin({"deployments", "Thermostat", "Production"}).out, Catch::Contains("\"state\": \"complete\""));

    auto rotated = admin({"rotate-tenant-ca", "--overlap", "600"});
    INFO(rotated.err);
    REQUIRE(rotated.exit_code == 0);
    CHECK_THAT(rotated.out, Catch::Contains("\"retire_at\""));
    auto cas = admin({"tenant-ca"});
    CHECK_THAT(cas.out, Catch::Contains("\"state\": \"active\""));
    CHECK_THAT(cas.out, Catch::Contains("\"state\": \"trusted\""));
}

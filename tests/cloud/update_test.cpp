// Deployments and signed update manifests against the real service process (issue 7 item 3;
// SCENARIOS.md U1, U6, U7, U10): products and their groups, OS feeds, update policies, the
// manifest a device's group gets (signed with the update key, verifiable without the
// service), its version and expiry, freezing and replay.
#include <unistd.h>

#include <cstdlib>

#include <catch2/catch.hpp>

#include "common/util/subprocess.h"
#include "update_fixture.h"

using namespace svp;
using namespace svp::test;

namespace {

struct Release {
    SignedImage kernel = component_image(image::ImageType::os_kernel, kKernelComponent, "2.0.0", "kernel 2");
    SignedImage rootfs = component_image(image::ImageType::rootfs, kRootfsComponent, "2.0.0", "rootfs 2");
    SignedImage app = component_image(image::ImageType::application, kAppComponent, "1.1.0", "app 1.1");
    std::vector<SignedImage> all() const { return {kernel, rootfs, app}; }
};

// Product "Thermostat" with the kernel and rootfs on the Retail feed and the app deployed to
// Field Test, and one device claimed there.
struct Deployed {
    UpdateFixture f;
    Release release;
    AttestedDevice device;
    explicit Deployed(std::vector<std::string> extra = {}) : f(std::move(extra)) {
        f.upload(release.all());
        f.create_product();
        f.publish_os("Retail", {release.kernel, release.rootfs});
        f.deploy("Field Test", {measurement_of(release.app)});
        device = f.attested();
        f.claim(device, "Field Test");
    }
};

void require_refused(const cloud::CloudResponse& r, unsigned status, const std::string& reason) {
    INFO(r.body);
    CHECK(r.status == status);
    CHECK(r.error() == reason);
}

std::string find_program(const std::string& name) {
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin";
    for (std::size_t at = 0; at <= path.size();) {
        auto end = path.find(':', at);
        if (end == std::string::npos) end = path.size();
        auto candidate = std::filesystem::path(path.substr(at, end - at)) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
        at = end + 1;
    }
    FAIL("no " << name << " on PATH");
    return name;
}

std::vector<std::string> components(const protocol::SignedManifest& m) {
    std::vector<std::string> out;
    for (const auto& i : m.body.images) out.push_back(i.component);
    return out;
}

}  // namespace

TEST_CASE("a new product gets the five default device groups with their feeds and policies") {
    UpdateFixture f;
    auto created = f.admin("POST", "/admin/v1/products", {{"name", "Thermostat"}, {"product_id", kProduct}});
    CHECK(created.at("product_id") == kProduct);
    auto groups = f.admin("GET", "/admin/v1/products/Thermostat/groups").at("groups");
    REQUIRE(groups.size() == 5);
    std::vector<std::tuple<std::string, std::string, std::string>> expected = {
        {"Development", "Retail", "No3rdPartyAppUpdates"},
        {"Field Test", "Retail", "UpdateAll"},
        {"Field Test OS Evaluation", "RetailEval", "UpdateAll"},
        {"Production", "Retail", "UpdateAll"},
        {"Production OS Evaluation", "RetailEval", "UpdateAll"}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CHECK(groups[i]["name"] == std::get<0>(expected[i]));
        CHECK(groups[i]["os_feed"] == std::get<1>(expected[i]));
        CHECK(groups[i]["update_policy"] == std::get<2>(expected[i]));
        CHECK(groups[i]["manifest_lifetime_s"] == 7 * 86400);
    }
    // By GUID as well as by name; a product without a GUID gets a fresh one.
    CHECK(f.admin("GET", "/admin/v1/products/" + kProduct + "/groups").at("groups").size() == 5);
    auto other = f.admin("POST", "/admin/v1/products", {{"name", "Doorbell"}});
    CHECK(other.at("product_id").get<std::string>().size() == 36);
    auto products = f.admin("GET", "/admin/v1/products").at("products");
    REQUIRE(products.size() == 3);
    CHECK(products[0]["name"] == "Unassigned");

    // Groups of one's own, and settings.
    auto canary = f.admin("POST", "/admin/v1/products/Thermostat/groups",
                          {{"name", "Canary"}, {"os_feed", "RetailEval"}, {"manifest_lifetime_s", 3600}});
    CHECK(canary.at("update_policy") == "UpdateAll");
    auto changed = f.admin("PATCH", UpdateFixture::group_path("Canary"), {{"update_policy", "NoUpdates"}});
    CHECK(changed.at("update_policy") == "NoUpdates");
    CHECK(changed.at("os_feed") == "RetailEval");
    CHECK(f.count(ev::cloud_admin_product_created) == 2);
    CHECK(f.count(ev::cloud_admin_group_updated) == 1);

    // What is already there, or not there, or not a setting.
    require_refused(f.admin_raw("POST", "/admin/v1/products", {{"name", "Thermostat"}}), 409, "conflict");
    require_refused(f.admin_raw("POST", "/admin/v1/products", {{"name", "Clone"}, {"product_id", kProduct}}), 409, "conflict");
    require_refused(f.admin_raw("POST", "/admin/v1/products/Thermostat/groups", {{"name", "Production"}}), 409, "conflict");
    require_refused(f.admin_raw("GET", "/admin/v1/products/Toaster/groups"), 404, "not-found");
    require_refused(f.admin_raw("PATCH", UpdateFixture::group_path("Canary"), {{"os_feed", "Beta"}}), 400, "malformed");
    require_refused(f.admin_raw("PATCH", UpdateFixture::group_path("Canary"), {{"update_polcy", "NoUpdates"}}), 400, "malformed");
    require_refused(f.admin_raw("PATCH", UpdateFixture::group_path("Canary"), {{"manifest_lifetime_s", 5}}), 400, "malformed");
    require_refused(f.admin_raw("PATCH", UpdateFixture::group_path("Nowhere"), {{"update_policy", "UpdateAll"}}), 404, "not-found");
}

TEST_CASE("a device's update check returns its group's manifest, signed with the update key and verifiable without the service") {
    Deployed d;
    auto& f = d.f;
    auto client = f.client(d.device);
    auto m = f.manifest(client);

    // The update key the ready line names, and the same key over TLS.
    auto key = f.update_key();
    CHECK(m.verify(key));
    auto served_key = f.cloud->anonymous().get("/v1/update-key").json();
    CHECK(served_key.at("pem") == key.pem());
    CHECK(served_key.at("key_id") == to_hex(ByteView(key.key_id())));
    CHECK(to_hex(ByteView(m.key_id)) == to_hex(ByteView(key.key_id())));
    // Not by any other key: not the tenant CA's, not a fresh one.
    CHECK_FALSE(m.verify(crypto::EcPrivateKey::generate().public_key()));

    // Independently of this code base: the openssl tool verifies the signature over the
    // canonical body with the public key file.
    TempDir tmp;
    write_file(tmp / "body.json", as_bytes(m.body.canonical()));
    write_file(tmp / "sig.der", crypto::signature_to_der(m.signature));
    auto openssl = Subprocess::start({find_program("openssl"), "dgst", "-sha256", "-verify", f.cloud->ready().at("update_key").get<std::string>(),
                                      "-signature", (tmp / "sig.der").string(), (tmp / "body.json").string()});
    CHECK(openssl.read_all().find("Verified OK") != std::string::npos);
    CHECK(openssl.wait() == 0);

    // What it says: this product and group, the Retail OS then the deployment, exact sizes and names.
    CHECK(m.body.product == kProduct);
    CHECK(m.body.device_group == "Field Test");
    CHECK(m.body.version >= 1);
    CHECK(m.body.expires == f.now_s() + 7 * 86400);
    REQUIRE(m.body.images.size() == 3);
    const std::vector<SignedImage> expected = {d.release.kernel, d.release.rootfs, d.release.app};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO(i);
        const auto& img = m.body.images[i];
        auto header = image::parse_image(expected[i].bytes).header;
        CHECK(img.component == image::to_string(header.component_id));
        CHECK(img.image_type == static_cast<std::uint16_t>(header.type));
        CHECK(img.version == image::version_to_string(header.version));
        CHECK(img.counter == header.security_counter);
        CHECK(img.size == expected[i].bytes.size());
        CHECK(img.sha256 == sha256_of(expected[i]));
        CHECK(img.measurement == measurement_of(expected[i]));
        CHECK(img.requires_.empty());
    }
    CHECK(f.count(ev::cloud_update_signed) == 1);
    CHECK(f.count(ev::cloud_update_checked) == 1);

    // The check recorded what the device runs.
    f.check(client, UpdateFixture::installed({d.release.kernel}));
    auto devices = f.admin("GET", "/admin/v1/devices").at("devices");
    CHECK(devices[0]["group"] == "Field Test");
    CHECK(devices[0]["product"] == "Thermostat");
    CHECK(devices[0]["installed"][0]["component"] == kKernelComponent);
}

TEST_CASE("a group's manifest version only goes up: re-signed when its content changes or half its lifetime has passed") {
    Deployed d;
    auto& f = d.f;
    auto client = f.client(d.device);
    const auto v1 = f.manifest(client).body.version;
    f.advance(kHour);
    CHECK(f.manifest(client).body.version == v1);  // nothing changed: the same signed manifest

    auto app2 = component_image(image::ImageType::application, kAppComponent, "1.2.0", "app 1.2");
    f.upload({app2});
    f.deploy("Field Test", {measurement_of(app2)});
    auto m2 = f.manifest(client);
    CHECK(m2.body.version > v1);
    CHECK(m2.body.images.back().version == "1.2.0");

    // Refreshed once half of the seven days have gone, so a device that checks daily never
    // holds an expired manifest.
    f.advance(3 * 24 * kHour);
    client = f.renew(d.device);
    CHECK(f.manifest(client).body.version == m2.body.version);
    f.advance(12 * kHour);
    client = f.renew(d.device);
    auto m3 = f.manifest(client);
    CHECK(m3.body.version > m2.body.version);
    CHECK(m3.body.expires == f.now_s() + 7 * 86400);

    // A shorter lifetime for the group applies at once.
    f.admin("PATCH", UpdateFixture::group_path("Field Test"), {{"manifest_lifetime_s", 3600}});
    auto m4 = f.manifest(client);
    CHECK(m4.body.version > m3.body.version);
    CHECK(m4.body.expires == f.now_s() + 3600);
    CHECK(f.count(ev::cloud_update_signed) == 4);
}

TEST_CASE("update policies: NoUpdates gives an empty image list, No3rdPartyAppUpdates only the OS") {
    Deployed d;
    auto& f = d.f;
    auto client = f.client(d.device);
    CHECK(f.manifest(client).body.images.size() == 3);

    f.admin("PATCH", UpdateFixture::group_path("Field Test"), {{"update_policy", "No3rdPartyAppUpdates"}});
    auto os_only = f.manifest(client);
    CHECK(components(os_only) == std::vector<std::string>{kKernelComponent, kRootfsComponent});

    f.admin("PATCH", UpdateFixture::group_path("Field Test"), {{"update_policy", "NoUpdates"}});
    auto none = f.manifest(client);
    CHECK(none.body.images.empty());
    CHECK(none.body.version > os_only.body.version);
    CHECK(none.verify(f.update_key()));

    // The Development group takes no cloud app updates by default.
    f.deploy("Development", {measurement_of(d.release.app)});
    f.claim(d.device, "Development");
    CHECK(components(f.manifest(client)) == std::vector<std::string>{kKernelComponent, kRootfsComponent});
}

TEST_CASE("a group follows its OS feed: RetailEval gets an OS release before Retail") {
    Deployed d;
    auto& f = d.f;
    auto kernel3 = component_image(image::ImageType::os_kernel, kKernelComponent, "3.0.0", "kernel 3");
    f.upload({kernel3});
    f.publish_os("RetailEval", {kernel3, d.release.rootfs});
    auto client = f.client(d.device);
    CHECK(f.manifest(client).body.images[0].version == "2.0.0");  // Field Test: Retail
    f.claim(d.device, "Field Test OS Evaluation");
    auto eval = f.manifest(client);
    CHECK(eval.body.device_group == "Field Test OS Evaluation");
    CHECK(eval.body.images[0].version == "3.0.0");
    auto feeds = f.admin("GET", "/admin/v1/os-feeds").at("feeds");
    CHECK(feeds[0]["name"] == "Retail");
    CHECK(feeds[1]["releases"].size() == 1);

    // OS releases take OS images only, on feeds that exist.
    require_refused(f.admin_raw("POST", "/admin/v1/os-feeds/Retail/releases", {{"images", {measurement_of(d.release.app)}}}),
                    400, "wrong-image-type");
    require_refused(f.admin_raw("POST", "/admin/v1/os-feeds/Beta/releases", {{"images", {measurement_of(kernel3)}}}), 404,
                    "not-found");
    require_refused(f.admin_raw("POST", "/admin/v1/os-feeds/Retail/releases",
                                {{"images", {measurement_of(kernel3), measurement_of(d.release.kernel)}}}),
                    400, "duplicate-component");
}

TEST_CASE("an app that needs OS >= N carries that requirement into the manifest") {
    Deployed d;
    auto& f = d.f;
    // One requirement given at deployment, one the image itself carries under its signature.
    auto app = component_image(image::ImageType::application, kAppComponent, "2.0.0", "app needing os 3",
                               R"({"requires":[{"component":")" + kRootfsComponent + R"(","min_version":"1.5.0"}]})");
    auto rt = component_image(image::ImageType::rt_firmware, kApp2Component, "1.0.0", "rt firmware");
    f.upload({app, rt});
    auto deployed = f.deploy("Field Test", {measurement_of(app), nlohmann::json{{"id", sha256_of(rt)}}},
                             {{{"component", kKernelComponent}, {"min_version", "3.0.0"}}});
    CHECK(deployed.at("deployment") == 2);
    auto m = f.manifest(f.client(d.device));
    REQUIRE(m.body.images.size() == 4);
    const auto& a = m.body.images[2];
    REQUIRE(a.requires_.size() == 2);
    CHECK(a.requires_[0].component == kKernelComponent);
    CHECK(a.requires_[0].min_version == "3.0.0");
    CHECK(a.requires_[1].component == kRootfsComponent);
    CHECK(a.requires_[1].min_version == "1.5.0");
    CHECK(m.body.images[3].requires_.size() == 1);  // the deployment-wide one

    // The highest minimum wins when two sources name the same component.
    f.deploy("Field Test", {{{"id", measurement_of(app)}, {"requires", {{{"component", kRootfsComponent}, {"min_version", "2.1.0"}}}}}});
    auto m2 = f.manifest(f.client(d.device));
    REQUIRE(m2.body.images[2].requires_.size() == 1);
    CHECK(m2.body.images[2].requires_[0].min_version == "2.1.0");
}

TEST_CASE("deployments refuse images of another product or type, unknown ids and two images of one component") {
    Deployed d;
    auto& f = d.f;
    auto foreign = component_image(image::ImageType::application, kAppComponent, "1.0.0", "foreign", "{}", kOtherProduct);
    auto app_again = component_image(image::ImageType::application, kAppComponent, "1.0.1", "app again");
    f.upload({foreign, app_again});
    const auto path = UpdateFixture::group_path("Production") + "/deployments";
    require_refused(f.admin_raw("POST", path, {{"images", {measurement_of(foreign)}}}), 400, "wrong-product");
    require_refused(f.admin_raw("POST", path, {{"images", {measurement_of(d.release.kernel)}}}), 400, "wrong-image-type");
    require_refused(f.admin_raw("POST", path, {{"images", {std::string(64, 'e')}}}), 400, "unknown-image");
    require_refused(f.admin_raw("POST", path, {{"images", {measurement_of(d.release.app), measurement_of(app_again)}}}), 400,
                    "duplicate-component");
    require_refused(f.admin_raw("POST", path, {{"images", {measurement_of(d.release.app)}}, {"requires", {{{"component", "x"}}}}}),
                    400, "malformed");
    require_refused(f.admin_raw("POST", path, {{"images", "all"}}), 400, "malformed");
    CHECK(f.admin("GET", path).at("deployments").empty());
    // An empty deployment is a deployment: no apps.
    CHECK(f.deploy("Production", nlohmann::json::array()).at("deployment") == 1);
}

TEST_CASE("an unclaimed device lands in the default group, which the operator may choose") {
    UpdateFixture f;
    Release release;
    f.upload(release.all());
    f.publish_os("Retail", {release.kernel, release.rootfs});
    auto device = f.attested();
    auto client = f.client(device);
    auto m = f.manifest(client);
    CHECK(m.body.product == "00000000-0000-0000-0000-000000000000");
    CHECK(m.body.device_group == "Unassigned");
    CHECK(components(m) == std::vector<std::string>{kKernelComponent, kRootfsComponent});  // OS updates only

    f.create_product();
    f.deploy("Production", {measurement_of(release.app)});
    f.admin("PUT", "/admin/v1/default-group", {{"product", "Thermostat"}, {"group", "Production"}});
    CHECK(f.admin("GET", "/admin/v1/default-group").at("group") == "Production");
    auto m2 = f.manifest(client);
    CHECK(m2.body.device_group == "Production");
    CHECK(m2.body.images.size() == 3);
    // Moving to another group never shows a device a lower version than it has seen.
    CHECK(m2.body.version > m.body.version);
}

TEST_CASE("a device moved into a group with an older manifest still never meets a lower version") {
    Deployed d;
    auto& f = d.f;
    auto other = f.attested();
    f.claim(other, "Production");
    auto old_in_field_test = f.manifest(f.client(d.device)).body.version;  // Field Test signs first
    auto client = f.client(other);
    auto seen = f.manifest(client).body.version;                           // then Production, higher
    REQUIRE(seen > old_in_field_test);
    f.claim(other, "Field Test");  // Field Test's stored manifest is older than what `other` has seen
    auto after = f.manifest(client);
    CHECK(after.body.device_group == "Field Test");
    CHECK(after.body.version > seen);
    // The same when the default group changes under unclaimed devices.
    auto unclaimed = f.attested();
    auto uc = f.client(unclaimed);
    auto v_unassigned = f.manifest(uc).body.version;
    f.admin("PUT", "/admin/v1/default-group", {{"product", "Thermostat"}, {"group", "Production"}});
    CHECK(f.manifest(uc).body.version > v_unassigned);
}

TEST_CASE("a frozen group's manifest is no longer re-signed and expires, and unfreezing re-signs it") {
    Deployed d;
    auto& f = d.f;
    auto client = f.client(d.device);
    const auto before = f.manifest(client);
    auto frozen = f.admin("POST", UpdateFixture::group_path("Field Test") + "/freeze");
    CHECK(frozen.at("frozen") == true);

    // Eight days later, and after a new deployment: the same manifest, now expired.
    auto app2 = component_image(image::ImageType::application, kAppComponent, "1.2.0", "app 1.2");
    f.upload({app2});
    f.deploy("Field Test", {measurement_of(app2)});
    f.advance(8 * 24 * kHour);
    client = f.renew(d.device);
    auto r = f.check(client);
    REQUIRE(r.status == 200);
    auto stale = protocol::SignedManifest::from_json(r.json().at("manifest"));
    CHECK(stale.body.version == before.body.version);
    CHECK(stale.body.expires < f.now_s());
    CHECK(stale.verify(f.update_key()));  // still validly signed: only its expiry gives it away (U7)
    bool saw_expired = false;
    for (const auto& e : f.events())
        if (e.is(ev::cloud_update_checked) && e.fields.value("expired", false)) saw_expired = true;
    CHECK(saw_expired);

    f.admin("POST", UpdateFixture::group_path("Field Test") + "/unfreeze");
    auto fresh = f.manifest(client);
    CHECK(fresh.body.version > before.body.version);
    CHECK(fresh.body.expires == f.now_s() + 7 * 86400);
    CHECK(fresh.body.images.back().version == "1.2.0");
}

TEST_CASE("freezing a group that has no manifest yet signs one first") {
    Deployed d;
    auto& f = d.f;
    f.admin("POST", UpdateFixture::group_path("Field Test") + "/freeze");
    auto list = f.admin("GET", UpdateFixture::group_path("Field Test") + "/manifests");
    CHECK(list.at("frozen") == true);
    REQUIRE(list.at("manifests").size() == 1);
    CHECK(f.manifest(f.client(d.device)).body.version == list["manifests"][0]["version"].get<std::uint64_t>());
}

TEST_CASE("every manifest signed is kept: an operator fetches an old one exactly as it was served, to replay it") {
    Deployed d;
    auto& f = d.f;
    auto client = f.client(d.device);
    auto first = f.check(client).json().at("manifest");
    auto app2 = component_image(image::ImageType::application, kAppComponent, "1.2.0", "app 1.2");
    f.upload({app2});
    f.deploy("Field Test", {measurement_of(app2)});
    auto second = f.check(client).json().at("manifest");

    const auto path = UpdateFixture::group_path("Field Test") + "/manifests";
    auto list = f.admin("GET", path).at("manifests");
    REQUIRE(list.size() == 2);
    CHECK(list[0]["version"] == first["signed"]["version"]);
    CHECK(list[1]["images"] == 3);
    auto old = f.admin("GET", path + "/" + std::to_string(first["signed"]["version"].get<std::uint64_t>()));
    CHECK(old.at("manifest") == first);  // byte for byte what the device got, signature included
    CHECK(protocol::SignedManifest::from_json(old.at("manifest")).verify(f.update_key()));
    CHECK(f.admin("GET", path + "/" + std::to_string(second["signed"]["version"].get<std::uint64_t>())).at("manifest") == second);
    require_refused(f.admin_raw("GET", path + "/999"), 404, "not-found");
    require_refused(f.admin_raw("GET", path + "/one"), 400, "malformed");
}

TEST_CASE("update checks need the device certificate and a well-formed list of what is installed") {
    Deployed d;
    auto& f = d.f;
    require_refused(f.cloud->anonymous().post_json("/v1/updates/check", UpdateFixture::installed()), 401,
                    "client-certificate-required");
    auto client = f.client(d.device);
    for (const auto& body : std::vector<nlohmann::json>{
             {{"installed", "all"}},
             {{"installed", {5}}},
             {{"installed", {{{"component", "x"}, {"type", 7}, {"version", "1.0.0"}, {"counter", 0}}}}},
             {{"installed", {{{"component", kKernelComponent}, {"type", 7}, {"version", "1.0"}, {"counter", 0}}}}},
             {{"installed", {{{"component", kKernelComponent}, {"type", 70000}, {"version", "1.0.0"}, {"counter", 0}}}}},
             {{"installed", {{{"component", kKernelComponent}, {"type", 7}, {"version", "1.0.0"}, {"counter", -1}}}}},
             {{"installed", nlohmann::json(std::vector<nlohmann::json>(65, UpdateFixture::installed({d.release.kernel})["installed"][0]))}},
         })
        require_refused(f.check(client, body), 400, "malformed");
    CHECK(f.count(ev::cloud_update_refused, "malformed") == 7);
    CHECK(f.check(client).status == 200);
}

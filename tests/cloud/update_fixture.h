// What the update, report and security-state tests share: images with their own components,
// types and products (as a product's OS and apps are), an attested device with its mutual-TLS
// client, and the admin steps of the deployment model.
#pragma once

#include <optional>

#include "cloud_fixture.h"
#include "common/protocol/updates.h"

namespace svp::test {

// The product make_image() builds for, so the boot chain belongs to it too.
inline const std::string kProduct = "0e9e3c1a-7b5d-4f3a-8d2c-ba9876543210";
inline const std::string kOtherProduct = "5b7f3a10-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
inline const std::string kKernelComponent = "11111111-0000-4000-8000-000000000001";
inline const std::string kRootfsComponent = "11111111-0000-4000-8000-000000000002";
inline const std::string kAppComponent = "22222222-0000-4000-8000-000000000001";
inline const std::string kApp2Component = "22222222-0000-4000-8000-000000000002";

// A signed image of one component: `label` makes its bytes (and measurement) unique.
inline SignedImage component_image(image::ImageType type, const std::string& component, const std::string& version,
                                   const std::string& label, const std::string& protected_json = "{}",
                                   const std::string& product = kProduct, std::size_t padding = 0) {
    static const auto signer = crypto::EcPrivateKey::generate();
    image::ImageHeader h;
    h.type = type;
    h.component_id = image::guid_from_string(component);
    h.product_id = image::guid_from_string(product);
    h.version = image::version_from_string(version);
    h.security_counter = h.version >> 24;
    std::string payload = "payload of " + label + std::string(padding, 'p');
    auto bytes = image::sign_image(image::pack_image(h, as_bytes(payload), protected_json), signer);
    return {bytes, type, image::parse_image(bytes).measurement()};
}

inline std::string measurement_of(const SignedImage& image) { return to_hex(ByteView(image.measurement)); }
inline std::string sha256_of(const SignedImage& image) { return to_hex(ByteView(crypto::sha256(image.bytes))); }

struct AttestedDevice {
    TestDevice device;
    std::string certificate;
};

class UpdateFixture : public CloudFixture {
public:
    explicit UpdateFixture(std::vector<std::string> extra = {}) : CloudFixture(std::move(extra)) {
        upload(chain);
    }

    AttestedDevice attested() { return attested(TestDevice()); }
    AttestedDevice attested(TestDevice device) {
        AttestedDevice d{std::move(device), {}};
        auto r = attest(d.device, chain);
        INFO(r.body);
        REQUIRE(r.status == 200);
        d.certificate = r.json().at("certificate").get<std::string>();
        return d;
    }
    cloud::CloudClient client(const AttestedDevice& d) { return cloud->device(d.certificate, d.device.key().pem()); }
    // Daily attestation: a fresh 24-hour certificate, and a client that uses it.
    cloud::CloudClient renew(AttestedDevice& d) {
        d = attested(d.device);
        return client(d);
    }

    // Admin requests that must succeed; the response body.
    nlohmann::json admin(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr) {
        auto r = cloud->admin().request(method, path, body.is_null() ? std::string() : body.dump());
        INFO(method << " " << path << " -> " << r.status << " " << r.body);
        REQUIRE(r.ok());
        return r.json();
    }
    cloud::CloudResponse admin_raw(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr) {
        return cloud->admin().request(method, path, body.is_null() ? std::string() : body.dump());
    }

    void create_product(const std::string& name = "Thermostat", const std::string& id = kProduct) {
        admin("POST", "/admin/v1/products", {{"name", name}, {"product_id", id}});
    }
    void claim(const AttestedDevice& d, const std::string& group, const std::string& product = "Thermostat") {
        admin("POST", "/admin/v1/devices/" + d.device.id() + "/claim", {{"product", product}, {"group", group}});
    }
    static std::string group_path(const std::string& group, const std::string& product = "Thermostat") {
        std::string encoded;
        for (char c : group) encoded += c == ' ' ? std::string("%20") : std::string(1, c);
        return "/admin/v1/products/" + product + "/groups/" + encoded;
    }
    nlohmann::json deploy(const std::string& group, const nlohmann::json& images, const nlohmann::json& requires_ = nullptr) {
        nlohmann::json body = {{"images", images}};
        if (!requires_.is_null()) body["requires"] = requires_;
        return admin("POST", group_path(group) + "/deployments", body);
    }
    void publish_os(const std::string& feed, const std::vector<SignedImage>& images) {
        nlohmann::json ids = nlohmann::json::array();
        for (const auto& i : images) ids.push_back(measurement_of(i));
        admin("POST", "/admin/v1/os-feeds/" + feed + "/releases", {{"images", ids}});
    }

    static nlohmann::json installed(const std::vector<SignedImage>& images = {}) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& img : images) {
            auto h = image::parse_image(img.bytes).header;
            list.push_back({{"component", image::to_string(h.component_id)},
                            {"type", static_cast<int>(h.type)},
                            {"version", image::version_to_string(h.version)},
                            {"counter", h.security_counter}});
        }
        return {{"installed", list}};
    }
    cloud::CloudResponse check(cloud::CloudClient& client, const nlohmann::json& body = installed()) {
        return client.post_json("/v1/updates/check", body);
    }
    // A check that must succeed: the manifest, parsed with the contract's own parser.
    protocol::SignedManifest manifest(cloud::CloudClient&& client) { return manifest(client); }
    protocol::SignedManifest manifest(cloud::CloudClient& client) {
        auto r = check(client);
        INFO(r.body);
        REQUIRE(r.status == 200);
        return protocol::SignedManifest::from_json(r.json().at("manifest"));
    }

    crypto::EcPublicKey update_key() const {
        return crypto::EcPublicKey::from_pem(read_text_file(cloud->ready().at("update_key").get<std::string>()));
    }
    std::int64_t now_s() { return clock.read().unix_ns() / 1'000'000'000; }

    std::vector<SignedImage> chain = boot_chain();
};

}  // namespace svp::test

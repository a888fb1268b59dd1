// What the device side does in the attestation protocol, done here with the same common/
// library: an identity key, signed boot images and their measurements, and quotes signed
// with the identity key exactly as the security subsystem signs them.
#pragma once

#include <string>
#include <vector>

#include "common/crypto/ec_key.h"
#include "common/image/image_format.h"
#include "common/protocol/attestation.h"

namespace svp::test {

struct SignedImage {
    Bytes bytes;
    image::ImageType type;
    crypto::Digest measurement;
};

// A signed image of `type` whose payload makes its measurement unique to `label`, padded
// with `payload_padding` more bytes to make it large.
inline SignedImage make_image(image::ImageType type, const std::string& label, const std::string& version = "1.0.0",
                              std::size_t payload_padding = 0) {
    static const auto signer = crypto::EcPrivateKey::generate();
    image::ImageHeader h;
    h.type = type;
    h.component_id = image::guid_from_string("6d1c6c7e-2f1c-4d7a-9c1e-0123456789ab");
    h.product_id = image::guid_from_string("0e9e3c1a-7b5d-4f3a-8d2c-ba9876543210");
    h.version = image::version_from_string(version);
    std::string payload = "payload of " + label + std::string(payload_padding, 'p');
    auto packed = image::pack_image(h, as_bytes(payload), R"({"name":")" + label + R"("})");
    auto bytes = image::sign_image(packed, signer);
    auto parsed = image::parse_image(bytes);
    return {bytes, type, parsed.measurement()};
}

class TestDevice {
public:
    TestDevice() : key_(crypto::EcPrivateKey::generate()) {}
    explicit TestDevice(crypto::EcPrivateKey key) : key_(std::move(key)) {}

    std::string id() const { return protocol::device_id(key_.public_key().raw()); }
    const crypto::EcPrivateKey& key() const { return key_; }

    // A quote over `nonce_hex` naming the measurements of `images`, signed with this device's key.
    protocol::Quote quote(const std::string& nonce_hex, const std::vector<SignedImage>& images) const {
        protocol::Quote q;
        q.nonce = from_hex(nonce_hex);
        q.device_key = key_.public_key().raw();
        for (const auto& img : images) {
            protocol::Measurement m;
            m.image_type = static_cast<std::uint16_t>(img.type);
            m.stage = std::string(image::to_string(img.type));
            m.digest = img.measurement;
            q.measurements.push_back(m);
        }
        q.signature = key_.sign_digest(q.digest());
        return q;
    }

private:
    crypto::EcPrivateKey key_;
};

}  // namespace svp::test

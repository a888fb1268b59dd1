// The signed update manifest: what the cloud signs is exactly what the device verifies, and
// any change to it, or a key the device does not trust, fails verification.
#include <catch2/catch.hpp>

#include "common/protocol/updates.h"
#include "common/util/input_error.h"

using namespace svp;
using namespace svp::protocol;

namespace {
ManifestBody sample() {
    ManifestBody b;
    b.version = 12;
    b.expires = 1'767'312'000;
    b.product = "7e1c0d4a-5b2f-4c3e-9a61-0f5d2b8c9e01";
    b.device_group = "Production";
    ManifestImage os{"3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f102", 7, "2.0.0", 2, 4096, std::string(64, 'a'), std::string(64, 'b'), {}};
    ManifestImage app{"3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f1a1", 10, "1.1.0", 0, 1000, std::string(64, 'c'), std::string(64, 'd'),
                      {{"3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f102", "2.0.0"}}};
    b.images = {os, app};
    return b;
}
}  // namespace

TEST_CASE("a signed manifest survives JSON and verifies with the signing key only") {
    auto key = crypto::EcPrivateKey::generate();
    auto m = SignedManifest::sign(sample(), key);
    auto again = SignedManifest::from_json(nlohmann::json::parse(m.to_json().dump()));
    CHECK(again.verify(key.public_key()));
    CHECK(again.body.images[1].requires_[0].min_version == "2.0.0");
    CHECK_FALSE(again.verify(crypto::EcPrivateKey::generate().public_key()));
    again.body.version = 13;  // any change to what was signed
    CHECK_FALSE(again.verify(key.public_key()));
}

TEST_CASE("the canonical form does not depend on how the JSON was written") {
    auto text = sample().to_json().dump(4);
    CHECK(ManifestBody::from_json(nlohmann::json::parse(text)).canonical() == sample().canonical());
}

TEST_CASE("malformed manifests and reports are refused naming the field") {
    auto j = SignedManifest::sign(sample(), crypto::EcPrivateKey::generate()).to_json();
    j["signed"]["images"][0]["type"] = -1;
    CHECK_THROWS_AS(SignedManifest::from_json(j), InputError);
    j = SignedManifest::sign(sample(), crypto::EcPrivateKey::generate()).to_json();
    j["signature"] = "abcd";
    CHECK_THROWS_AS(SignedManifest::from_json(j), InputError);
    CHECK_THROWS_AS(FailureReport::from_json({{"seq", 1}, {"app", std::string(100, 'x')}, {"kind", "crash"}, {"status", 11}, {"time_ms", 0}}),
                    InputError);
    CHECK_THROWS_AS(Installed::from_json({{"component", "x"}}), InputError);
}

// The signed image format: packing, signing, and a refusal with its own reason for every
// malformed field.
#include <catch2/catch.hpp>

#include <cstring>

#include "common/image/image_format.h"

using namespace svp;
using namespace svp::image;

namespace {

ImageHeader sample_header() {
    ImageHeader h;
    h.type = ImageType::os_kernel;
    h.component_id = guid_from_string("0a1b2c3d-0000-4000-8000-000000000001");
    h.product_id = guid_from_string("0a1b2c3d-0000-4000-8000-0000000000ff");
    h.version = version_from_string("1.2.3");
    h.security_counter = 4;
    h.load_address = 0x80000000;
    h.entry_point = 0x80000100;
    return h;
}

Bytes signed_sample(const crypto::EcPrivateKey& key) {
    Bytes payload(1000);
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 7);
    return sign_image(pack_image(sample_header(), payload, R"({"name":"kernel"})"), key);
}

FormatError error_of(ByteView bytes) {
    try {
        parse_image(bytes);
    } catch (const ImageFormatError& e) {
        return e.code();
    }
    FAIL("image was accepted");
    return FormatError::truncated;
}

}  // namespace

TEST_CASE("a packed and signed image parses back to the same header and verifies") {
    auto key = crypto::EcPrivateKey::generate();
    auto bytes = signed_sample(key);
    auto img = parse_image(bytes);
    CHECK(img.header.type == ImageType::os_kernel);
    CHECK(to_string(img.header.component_id) == "0a1b2c3d-0000-4000-8000-000000000001");
    CHECK(version_to_string(img.header.version) == "1.2.3");
    CHECK(img.header.security_counter == 4);
    CHECK(img.header.entry_point == 0x80000100);
    CHECK(img.payload.size() == 1000);
    CHECK(img.protected_area == R"({"name":"kernel"})");
    CHECK(img.image_size == bytes.size());
    CHECK(img.signature.key_id() == key.public_key().key_id());
    CHECK(signature_matches(img));
    // The measurement is independent of the signature: re-signing keeps it.
    auto resigned = sign_image(bytes, crypto::EcPrivateKey::generate());
    CHECK(parse_image(resigned).measurement() == img.measurement());
}

TEST_CASE("a flipped byte anywhere in the signed region breaks the signature") {
    auto key = crypto::EcPrivateKey::generate();
    auto bytes = signed_sample(key);
    auto signed_size = parse_image(bytes).signed_region.size();
    for (std::size_t at : {std::size_t{70}, kHeaderSize + 5, signed_size - 1}) {
        auto copy = bytes;
        copy[at] ^= 0x80;
        // Either a header field is now malformed (a refusal too) or the signature fails.
        bool accepted = false;
        try {
            accepted = signature_matches(parse_image(copy));
        } catch (const ImageFormatError&) {
        }
        CHECK_FALSE(accepted);
    }
    auto copy = bytes;
    copy[bytes.size() - 3] ^= 1;  // inside the signature itself
    CHECK_FALSE(signature_matches(parse_image(copy)));
}

TEST_CASE("bytes appended after an image are ignored, not measured") {
    auto key = crypto::EcPrivateKey::generate();
    auto bytes = signed_sample(key);
    auto m = parse_image(bytes).measurement();
    bytes.insert(bytes.end(), {0xde, 0xad, 0xbe, 0xef});
    auto img = parse_image(bytes);
    CHECK(img.measurement() == m);
    CHECK(img.image_size == bytes.size() - 4);
    CHECK(signature_matches(img));
}

TEST_CASE("each malformed field is refused with its own reason") {
    auto key = crypto::EcPrivateKey::generate();
    const auto good = signed_sample(key);
    auto with = [&](auto edit) {
        auto b = good;
        edit(b);
        return b;
    };
    CHECK(error_of(Bytes(good.begin(), good.begin() + 100)) == FormatError::truncated);
    CHECK(error_of(Bytes(good.begin(), good.end() - 1)) == FormatError::truncated);
    CHECK(error_of(with([](Bytes& b) { b[0] = 'X'; })) == FormatError::bad_magic);
    CHECK(error_of(with([](Bytes& b) { b[4] = 2; })) == FormatError::unsupported_version);
    CHECK(error_of(with([](Bytes& b) { b[6] = 64; })) == FormatError::bad_header_size);
    CHECK(error_of(with([](Bytes& b) { b[8] = 99; })) == FormatError::unknown_image_type);
    CHECK(error_of(with([](Bytes& b) { b[10] = 0x80; })) == FormatError::reserved_not_zero);
    CHECK(error_of(with([](Bytes& b) { b[100] = 1; })) == FormatError::reserved_not_zero);
    CHECK(error_of(with([](Bytes& b) { b[55] = 0x7f; })) == FormatError::oversized);  // payload size
    CHECK(error_of(with([](Bytes& b) { b[58] = 0x7f; })) == FormatError::oversized);  // protected size
    const auto sig_at = good.size() - kSignatureBlockSize;
    CHECK(error_of(with([&](Bytes& b) { b[sig_at] = 0; })) == FormatError::bad_signature_block);
    CHECK(error_of(with([&](Bytes& b) { b[sig_at + 4] = 2; })) == FormatError::unknown_algorithm);
    CHECK(error_of(with([&](Bytes& b) { b[sig_at - 1] = '!'; })) == FormatError::bad_protected_area);
}

TEST_CASE("versions and GUIDs parse strictly") {
    CHECK(version_from_string("21.2.7") == (21u << 24 | 2u << 16 | 7u));
    CHECK(version_to_string(version_from_string("0.0.65535")) == "0.0.65535");
    for (auto bad : {"", "1", "1.2", "1.2.3.4", "1..3", "256.0.0", "1.2.65536", "a.b.c", "1.2.3 "})
        CHECK_THROWS_AS(version_from_string(bad), InputError);
    CHECK_THROWS_AS(guid_from_string("0a1b2c3d00004000800000000000000001"), InputError);
    CHECK_THROWS_AS(guid_from_string("0a1b2c3d-0000-4000-8000-00000000000g"), InputError);
}

TEST_CASE("an unsigned (packed only) image does not match any signer") {
    auto packed = pack_image(sample_header(), Bytes(10), "");
    CHECK_FALSE(signature_matches(parse_image(packed)));
}

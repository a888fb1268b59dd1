// Crypto wrappers, checked against independent computations: known-answer vectors and the
// `openssl` command-line tool rather than the code under test.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>

#include "common/crypto/deterministic_random.h"
#include "common/crypto/ec_key.h"
#include "common/crypto/x509.h"
#include "common/util/input_error.h"

using namespace svp;
using namespace svp::crypto;

TEST_CASE("SHA-256 matches the FIPS 180-2 'abc' vector") {
    CHECK(to_hex(ByteView(sha256(std::string_view("abc")))) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("HMAC-SHA-256 matches RFC 4231 test case 2") {
    auto mac = hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"));
    CHECK(to_hex(ByteView(mac)) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("HKDF-SHA-256 matches RFC 5869 test case 1") {
    auto ikm = from_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    auto salt = from_hex("000102030405060708090a0b0c");
    auto info = from_hex("f0f1f2f3f4f5f6f7f8f9");
    CHECK(to_hex(hkdf_sha256(ikm, salt, info, 42)) ==
          "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST_CASE("ECDSA P-256 signatures verify, and a flipped bit does not") {
    auto key = EcPrivateKey::generate();
    auto digest = sha256(std::string_view("boot stage"));
    auto sig = key.sign_digest(digest);
    CHECK(key.public_key().verify_digest(digest, sig));
    auto bad = sig;
    bad[10] ^= 0x01;
    CHECK_FALSE(key.public_key().verify_digest(digest, bad));
    auto other = sha256(std::string_view("other stage"));
    CHECK_FALSE(key.public_key().verify_digest(other, sig));
}

TEST_CASE("a signature made here verifies with the openssl command-line tool") {
    auto dir = std::filesystem::temp_directory_path() / ("svp-crypto-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto key = EcPrivateKey::generate();
    std::string message = "measured boot";
    auto der = key.sign_digest_der(sha256(std::string_view(message)));
    write_file(dir / "msg", as_bytes(message));
    write_file(dir / "sig", der);
    write_file(dir / "pub.pem", as_bytes(key.public_key().pem()));
    auto cmd = "openssl dgst -sha256 -verify " + (dir / "pub.pem").string() + " -signature " +
               (dir / "sig").string() + " " + (dir / "msg").string() + " >/dev/null 2>&1";
    CHECK(std::system(cmd.c_str()) == 0);
    std::filesystem::remove_all(dir);
}

TEST_CASE("keys derived from the same seed are identical, different seeds differ") {
    auto seed = from_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    auto a = EcPrivateKey::from_seed(seed);
    auto b = EcPrivateKey::from_seed(seed);
    CHECK(a.public_key().raw() == b.public_key().raw());
    seed[0] ^= 1;
    CHECK(EcPrivateKey::from_seed(seed).public_key().raw() != a.public_key().raw());
    // An all-zero seed still gives a valid key (scalar 1 is the generator point).
    Bytes zero(32, 0);
    auto z = EcPrivateKey::from_seed(zero);
    auto d = sha256(std::string_view("x"));
    CHECK(z.public_key().verify_digest(d, z.sign_digest(d)));
}

TEST_CASE("PEM round trips keep the key") {
    auto key = EcPrivateKey::generate();
    auto again = EcPrivateKey::from_pem(key.pem());
    CHECK(again.public_key().raw() == key.public_key().raw());
    CHECK(EcPublicKey::from_pem(key.public_key().pem()).raw() == key.public_key().raw());
    CHECK_THROWS_AS(EcPrivateKey::from_pem("not a key"), InputError);
}

TEST_CASE("a raw public key that is not on the curve is refused") {
    Bytes junk(64, 0x42);
    CHECK_THROWS_AS(EcPublicKey::from_raw(junk), InputError);
    CHECK_THROWS_AS(EcPublicKey::from_raw(Bytes(63, 0)), InputError);
}

TEST_CASE("DER and raw signature encodings convert both ways") {
    auto key = EcPrivateKey::generate();
    auto digest = sha256(std::string_view("m"));
    auto raw = key.sign_digest(digest);
    CHECK(signature_from_der(signature_to_der(raw)) == raw);
    CHECK_THROWS_AS(signature_from_der(Bytes{0x30, 0x02, 0x01}), InputError);
}

TEST_CASE("the deterministic generator repeats for a seed and label, and differs otherwise") {
    DeterministicRandom a(7, "dev0"), b(7, "dev0"), c(8, "dev0"), d(7, "dev1");
    auto x = a.bytes(100);
    CHECK(x == b.bytes(100));
    CHECK(x != c.bytes(100));
    CHECK(x != d.bytes(100));
    for (int i = 0; i < 1000; ++i) {
        auto v = a.below(10);
        REQUIRE(v < 10);
        auto u = a.uniform();
        REQUIRE((u >= 0.0 && u < 1.0));
    }
}

TEST_CASE("a certificate chain verifies at a time inside its validity and not outside") {
    auto ca_key = EcPrivateKey::generate();
    CertificateRequest ca_req{.common_name = "tenant CA", .role = CertificateRole::authority,
                              .serial = {1}, .not_before = 1'700'000'000, .not_after = 1'800'000'000};
    auto ca = issue_certificate(ca_req, ca_key.public_key(), ca_key, nullptr);
    auto dev_key = EcPrivateKey::generate();
    const std::string device_id(128, 'a');  // Azure Sphere device ids are 128 hex characters
    CertificateRequest dev_req{.common_name = device_id, .role = CertificateRole::client,
                               .serial = {2, 3}, .not_before = 1'750'000'000,
                               .not_after = 1'750'000'000 + 24 * 3600};
    auto cert = issue_certificate(dev_req, dev_key.public_key(), ca_key, &ca);
    CHECK(cert.subject_common_name() == device_id);
    CHECK(cert.issuer_common_name() == "tenant CA");
    CHECK(cert.serial_hex() == "0203");
    CHECK(cert.not_after() - cert.not_before() == 24 * 3600);
    CHECK(cert.public_key().raw() == dev_key.public_key().raw());
    CHECK(ca.is_ca());
    CHECK_FALSE(cert.is_ca());
    CHECK_FALSE(verify_certificate(cert, ca, 1'750'000'100).has_value());
    auto expired = verify_certificate(cert, ca, 1'750'000'000 + 25 * 3600);
    REQUIRE(expired.has_value());
    CHECK(*expired == "certificate has expired");
    auto other_key = EcPrivateKey::generate();
    auto other_ca = issue_certificate(ca_req, other_key.public_key(), other_key, nullptr);
    CHECK(verify_certificate(cert, other_ca, 1'750'000'100).has_value());
    CHECK(Certificate::from_pem(cert.pem()).der() == cert.der());
}

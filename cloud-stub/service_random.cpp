#include "cloud-stub/service_random.h"

#include <openssl/rand.h>

#include "common/protocol/attestation.h"

namespace svp::cloud {

ServiceRandom ServiceRandom::system() { return ServiceRandom(); }

ServiceRandom ServiceRandom::seeded(std::uint64_t seed) {
    ServiceRandom r;
    r.seed_ = seed;
    r.nonces_.emplace(seed, "cloud/nonces");
    r.serials_.emplace(seed, "cloud/serials");
    r.tokens_.emplace(seed, "cloud/admin-token");
    r.ids_.emplace(seed, "cloud/ids");
    return r;
}

Bytes ServiceRandom::draw(std::optional<crypto::DeterministicRandom>& stream, std::size_t n) {
    if (stream) return stream->bytes(n);
    Bytes out(n);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) crypto::throw_openssl("RAND_bytes");
    return out;
}

Bytes ServiceRandom::nonce() { return draw(nonces_, protocol::kNonceSize); }

Bytes ServiceRandom::serial() {
    auto s = draw(serials_, 16);
    // RFC 5280 4.1.2.2: positive, at most 20 octets. Clearing the top bit keeps it positive;
    // setting the next keeps all 16 octets significant, so serials never shrink in hex.
    s[0] = static_cast<std::uint8_t>((s[0] & 0x3F) | 0x40);
    return s;
}

std::string ServiceRandom::admin_token() { return to_hex(draw(tokens_, 32)); }

std::string ServiceRandom::guid() {
    auto b = draw(ids_, 16);
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40);  // RFC 9562: version 4
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);  // variant 10
    auto h = to_hex(b);
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

crypto::EcPrivateKey ServiceRandom::new_key(std::string_view purpose) {
    if (!seed_) return crypto::EcPrivateKey::generate();
    crypto::DeterministicRandom stream(*seed_, "cloud/pki/" + std::string(purpose));
    return crypto::EcPrivateKey::from_seed(stream.bytes(32));
}

}  // namespace svp::cloud

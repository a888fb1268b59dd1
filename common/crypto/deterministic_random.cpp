// RAND_set_rand_method is deprecated in OpenSSL 3 but is the one documented way to replace
// the default generator for the whole process; providers would need a module of their own.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "common/crypto/deterministic_random.h"

#include <mutex>
#include <optional>

#include <openssl/rand.h>

#include "common/crypto/digest.h"

namespace svp::crypto {

DeterministicRandom::DeterministicRandom(std::uint64_t seed, std::string_view label)
    : ctx_(EVP_CIPHER_CTX_new()) {
    Bytes material;
    put_le64(material, seed);
    material.insert(material.end(), label.begin(), label.end());
    auto key = sha256(material);
    std::uint8_t iv[16] = {};  // 32-bit block counter + 96-bit nonce, all zero: a fresh key each stream
    if (!ctx_ || EVP_EncryptInit_ex(ctx_.get(), EVP_chacha20(), nullptr, key.data(), iv) != 1)
        throw_openssl("ChaCha20 init");
}

void DeterministicRandom::refill() {
    static const std::uint8_t zeros[sizeof block_] = {};
    int len = 0;
    if (EVP_EncryptUpdate(ctx_.get(), block_, &len, zeros, sizeof zeros) != 1 || len != sizeof block_)
        throw_openssl("ChaCha20 key stream");
    used_ = 0;
}

void DeterministicRandom::fill(std::span<std::uint8_t> out) {
    for (auto& b : out) {
        if (used_ == sizeof block_) refill();
        b = block_[used_++];
    }
}

Bytes DeterministicRandom::bytes(std::size_t n) {
    Bytes out(n);
    fill(out);
    return out;
}

std::uint64_t DeterministicRandom::next_u64() {
    std::uint8_t b[8];
    fill(b);
    return get_le64(ByteView(b, 8), 0);
}

std::uint64_t DeterministicRandom::below(std::uint64_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
        auto v = next_u64();
        if (v < limit) return v % n;
    }
}

double DeterministicRandom::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

namespace {

std::mutex g_mutex;
std::optional<DeterministicRandom> g_rand;

int rand_bytes(unsigned char* buf, int num) {
    std::lock_guard lock(g_mutex);
    g_rand->fill(std::span(buf, static_cast<std::size_t>(num)));
    return 1;
}
int rand_status() { return 1; }
int rand_seed(const void*, int) { return 1; }
int rand_add(const void*, int, double) { return 1; }

RAND_METHOD g_method = {rand_seed, rand_bytes, nullptr, rand_add, rand_bytes, rand_status};

}  // namespace

void use_deterministic_openssl_rand(std::uint64_t seed, std::string_view label) {
    {
        std::lock_guard lock(g_mutex);
        g_rand.emplace(seed, label);
    }
    if (RAND_set_rand_method(&g_method) != 1) throw_openssl("install deterministic RAND");
}

bool openssl_rand_is_deterministic() { return RAND_get_rand_method() == &g_method; }

}  // namespace svp::crypto

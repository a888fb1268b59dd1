// The crypto engine block against published known-answer vectors (FIPS 180-2 SHA-256, RFC 4231
// HMAC, RFC 5869 HKDF, the GCM specification's AES test cases, RFC 6979 ECDSA P-256), its busy
// and interrupt semantics, and its cost table: an operation takes exactly the cycles the
// variant file gives it, so a variant with a faster engine finishes sooner.
#include <catch2/catch.hpp>

#include "common/crypto/ec_key.h"
#include "models/security/crypto_engine.h"
#include "platform/variant.h"
#include "tests/support/periph_bench.h"

using namespace svp;
using CE = CryptoEngine;
using sc_core::sc_time;

namespace {

constexpr std::uint64_t kBase = 0x300B0000;
constexpr std::uint64_t kHz = 200'000'000;

Bytes hex(const std::string& s) { return from_hex(s); }

struct EngineBench {
    test::PeriphBench b;
    IrqLine irq{"irq_crypto"};
    CryptoEngine engine;
    explicit EngineBench(CryptoCosts costs = {})
        : engine("crypto", b.ctx.device, sc_time(20, sc_core::SC_NS), kHz, costs, &irq) {
        b.attach("crypto", engine.socket, kBase, CE::kWindowSize);
    }
    void load(std::uint32_t offset, ByteView bytes) {
        sc_time d;
        if (!bytes.empty()) REQUIRE(b.cpu.write(kBase + offset, bytes.data(), bytes.size(), d) == tlm::TLM_OK_RESPONSE);
    }
    // Runs one operation as the security core's driver does: load, start, wait for the interrupt.
    struct Result {
        std::uint32_t status = 0;
        Bytes out;
        sc_time took;
    };
    Result run(std::uint32_t ctrl, ByteView in, ByteView key = {}, ByteView aux = {}, std::uint32_t out_len = 0) {
        b.wr(kBase + CE::CE_INT_EN, CE::INT_DONE | CE::INT_ERROR);
        b.wr(kBase + CE::CE_INT_STS, CE::INT_DONE | CE::INT_ERROR);
        load(CE::CE_IN, in);
        load(CE::CE_KEY, key);
        load(CE::CE_AUX, aux);
        b.wr(kBase + CE::CE_IN_LEN, static_cast<std::uint32_t>(in.size()));
        b.wr(kBase + CE::CE_KEY_LEN, static_cast<std::uint32_t>(key.size()));
        b.wr(kBase + CE::CE_AUX_LEN, static_cast<std::uint32_t>(aux.size()));
        b.wr(kBase + CE::CE_OUT_LEN, out_len);
        sc_core::wait(sc_core::SC_ZERO_TIME);
        const auto started = sc_core::sc_time_stamp();
        REQUIRE(b.wr(kBase + CE::CE_CTRL, ctrl) == tlm::TLM_OK_RESPONSE);
        CHECK((b.rd(kBase + CE::CE_STATUS) & CE::STATUS_BUSY) != 0);
        sc_core::wait(irq.rising());
        Result r;
        r.took = sc_core::sc_time_stamp() - started;
        r.status = b.rd(kBase + CE::CE_STATUS);
        r.out.resize(b.rd(kBase + CE::CE_OUT_LEN));
        sc_time d;
        if (!r.out.empty()) REQUIRE(b.cpu.read(kBase + CE::CE_OUT, r.out.data(), r.out.size(), d) == tlm::TLM_OK_RESPONSE);
        return r;
    }
    Bytes sha256(ByteView data) {
        Bytes out;
        std::size_t done = 0;
        do {
            const std::size_t n = std::min<std::size_t>(CE::kInSize, data.size() - done);
            const std::uint32_t flags = (done == 0 ? CE::CTRL_INIT : 0u) | (done + n == data.size() ? CE::CTRL_FINAL : 0u);
            auto r = run(CE::ctrl(CE::sha256, flags), data.subspan(done, n));
            REQUIRE((r.status & CE::STATUS_DONE) != 0);
            done += n;
            out = r.out;
        } while (done < data.size());
        return out;
    }
};

}  // namespace

TEST_CASE("crypto engine: SHA-256 known answers (FIPS 180-2 examples), streamed through the 4 KiB buffer") {
    EngineBench e;
    REQUIRE_RUNS([&] {
        CHECK(to_hex(e.sha256(as_bytes("abc"))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        CHECK(to_hex(e.sha256(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))) ==
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        CHECK(to_hex(e.sha256(Bytes(1'000'000, 'a'))) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        CHECK(to_hex(e.sha256({})) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    });
    // A stream is one operation for the observer: four hashes, four events.
    CHECK(e.b.ctx.log.count(ev::sec_crypto_op_done) == 4);
}

TEST_CASE("crypto engine: HMAC-SHA-256 (RFC 4231 cases 1 and 2) and HKDF-SHA-256 (RFC 5869 case 1)") {
    EngineBench e;
    REQUIRE_RUNS([&] {
        auto mac1 = e.run(CE::ctrl(CE::hmac_sha256), as_bytes("Hi There"), Bytes(20, 0x0b));
        CHECK(to_hex(mac1.out) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
        auto mac2 = e.run(CE::ctrl(CE::hmac_sha256), as_bytes("what do ya want for nothing?"), as_bytes("Jefe"));
        CHECK(to_hex(mac2.out) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        auto okm = e.run(CE::ctrl(CE::hkdf_sha256), hex("f0f1f2f3f4f5f6f7f8f9"), Bytes(22, 0x0b),
                         hex("000102030405060708090a0b0c"), 42);
        CHECK(to_hex(okm.out) ==
              "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
        // No key: an ERROR with its code, nothing in OUT.
        auto bad = e.run(CE::ctrl(CE::hmac_sha256), as_bytes("x"));
        CHECK((bad.status & CE::STATUS_ERROR) != 0);
        CHECK(((bad.status >> 8) & 0xFF) == CE::bad_key);
        CHECK(bad.out.empty());
    });
}

TEST_CASE("crypto engine: AES-GCM encrypt and decrypt (GCM specification test cases 2, 3 and 4) and refuses a forged tag") {
    EngineBench e;
    REQUIRE_RUNS([&] {
        auto tc2 = e.run(CE::ctrl(CE::gcm_encrypt), Bytes(16, 0), Bytes(16, 0), Bytes(12, 0));
        CHECK(to_hex(tc2.out) == "0388dace60b6a392f328c2b971b2fe78" "ab6e47d42cec13bdf53a67b21257bddf");
        const auto key = hex("feffe9928665731c6d6a8f9467308308");
        const auto iv = hex("cafebabefacedbaddecaf888");
        const auto p3 = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525"
                            "b16aedf5aa0de657ba637b391aafd255");
        auto tc3 = e.run(CE::ctrl(CE::gcm_encrypt), p3, key, iv);
        CHECK(to_hex(tc3.out) == "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05"
                                 "1ba30b396a0aac973d58e091473f5985" "4d5c2af327cd64a62cf35abd2ba6fab4");
        Bytes aux4 = iv;
        const auto aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        aux4.insert(aux4.end(), aad.begin(), aad.end());
        const Bytes p4(p3.begin(), p3.begin() + 60);
        auto tc4 = e.run(CE::ctrl(CE::gcm_encrypt), p4, key, aux4);
        CHECK(to_hex(tc4.out) == "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05"
                                 "1ba30b396a0aac973d58e091" "5bc94fbc3221a5db94fae95ae7121a47");
        auto back = e.run(CE::ctrl(CE::gcm_decrypt), tc4.out, key, aux4);
        CHECK((back.status & CE::STATUS_VALID) != 0);
        CHECK(back.out == p4);
        Bytes forged = tc4.out;
        forged.back() ^= 1;
        auto refused = e.run(CE::ctrl(CE::gcm_decrypt), forged, key, aux4);
        CHECK((refused.status & CE::STATUS_DONE) != 0);
        CHECK((refused.status & CE::STATUS_VALID) == 0);
        CHECK(refused.out.empty());
    });
}

TEST_CASE("crypto engine: ECDSA P-256 verifies the RFC 6979 A.2.5 signature, signs what OpenSSL verifies independently") {
    EngineBench e;
    const auto d = hex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
    const auto q = hex("60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
                       "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299");
    const auto sig = hex("efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
                         "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
    const auto digest = crypto::sha256(as_bytes("sample"));
    REQUIRE_RUNS([&] {
        Bytes in(digest.begin(), digest.end());
        in.insert(in.end(), sig.begin(), sig.end());
        auto ok = e.run(CE::ctrl(CE::ecdsa_verify), in, {}, q);
        CHECK((ok.status & CE::STATUS_VALID) != 0);
        in[40] ^= 0x01;
        auto bad = e.run(CE::ctrl(CE::ecdsa_verify), in, {}, q);
        CHECK((bad.status & CE::STATUS_DONE) != 0);
        CHECK((bad.status & CE::STATUS_VALID) == 0);
        // Sign with d; the signature is checked by OpenSSL against Q from the RFC, not by the engine.
        auto signed_ = e.run(CE::ctrl(CE::ecdsa_sign), ByteView(digest), d);
        REQUIRE(signed_.out.size() == 64);
        crypto::RawSignature raw{};
        std::copy(signed_.out.begin(), signed_.out.end(), raw.begin());
        CHECK(crypto::EcPublicKey::from_raw(q).verify_digest(digest, raw));
        // A scalar of zero is no key: ERROR bad-key.
        auto zero = e.run(CE::ctrl(CE::ecdsa_sign), ByteView(digest), Bytes(32, 0));
        CHECK(((zero.status >> 8) & 0xFF) == CE::bad_key);
    });
}

TEST_CASE("crypto engine: BUSY refuses writes, the key port reads as zero and is wiped, OUT is read-only") {
    EngineBench e;
    REQUIRE_RUNS([&] {
        const auto digest = crypto::sha256(as_bytes("busy"));
        e.load(CE::CE_IN, ByteView(digest));
        e.load(CE::CE_KEY, hex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"));
        std::uint32_t key_word = 0xFFFFFFFF;
        sc_time d;
        CHECK(e.b.cpu.read(kBase + CE::CE_KEY, &key_word, 4, d) == tlm::TLM_OK_RESPONSE);
        CHECK(key_word == 0);  // write-only, to everyone
        e.b.wr(kBase + CE::CE_IN_LEN, 32);
        e.b.wr(kBase + CE::CE_KEY_LEN, 32);
        e.b.wr(kBase + CE::CE_INT_EN, CE::INT_DONE);
        e.b.wr(kBase + CE::CE_CTRL, CE::ctrl(CE::ecdsa_sign));
        CHECK(e.engine.busy());
        CHECK(e.b.wr(kBase + CE::CE_IN_LEN, 4) == tlm::TLM_COMMAND_ERROR_RESPONSE);
        CHECK(e.b.wr(kBase + CE::CE_CTRL, CE::ctrl(CE::sha256, CE::CTRL_INIT)) == tlm::TLM_COMMAND_ERROR_RESPONSE);
        std::uint32_t word = 1;
        CHECK(e.b.cpu.write(kBase + CE::CE_IN, &word, 4, d) == tlm::TLM_COMMAND_ERROR_RESPONSE);
        CHECK(e.b.cpu.write(kBase + CE::CE_OUT, &word, 4, d) == tlm::TLM_COMMAND_ERROR_RESPONSE);
        sc_core::wait(e.irq.rising());
        CHECK_FALSE(e.engine.busy());
        CHECK((e.b.rd(kBase + CE::CE_STATUS) & CE::STATUS_DONE) != 0);
        // The key was wiped: signing again without loading one is an ERROR.
        e.b.wr(kBase + CE::CE_INT_STS, CE::INT_DONE);
        e.b.wr(kBase + CE::CE_CTRL, CE::ctrl(CE::ecdsa_sign));
        sc_core::wait(sc_time(1, sc_core::SC_MS));
        CHECK(((e.b.rd(kBase + CE::CE_STATUS) >> 8) & 0xFF) == CE::bad_key);
        // SHA-256 without INIT has no stream to continue.
        e.b.wr(kBase + CE::CE_CTRL, CE::ctrl(CE::sha256));
        sc_core::wait(sc_time(1, sc_core::SC_MS));
        CHECK(((e.b.rd(kBase + CE::CE_STATUS) >> 8) & 0xFF) == CE::no_hash_context);
        CHECK(e.b.rd(kBase + CE::CE_ID) == CE::kId);
        CHECK(e.b.unmapped_is_bus_error(e.engine, kBase + 0x0F00));
    });
}

TEST_CASE("crypto engine: each operation takes the cycles of the variant's table, and nextgen's engine is faster than mt3620-lite's") {
    const auto lite = load_variant(find_variant("mt3620-lite")).crypto;
    const auto next = load_variant(find_variant("nextgen")).crypto;
    REQUIRE(lite.sha256_cycles_per_block != next.sha256_cycles_per_block);
    REQUIRE(lite.ecdsa_verify_cycles != next.ecdsa_verify_cycles);
    sc_time lite_sha, lite_verify, next_sha, next_verify;
    // One simulation per process (SystemC): an engine with each variant's costs, side by side.
    EngineBench e(lite);
    CryptoEngine next_engine("crypto_next", e.b.ctx.device, sc_time(20, sc_core::SC_NS), kHz, next, nullptr);
    e.b.attach("crypto_next", next_engine.socket, 0x40000000, CE::kWindowSize);
    REQUIRE_RUNS([&] {
        lite_sha = e.run(CE::ctrl(CE::sha256, CE::CTRL_INIT | CE::CTRL_FINAL), Bytes(4096, 0x5A)).took;
        const auto d = crypto::sha256(as_bytes("x"));
        const auto key = crypto::EcPrivateKey::generate();
        const auto sig = key.sign_digest(d);
        Bytes in(d.begin(), d.end());
        in.insert(in.end(), sig.begin(), sig.end());
        const auto pub = key.public_key().raw();
        auto v = e.run(CE::ctrl(CE::ecdsa_verify), in, {}, ByteView(pub));
        CHECK((v.status & CE::STATUS_VALID) != 0);
        lite_verify = v.took;
        // The same operations on the nextgen-cost engine (polled: it has no interrupt line).
        sc_time dd;
        auto start_next = [&](std::uint32_t ctrl, ByteView in_bytes, ByteView aux) {
            REQUIRE(e.b.cpu.write(0x40000000 + CE::CE_IN, in_bytes.data(), in_bytes.size(), dd) == tlm::TLM_OK_RESPONSE);
            if (!aux.empty()) REQUIRE(e.b.cpu.write(0x40000000 + CE::CE_AUX, aux.data(), aux.size(), dd) == tlm::TLM_OK_RESPONSE);
            e.b.wr(0x40000000 + CE::CE_IN_LEN, static_cast<std::uint32_t>(in_bytes.size()));
            e.b.wr(0x40000000 + CE::CE_AUX_LEN, static_cast<std::uint32_t>(aux.size()));
            sc_core::wait(sc_core::SC_ZERO_TIME);
            const auto t0 = sc_core::sc_time_stamp();
            e.b.wr(0x40000000 + CE::CE_CTRL, ctrl);
            const ClockDomain clk(kHz);
            while (e.b.rd(0x40000000 + CE::CE_STATUS) & CE::STATUS_BUSY) sc_core::wait(clk.period());
            return sc_core::sc_time_stamp() - t0;
        };
        next_sha = start_next(CE::ctrl(CE::sha256, CE::CTRL_INIT | CE::CTRL_FINAL), Bytes(4096, 0x5A), {});
        next_verify = start_next(CE::ctrl(CE::ecdsa_verify), in, ByteView(pub));
        CHECK((e.b.rd(0x40000000 + CE::CE_STATUS) & CE::STATUS_VALID) != 0);
    });
    const ClockDomain clk(kHz);
    CHECK(lite_sha == clk.cycles(lite.engine_setup_cycles + 65 * lite.sha256_cycles_per_block));
    CHECK(lite_verify == clk.cycles(lite.engine_setup_cycles + lite.ecdsa_verify_cycles));
    // Polled to the cycle: the nextgen figures, exactly.
    CHECK(next_sha == clk.cycles(next.engine_setup_cycles + 65 * next.sha256_cycles_per_block));
    CHECK(next_verify == clk.cycles(next.engine_setup_cycles + next.ecdsa_verify_cycles));
    CHECK(next_verify < lite_verify);
    CHECK(e.engine.busy_time() == lite_sha + lite_verify);
    // The busy time is in the event log for the metrics: one event per operation with its duration.
    std::uint64_t busy_ns = 0;
    for (const auto& event : e.b.ctx.log.events())
        if (event.is(ev::sec_crypto_op_done) && event.fields.at("engine") == "crypto")
            busy_ns += event.fields.at("busy_ns").get<std::uint64_t>();
    CHECK(busy_ns == static_cast<std::uint64_t>(e.engine.busy_time().to_seconds() * 1e9 + 0.5));
}

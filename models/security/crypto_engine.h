// The security subsystem's crypto engines as one bus peripheral: SHA-256 (streaming),
// HMAC-SHA-256, HKDF-SHA-256 (RFC 5869), AES-GCM encrypt/decrypt (SP 800-38D) and ECDSA P-256
// sign/verify (FIPS 186-4), every result computed by OpenSSL (rule 7). An operation takes the
// cycles the variant's crypto table gives it (security.crypto, at the engine's clock), during
// which the engine is BUSY and refuses every write; its end sets DONE (or ERROR) and raises the
// interrupt. Data moves through the engine's own buffers, which the caller fills and drains
// over the bus (bursts allowed); the key port is write-only and wiped after every operation,
// so a key loaded for one operation can never be read back by anyone.
//
// The MT3620's Pluton engines are not publicly documented; this register layout is assumed.
//   0x000 CE_ID        RO  0x43450001 ("CE", version 1)
//   0x004 CE_CTRL      WO  [0] START, [7:4] OP, [8] INIT (SHA: start a new hash), [9] FINAL
//                          (SHA: write the digest to OUT)
//   0x008 CE_STATUS    RO  [0] BUSY, [1] DONE, [2] ERROR, [3] VALID (verify: signature valid;
//                          GCM decrypt: tag authentic), [15:8] error code of the last operation
//   0x00C CE_INT_EN    RW  [0] DONE, [1] ERROR
//   0x010 CE_INT_STS   W1C [0] DONE, [1] ERROR
//   0x014 CE_IN_LEN    RW  bytes of IN the operation consumes (<= 4096)
//   0x018 CE_KEY_LEN   RW  bytes of KEY (<= 64)
//   0x01C CE_AUX_LEN   RW  bytes of AUX (<= 512)
//   0x020 CE_OUT_LEN   RW  HKDF: bytes wanted; after any operation: bytes produced in OUT
//   0x024 CE_OPS       RO  operations completed since reset
//   0x028 CE_BUSY_CYCLES RO engine cycles spent busy since reset (low 32 bits)
//   0x100 CE_KEY[64]   WO  key material (reads as zero; wiped when an operation ends)
//   0x200 CE_AUX[512]  RW  HKDF salt | GCM IV (12 bytes) then AAD | ECDSA public key X||Y
//   0x1000 CE_IN[4096] RW  message | info | plaintext | ciphertext||tag | digest[||r||s]
//   0x2000 CE_OUT[4096] RO digest | MAC | OKM | ciphertext||tag | plaintext | r||s
// Operations (OP): 1 SHA256, 2 HMAC_SHA256, 3 HKDF_SHA256, 4 GCM_ENCRYPT, 5 GCM_DECRYPT,
// 6 ECDSA_SIGN (KEY = private scalar d, IN = digest), 7 ECDSA_VERIFY (AUX = public key,
// IN = digest || r || s).
#pragma once

#include <optional>

#include "common/crypto/digest.h"
#include "models/base/clock.h"
#include "models/base/irq.h"
#include "models/base/peripheral.h"

namespace svp {

// Engine costs in engine (security-core) cycles: the variant's security.crypto table.
struct CryptoCosts {
    std::uint64_t sha256_cycles_per_block = 80;     // one 64-byte block
    std::uint64_t hmac_sha256_cycles_per_block = 80;
    std::uint64_t aes_gcm_cycles_per_block = 24;     // one 16-byte block (AAD or data)
    std::uint64_t ecdsa_verify_cycles = 1'200'000;
    std::uint64_t ecdsa_sign_cycles = 600'000;
    std::uint64_t engine_setup_cycles = 40;          // decoding one operation
    std::uint64_t trng_cycles_per_word = 40;
    std::uint64_t command_overhead_cycles = 2'000;  // the security core's decode, copy in and out
};

class CryptoEngine : public Peripheral {
public:
    static constexpr std::uint32_t CE_ID = 0x000, CE_CTRL = 0x004, CE_STATUS = 0x008, CE_INT_EN = 0x00C,
                                   CE_INT_STS = 0x010, CE_IN_LEN = 0x014, CE_KEY_LEN = 0x018, CE_AUX_LEN = 0x01C,
                                   CE_OUT_LEN = 0x020, CE_OPS = 0x024, CE_BUSY_CYCLES = 0x028;
    static constexpr std::uint32_t CE_KEY = 0x100, CE_AUX = 0x200, CE_IN = 0x1000, CE_OUT = 0x2000;
    static constexpr std::uint32_t kKeySize = 64, kAuxSize = 512, kInSize = 4096, kOutSize = 4096;
    static constexpr std::uint32_t kWindowSize = 0x4000;
    static constexpr std::uint32_t kId = 0x43450001;
    static constexpr std::uint32_t CTRL_START = 1u << 0, CTRL_INIT = 1u << 8, CTRL_FINAL = 1u << 9;
    static constexpr std::uint32_t STATUS_BUSY = 1u << 0, STATUS_DONE = 1u << 1, STATUS_ERROR = 1u << 2,
                                   STATUS_VALID = 1u << 3;
    static constexpr std::uint32_t INT_DONE = 1u << 0, INT_ERROR = 1u << 1;
    enum Op : std::uint32_t { sha256 = 1, hmac_sha256 = 2, hkdf_sha256 = 3, gcm_encrypt = 4, gcm_decrypt = 5,
                              ecdsa_sign = 6, ecdsa_verify = 7 };
    enum Error : std::uint32_t { no_error = 0, bad_op = 1, bad_length = 2, bad_key = 3, no_hash_context = 4 };
    static constexpr std::uint32_t ctrl(Op op, std::uint32_t flags = 0) { return CTRL_START | (op << 4) | flags; }
    static std::string_view op_name(std::uint32_t op);
    static std::string_view error_name(std::uint32_t e);

    CryptoEngine(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, std::uint64_t clock_hz,
                 CryptoCosts costs, IrqLine* irq);

    // The cycles an operation of this engine takes (what the variant's table says).
    std::uint64_t cost_cycles(std::uint32_t op, std::size_t in_len, std::size_t aux_len, std::size_t out_len,
                              bool final) const;
    // Metrics: operations finished and time spent busy since reset (also CE_OPS/CE_BUSY_CYCLES).
    std::uint64_t operations() const { return ops_; }
    sc_core::sc_time busy_time() const { return clock_.cycles(busy_cycles_); }
    bool busy() const { return busy_; }
    const CryptoCosts& costs() const { return costs_; }
    void reset() override;

protected:
    bool direct_access(tlm::tlm_generic_payload& tx, const sc_core::sc_time& delay, bool debug) override;

private:
    struct Outcome {
        std::uint32_t error = no_error;
        bool valid = false;
        Bytes out;
    };
    void start(std::uint32_t ctrl);
    Outcome compute(std::uint32_t op, std::uint32_t flags);
    void finish();
    void update_irq();

    ClockDomain clock_;
    CryptoCosts costs_;
    IrqLine* irq_;
    Bytes key_, aux_, in_, out_;
    std::optional<crypto::Sha256> hash_;  // a SHA-256 in progress (between INIT and FINAL)
    std::uint64_t hash_bytes_ = 0, hash_cycles_ = 0;
    sc_core::sc_time access_delay_;       // the initiator's offset at the access being served
    sc_core::sc_event done_;
    bool busy_ = false;
    std::uint32_t op_ = 0;
    std::uint64_t op_cycles_ = 0, op_bytes_ = 0;
    Outcome pending_;
    std::uint64_t ops_ = 0, busy_cycles_ = 0;
};

}  // namespace svp

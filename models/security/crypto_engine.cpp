#include "models/security/crypto_engine.h"

#include <cstring>

#include <fmt/format.h>

#include "common/crypto/aead.h"
#include "common/crypto/ec_key.h"
#include "common/util/input_error.h"

namespace svp {
namespace {

std::uint64_t blocks(std::uint64_t bytes, std::uint64_t block) { return (bytes + block - 1) / block; }

}  // namespace

std::string_view CryptoEngine::op_name(std::uint32_t op) {
    switch (op) {
    case sha256: return "sha256";
    case hmac_sha256: return "hmac-sha256";
    case hkdf_sha256: return "hkdf-sha256";
    case gcm_encrypt: return "aes-gcm-encrypt";
    case gcm_decrypt: return "aes-gcm-decrypt";
    case ecdsa_sign: return "ecdsa-p256-sign";
    case ecdsa_verify: return "ecdsa-p256-verify";
    default: return "unknown";
    }
}

std::string_view CryptoEngine::error_name(std::uint32_t e) {
    switch (e) {
    case no_error: return "ok";
    case bad_op: return "bad-op";
    case bad_length: return "bad-length";
    case bad_key: return "bad-key";
    case no_hash_context: return "no-hash-context";
    default: return "unknown";
    }
}

CryptoEngine::CryptoEngine(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency,
                           std::uint64_t clock_hz, CryptoCosts costs, IrqLine* irq)
    : Peripheral(name, device, latency), clock_(clock_hz), costs_(costs), irq_(irq), key_(kKeySize), aux_(kAuxSize),
      in_(kInSize), out_(kOutSize) {
    auto idle = [this] { return !busy_; };
    const std::string busy_why = "the engine is BUSY with an operation";
    regs_.add("CE_ID", CE_ID, kId, Access::ro);
    regs_.add("CE_CTRL", CE_CTRL, 0, Access::wo, CTRL_START | 0xF0 | CTRL_INIT | CTRL_FINAL)
        .writable_if(idle, busy_why)
        .on_write([this](std::uint32_t, std::uint32_t v) {
            if (v & CTRL_START) start(v);
        });
    regs_.add("CE_STATUS", CE_STATUS, 0, Access::ro).on_read([this](bool) {
        return (regs_["CE_STATUS"].value() & ~STATUS_BUSY) | (busy_ ? STATUS_BUSY : 0u);
    });
    regs_.add("CE_INT_EN", CE_INT_EN, 0, Access::rw, INT_DONE | INT_ERROR).on_write([this](std::uint32_t, std::uint32_t) { update_irq(); });
    regs_.add("CE_INT_STS", CE_INT_STS, 0, Access::w1c, INT_DONE | INT_ERROR).on_write([this](std::uint32_t, std::uint32_t) { update_irq(); });
    regs_.add("CE_IN_LEN", CE_IN_LEN, 0, Access::rw, 0x1FFF).writable_if(idle, busy_why);
    regs_.add("CE_KEY_LEN", CE_KEY_LEN, 0, Access::rw, 0x7F).writable_if(idle, busy_why);
    regs_.add("CE_AUX_LEN", CE_AUX_LEN, 0, Access::rw, 0x3FF).writable_if(idle, busy_why);
    regs_.add("CE_OUT_LEN", CE_OUT_LEN, 0, Access::rw, 0x1FFF).writable_if(idle, busy_why);
    regs_.add("CE_OPS", CE_OPS, 0, Access::ro).on_read([this](bool) { return static_cast<std::uint32_t>(ops_); });
    regs_.add("CE_BUSY_CYCLES", CE_BUSY_CYCLES, 0, Access::ro).on_read([this](bool) {
        return static_cast<std::uint32_t>(busy_cycles_);
    });
    sc_core::sc_spawn_options o;
    o.spawn_method();
    o.dont_initialize();
    o.set_sensitivity(&done_);
    sc_core::sc_spawn([this] { finish(); }, sc_core::sc_gen_unique_name("done"), &o);
}

void CryptoEngine::reset() {
    Peripheral::reset();
    done_.cancel();
    busy_ = false;
    hash_.reset();
    hash_bytes_ = hash_cycles_ = 0;
    std::fill(key_.begin(), key_.end(), 0);
    std::fill(aux_.begin(), aux_.end(), 0);
    std::fill(in_.begin(), in_.end(), 0);
    std::fill(out_.begin(), out_.end(), 0);
    ops_ = busy_cycles_ = 0;
    update_irq();
}

bool CryptoEngine::direct_access(tlm::tlm_generic_payload& tx, const sc_core::sc_time& delay, bool debug) {
    const auto address = tx.get_address();
    if (address < CE_KEY) {
        access_delay_ = delay;  // for CE_CTRL: the operation starts at the initiator's local time
        return false;
    }
    struct Buffer {
        std::uint32_t base;
        Bytes* bytes;
        bool readable, writable;
        const char* name;
    };
    const Buffer buffers[] = {{CE_KEY, &key_, false, true, "CE_KEY"},
                              {CE_AUX, &aux_, true, true, "CE_AUX"},
                              {CE_IN, &in_, true, true, "CE_IN"},
                              {CE_OUT, &out_, true, false, "CE_OUT"}};
    const auto length = tx.get_data_length();
    for (const auto& b : buffers) {
        if (address < b.base || address >= b.base + b.bytes->size()) continue;
        const std::size_t at = address - b.base;
        auto refuse = [&](const std::string& why) {
            if (!debug) regs_.report_guest_error(fmt::format("{} at offset 0x{:x}: {}", b.name, address, why));
            tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
            return true;
        };
        if (at + length > b.bytes->size() || tx.get_byte_enable_ptr()) return refuse("access runs past the buffer");
        if (tx.is_read()) {
            if (!b.readable) {
                // Key material is write-only: it reads as zero, to the debugger too.
                std::memset(tx.get_data_ptr(), 0, length);
                if (!debug) regs_.report_guest_error(fmt::format("{} read: the key port is write-only (reads as zero)", b.name));
                tx.set_response_status(tlm::TLM_OK_RESPONSE);
                return true;
            }
            if (busy_ && b.bytes == &out_) return refuse("OUT read while the engine is BUSY");
            std::memcpy(tx.get_data_ptr(), b.bytes->data() + at, length);
        } else {
            if (!b.writable) return refuse("OUT is read-only");
            if (busy_ && !debug) return refuse("write while the engine is BUSY");
            std::memcpy(b.bytes->data() + at, tx.get_data_ptr(), length);
        }
        // A 32-bit data port at the engine's clock: one cycle per word moved.
        if (!debug) charge_access(clock_.cycles(blocks(length, 4)));
        tx.set_response_status(tlm::TLM_OK_RESPONSE);
        return true;
    }
    return false;  // a hole between buffers: the register bank reports it as unmapped
}

std::uint64_t CryptoEngine::cost_cycles(std::uint32_t op, std::size_t in_len, std::size_t aux_len, std::size_t out_len,
                                        bool final) const {
    const auto& c = costs_;
    std::uint64_t cycles = c.engine_setup_cycles;
    switch (op) {
    case sha256:  // the padding block is hashed when the stream ends
        cycles += (blocks(in_len, 64) + (final ? 1 : 0)) * c.sha256_cycles_per_block;
        break;
    case hmac_sha256:  // inner and outer key blocks, then the message and two finishing blocks
        cycles += (blocks(in_len, 64) + 4) * c.hmac_sha256_cycles_per_block;
        break;
    case hkdf_sha256:  // extract: one HMAC over the key; expand: one HMAC per 32 bytes out
        cycles += (blocks(aux_len, 64) + 4 + blocks(out_len, 32) * (blocks(32 + in_len + 1, 64) + 4)) *
                  c.hmac_sha256_cycles_per_block;
        break;
    case gcm_encrypt:
    case gcm_decrypt:  // the hash key and J0, then AAD and data blocks
        cycles += (2 + blocks(aux_len > 12 ? aux_len - 12 : 0, 16) + blocks(in_len, 16)) * c.aes_gcm_cycles_per_block;
        break;
    case ecdsa_sign: cycles += c.ecdsa_sign_cycles; break;
    case ecdsa_verify: cycles += c.ecdsa_verify_cycles; break;
    default: break;
    }
    return cycles;
}

void CryptoEngine::start(std::uint32_t ctrl) {
    const std::uint32_t op = (ctrl >> 4) & 0xF;
    const std::uint32_t in_len = regs_["CE_IN_LEN"].value(), aux_len = regs_["CE_AUX_LEN"].value();
    const std::uint32_t out_len = regs_["CE_OUT_LEN"].value();
    pending_ = compute(op, ctrl & (CTRL_INIT | CTRL_FINAL));
    // A refused operation costs only its decoding.
    op_cycles_ = pending_.error != no_error ? costs_.engine_setup_cycles
                                           : cost_cycles(op, in_len, aux_len, out_len, (ctrl & CTRL_FINAL) != 0);
    op_ = op;
    op_bytes_ = in_len;
    busy_ = true;
    regs_["CE_STATUS"].set(0);
    done_.notify(access_delay_ + clock_.cycles(op_cycles_));
}

CryptoEngine::Outcome CryptoEngine::compute(std::uint32_t op, std::uint32_t flags) {
    Outcome o;
    const std::uint32_t in_len = regs_["CE_IN_LEN"].value(), key_len = regs_["CE_KEY_LEN"].value();
    const std::uint32_t aux_len = regs_["CE_AUX_LEN"].value(), out_len = regs_["CE_OUT_LEN"].value();
    auto fail = [&](Error e) {
        o.error = e;
        return o;
    };
    if (in_len > kInSize || key_len > kKeySize || aux_len > kAuxSize) return fail(bad_length);
    const ByteView in(in_.data(), in_len), key(key_.data(), key_len), aux(aux_.data(), aux_len);
    try {
        switch (op) {
        case sha256: {
            if (flags & CTRL_INIT) {
                hash_.emplace();
                hash_bytes_ = hash_cycles_ = 0;
            }
            if (!hash_) return fail(no_hash_context);
            hash_->update(in);
            if (flags & CTRL_FINAL) {
                const auto d = hash_->finish();
                hash_.reset();
                o.out.assign(d.begin(), d.end());
            }
            return o;
        }
        case hmac_sha256: {
            if (key_len == 0) return fail(bad_key);
            const auto mac = crypto::hmac_sha256(key, in);
            o.out.assign(mac.begin(), mac.end());
            return o;
        }
        case hkdf_sha256:
            if (key_len == 0) return fail(bad_key);
            if (out_len == 0 || out_len > 255 * 32 || out_len > kOutSize) return fail(bad_length);
            o.out = crypto::hkdf_sha256(key, aux, in, out_len);
            return o;
        case gcm_encrypt: {
            if (key_len != 16 && key_len != 32) return fail(bad_key);
            if (aux_len < 12 || in_len + 16 > kOutSize) return fail(bad_length);
            auto sealed = crypto::aes_gcm_encrypt(key, aux.subspan(0, 12), aux.subspan(12), in);
            o.out = std::move(sealed.ciphertext);
            o.out.insert(o.out.end(), sealed.tag.begin(), sealed.tag.end());
            return o;
        }
        case gcm_decrypt: {
            if (key_len != 16 && key_len != 32) return fail(bad_key);
            if (aux_len < 12 || in_len < 16) return fail(bad_length);
            auto plain = crypto::aes_gcm_decrypt(key, aux.subspan(0, 12), aux.subspan(12), in.subspan(0, in_len - 16),
                                                 in.subspan(in_len - 16));
            o.valid = plain.has_value();  // an inauthentic message is an answer (VALID clear), not an error
            if (plain) o.out = std::move(*plain);
            return o;
        }
        case ecdsa_sign: {
            if (key_len != 32) return fail(bad_key);
            if (in_len != 32) return fail(bad_length);
            crypto::Digest d{};
            std::copy(in.begin(), in.end(), d.begin());
            const auto sig = crypto::EcPrivateKey::from_scalar(key).sign_digest(d);
            o.out.assign(sig.begin(), sig.end());
            return o;
        }
        case ecdsa_verify: {
            if (aux_len != 64) return fail(bad_key);
            if (in_len != 96) return fail(bad_length);
            crypto::Digest d{};
            crypto::RawSignature sig{};
            std::copy(in.begin(), in.begin() + 32, d.begin());
            std::copy(in.begin() + 32, in.end(), sig.begin());
            o.valid = crypto::EcPublicKey::from_raw(aux, "engine public key").verify_digest(d, sig);
            return o;
        }
        default: return fail(bad_op);
        }
    } catch (const InputError&) {
        return fail(bad_key);  // a scalar out of range, a point off the curve
    }
}

void CryptoEngine::finish() {
    busy_ = false;
    // Key hygiene: the key port never holds a key longer than one operation.
    std::fill(key_.begin(), key_.end(), 0);
    ++ops_;
    busy_cycles_ += op_cycles_;
    const bool error = pending_.error != no_error;
    std::fill(out_.begin(), out_.end(), 0);
    std::copy(pending_.out.begin(), pending_.out.end(), out_.begin());
    regs_["CE_OUT_LEN"].set(static_cast<std::uint32_t>(pending_.out.size()));
    regs_["CE_STATUS"].set((error ? STATUS_ERROR : STATUS_DONE) | (pending_.valid ? STATUS_VALID : 0u) |
                           (pending_.error << 8));
    regs_["CE_INT_STS"].set_bits(error ? INT_ERROR : INT_DONE);
    update_irq();
    // A SHA-256 stream is one operation for the observer: reported when it ends.
    if (op_ == sha256 && !error) {
        hash_bytes_ += op_bytes_;
        hash_cycles_ += op_cycles_;
        if (hash_) return;
        op_bytes_ = hash_bytes_;
        op_cycles_ = hash_cycles_;
        hash_bytes_ = hash_cycles_ = 0;
    }
    std::string result = error ? "error: " + std::string(error_name(pending_.error)) : "ok";
    if (!error && (op_ == ecdsa_verify || op_ == gcm_decrypt)) result = pending_.valid ? "valid" : "invalid";
    device_.emit(ev::sec_crypto_op_done, {{"engine", basename()},
                                          {"op", op_name(op_)},
                                          {"bytes", op_bytes_},
                                          {"cycles", op_cycles_},
                                          {"busy_ns", static_cast<std::uint64_t>(static_cast<unsigned __int128>(op_cycles_) * 1'000'000'000u / clock_.hz())},
                                          {"result", result}});
    pending_ = {};
}

void CryptoEngine::update_irq() {
    if (irq_) irq_->set((regs_["CE_INT_STS"].value() & regs_["CE_INT_EN"].value()) != 0);
}

}  // namespace svp

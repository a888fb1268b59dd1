#include "common/protocol/attestation.h"

#include <cstring>

#include <fmt/format.h>

#include "common/util/input_error.h"

namespace svp::protocol {
namespace {

template <std::size_t N>
std::array<std::uint8_t, N> fixed_hex(const nlohmann::json& j, const char* key) {
    auto bytes = from_hex(j.at(key).get<std::string>(), key);
    if (bytes.size() != N)
        throw InputError(fmt::format("{}: expected {} bytes, got {}", key, N, bytes.size()));
    std::array<std::uint8_t, N> out{};
    std::copy(bytes.begin(), bytes.end(), out.begin());
    return out;
}

}  // namespace

Bytes Quote::to_be_signed() const {
    Bytes out{'S', 'V', 'P', 'Q'};
    put_le16(out, 1);
    put_le16(out, static_cast<std::uint16_t>(measurements.size()));
    out.insert(out.end(), nonce.begin(), nonce.end());
    out.insert(out.end(), device_key.begin(), device_key.end());
    for (const auto& m : measurements) {
        put_le16(out, m.image_type);
        put_le16(out, 0);
        out.insert(out.end(), m.digest.begin(), m.digest.end());
    }
    return out;
}

crypto::Digest Quote::digest() const { return crypto::sha256(to_be_signed()); }

nlohmann::json Quote::to_json() const {
    nlohmann::json ms = nlohmann::json::array();
    for (const auto& m : measurements)
        ms.push_back({{"type", m.image_type}, {"stage", m.stage}, {"component", m.component},
                      {"version", m.version}, {"digest", to_hex(ByteView(m.digest))}});
    return {{"device_id", device_id(device_key)},
            {"nonce", to_hex(nonce)},
            {"measurements", ms},
            {"signature", to_hex(ByteView(signature))}};
}

Quote Quote::from_json(const nlohmann::json& j) {
    try {
        if (!j.is_object()) throw InputError("quote: not a JSON object");
        Quote q;
        q.device_key = device_key_from_id(j.at("device_id").get<std::string>());
        q.nonce = from_hex(j.at("nonce").get<std::string>(), "nonce");
        if (q.nonce.size() != kNonceSize)
            throw InputError(fmt::format("nonce: expected {} bytes, got {}", kNonceSize, q.nonce.size()));
        const auto& ms = j.at("measurements");
        if (!ms.is_array() || ms.size() > kMaxMeasurements)
            throw InputError(fmt::format("measurements: expected an array of at most {}", kMaxMeasurements));
        for (const auto& m : ms) {
            Measurement x;
            // Only an integer: converting 1e300 to an integer is undefined behaviour.
            const auto& raw_type = m.at("type");
            if (!raw_type.is_number_integer()) throw InputError("measurements[].type: not an integer");
            auto type = raw_type.get<std::int64_t>();
            if (type < 0 || type > 0xFFFF) throw InputError("measurements[].type: out of range");
            x.image_type = static_cast<std::uint16_t>(type);
            x.stage = m.value("stage", "");
            x.component = m.value("component", "");
            x.version = m.value("version", "");
            x.digest = fixed_hex<32>(m, "digest");
            q.measurements.push_back(std::move(x));
        }
        q.signature = fixed_hex<64>(j, "signature");
        return q;
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string("quote: ") + e.what());
    }
}

std::string device_id(const crypto::RawPublicKey& key) { return to_hex(ByteView(key)); }

crypto::RawPublicKey device_key_from_id(std::string_view id) {
    auto bytes = from_hex(id, "device_id");
    crypto::EcPublicKey::from_raw(bytes, "device_id");  // validates the point
    crypto::RawPublicKey out{};
    std::copy(bytes.begin(), bytes.end(), out.begin());
    return out;
}

}  // namespace svp::protocol

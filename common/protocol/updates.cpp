#include "common/protocol/updates.h"

#include <fmt/format.h>

#include "common/util/input_error.h"

namespace svp::protocol {
namespace {

template <class F>
auto strict(const char* what, F&& f) {
    try {
        return f();
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string(what) + ": " + e.what());
    }
}

std::uint16_t image_type_of(const nlohmann::json& j) {
    const auto& t = j.at("type");
    if (!t.is_number_unsigned() || t.get<std::uint64_t>() > 0xFFFF) throw InputError("type: expected an image type number");
    return static_cast<std::uint16_t>(t.get<std::uint64_t>());
}

}  // namespace

nlohmann::json Installed::to_json() const {
    return {{"component", component}, {"type", image_type}, {"version", version}, {"counter", counter}};
}

Installed Installed::from_json(const nlohmann::json& j) {
    return strict("installed image", [&] {
        return Installed{j.at("component").get<std::string>(), image_type_of(j), j.at("version").get<std::string>(),
                         j.at("counter").get<std::uint32_t>()};
    });
}

nlohmann::json ManifestBody::to_json() const {
    nlohmann::json imgs = nlohmann::json::array();
    for (const auto& i : images) {
        nlohmann::json req = nlohmann::json::array();
        for (const auto& r : i.requires_) req.push_back({{"component", r.component}, {"min_version", r.min_version}});
        imgs.push_back({{"component", i.component}, {"type", i.image_type}, {"version", i.version}, {"counter", i.counter},
                        {"size", i.size}, {"sha256", i.sha256}, {"measurement", i.measurement}, {"requires", req}});
    }
    return {{"version", version}, {"expires", expires}, {"product", product}, {"device_group", device_group}, {"images", imgs}};
}

ManifestBody ManifestBody::from_json(const nlohmann::json& j) {
    return strict("manifest", [&] {
        ManifestBody b;
        b.version = j.at("version").get<std::uint64_t>();
        b.expires = j.at("expires").get<std::int64_t>();
        b.product = j.at("product").get<std::string>();
        b.device_group = j.at("device_group").get<std::string>();
        for (const auto& i : j.at("images")) {
            ManifestImage m;
            m.component = i.at("component").get<std::string>();
            m.image_type = image_type_of(i);
            m.version = i.at("version").get<std::string>();
            m.counter = i.at("counter").get<std::uint32_t>();
            m.size = i.at("size").get<std::uint64_t>();
            m.sha256 = i.at("sha256").get<std::string>();
            m.measurement = i.at("measurement").get<std::string>();
            for (const auto& r : i.value("requires", nlohmann::json::array()))
                m.requires_.push_back({r.at("component").get<std::string>(), r.at("min_version").get<std::string>()});
            b.images.push_back(std::move(m));
        }
        return b;
    });
}

std::string ManifestBody::canonical() const { return to_json().dump(); }

SignedManifest SignedManifest::sign(ManifestBody body, const crypto::EcPrivateKey& key) {
    SignedManifest m;
    m.key_id = key.public_key().key_id();
    m.signature = key.sign_digest(crypto::sha256(body.canonical()));
    m.body = std::move(body);
    return m;
}

bool SignedManifest::verify(const crypto::EcPublicKey& key) const {
    return key.key_id() == key_id && key.verify_digest(crypto::sha256(body.canonical()), signature);
}

nlohmann::json SignedManifest::to_json() const {
    return {{"signed", body.to_json()}, {"key_id", to_hex(ByteView(key_id))}, {"signature", to_hex(ByteView(signature))}};
}

SignedManifest SignedManifest::from_json(const nlohmann::json& j) {
    return strict("signed manifest", [&] {
        SignedManifest m;
        m.body = ManifestBody::from_json(j.at("signed"));
        auto kid = from_hex(j.at("key_id").get<std::string>(), "key_id");
        auto sig = from_hex(j.at("signature").get<std::string>(), "signature");
        if (kid.size() != 32 || sig.size() != 64) throw InputError("signed manifest: key_id or signature of the wrong size");
        std::copy(kid.begin(), kid.end(), m.key_id.begin());
        std::copy(sig.begin(), sig.end(), m.signature.begin());
        return m;
    });
}

std::string_view to_string(ManifestVerdict v) {
    switch (v) {
    case ManifestVerdict::accepted: return "accepted";
    case ManifestVerdict::untrusted_key: return "untrusted-key";
    case ManifestVerdict::bad_signature: return "bad-signature";
    case ManifestVerdict::expired: return "expired";
    case ManifestVerdict::rollback: return "rollback";
    case ManifestVerdict::wrong_product: return "wrong-product";
    case ManifestVerdict::incompatible: return "incompatible";
    }
    return "unknown";
}

nlohmann::json FailureReport::to_json() const {
    return {{"seq", seq}, {"app", app}, {"kind", kind}, {"status", status}, {"time_ms", time_ms}, {"detail", detail}};
}

FailureReport FailureReport::from_json(const nlohmann::json& j) {
    return strict("failure report", [&] {
        FailureReport r;
        r.seq = j.at("seq").get<std::uint64_t>();
        r.app = j.at("app").get<std::string>();
        r.kind = j.at("kind").get<std::string>();
        r.status = j.at("status").get<int>();
        r.time_ms = j.at("time_ms").get<std::int64_t>();
        r.detail = j.value("detail", "");
        if (r.app.size() > 64 || r.kind.size() > 32 || r.detail.size() > 4096)
            throw InputError("failure report: a field is longer than allowed");
        return r;
    });
}

}  // namespace svp::protocol

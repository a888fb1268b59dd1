#include "common/image/image_format.h"

#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace svp::image {
namespace {

// Header field offsets (little-endian).
constexpr std::size_t kOffMagic = 0, kOffFormat = 4, kOffHeaderSize = 6, kOffType = 8,
                      kOffFlags = 10, kOffComponent = 12, kOffProduct = 28, kOffVersion = 44,
                      kOffCounter = 48, kOffPayloadSize = 52, kOffProtectedSize = 56,
                      kOffLoad = 60, kOffEntry = 64, kOffReserved = 68;

constexpr std::pair<ImageType, std::string_view> kTypeNames[] = {
    {ImageType::one_bl, "one-bl"},
    {ImageType::security_runtime, "security-runtime"},
    {ImageType::security_monitor, "security-monitor"},
    {ImageType::os_kernel, "os-kernel"},
    {ImageType::rootfs, "rootfs"},
    {ImageType::application, "application"},
    {ImageType::rt_firmware, "rt-firmware"},
    {ImageType::trusted_keystore, "trusted-keystore"},
    {ImageType::update_manifest, "update-manifest"},
};

bool known_type(std::uint16_t raw) {
    for (auto& [t, n] : kTypeNames)
        if (static_cast<std::uint16_t>(t) == raw) return true;
    return false;
}

}  // namespace

std::string_view to_string(ImageType t) {
    for (auto& [type, name] : kTypeNames)
        if (type == t) return name;
    return "unknown";
}

std::optional<ImageType> image_type_from_string(std::string_view s) {
    for (auto& [type, name] : kTypeNames)
        if (name == s) return type;
    return std::nullopt;
}

std::string_view to_string(FormatError e) {
    switch (e) {
    case FormatError::truncated: return "truncated";
    case FormatError::bad_magic: return "bad-magic";
    case FormatError::unsupported_version: return "unsupported-version";
    case FormatError::bad_header_size: return "bad-header-size";
    case FormatError::unknown_image_type: return "unknown-image-type";
    case FormatError::oversized: return "oversized";
    case FormatError::bad_signature_block: return "bad-signature-block";
    case FormatError::unknown_algorithm: return "unknown-algorithm";
    case FormatError::bad_protected_area: return "bad-protected-area";
    case FormatError::reserved_not_zero: return "reserved-not-zero";
    }
    return "unknown";
}

std::string to_string(const Guid& g) {
    auto h = to_hex(ByteView(g));
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
           h.substr(20, 12);
}

Guid guid_from_string(std::string_view s, std::string_view what) {
    std::string hex;
    for (std::size_t i = 0; i < s.size(); ++i) {
        bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash_pos != (s[i] == '-') || s.size() != 36)
            throw InputError(fmt::format("{}: '{}' is not a GUID (expected 8-4-4-4-12 hex digits)", what, s));
        if (!dash_pos) hex.push_back(s[i]);
    }
    auto bytes = from_hex(hex, what);
    Guid g{};
    std::copy(bytes.begin(), bytes.end(), g.begin());
    return g;
}

std::string version_to_string(std::uint32_t v) {
    return fmt::format("{}.{}.{}", v >> 24, (v >> 16) & 0xFF, v & 0xFFFF);
}

std::uint32_t version_from_string(std::string_view s, std::string_view what) {
    unsigned long parts[3] = {0, 0, 0};
    std::size_t part = 0, digits = 0;
    for (char c : s) {
        if (c == '.') {
            if (digits == 0 || ++part > 2) goto bad;
            digits = 0;
        } else if (c >= '0' && c <= '9') {
            parts[part] = parts[part] * 10 + static_cast<unsigned long>(c - '0');
            if (++digits > 5) goto bad;
        } else {
            goto bad;
        }
    }
    if (digits == 0 || part != 2 || parts[0] > 255 || parts[1] > 255 || parts[2] > 65535) goto bad;
    return static_cast<std::uint32_t>(parts[0] << 24 | parts[1] << 16 | parts[2]);
bad:
    throw InputError(fmt::format("{}: '{}' is not a version (expected MAJOR.MINOR.PATCH, "
                                 "major and minor 0-255, patch 0-65535)", what, s));
}

crypto::Digest SignatureBlock::key_id() const { return crypto::sha256(ByteView(signer)); }

crypto::Digest ParsedImage::measurement() const { return crypto::sha256(signed_region); }

ImageHeader parse_header(ByteView b) {
    if (b.size() < kHeaderSize)
        throw ImageFormatError(FormatError::truncated,
                               fmt::format("{} bytes, shorter than the {}-byte header", b.size(), kHeaderSize));
    if (get_le32(b, kOffMagic) != kHeaderMagic)
        throw ImageFormatError(FormatError::bad_magic, fmt::format("header magic is 0x{:08x}, expected 0x{:08x} (\"SVPI\")",
                                                                   get_le32(b, kOffMagic), kHeaderMagic));
    if (auto v = get_le16(b, kOffFormat); v != kFormatVersion)
        throw ImageFormatError(FormatError::unsupported_version, fmt::format("format version {}, this build reads {}", v, kFormatVersion));
    if (auto hs = get_le16(b, kOffHeaderSize); hs != kHeaderSize)
        throw ImageFormatError(FormatError::bad_header_size, fmt::format("header size {}, expected {}", hs, kHeaderSize));
    auto raw_type = get_le16(b, kOffType);
    if (!known_type(raw_type))
        throw ImageFormatError(FormatError::unknown_image_type, fmt::format("image type {}", raw_type));
    for (std::size_t i = kOffReserved; i < kHeaderSize; ++i)
        if (b[i] != 0)
            throw ImageFormatError(FormatError::reserved_not_zero, fmt::format("header byte {} is 0x{:02x}", i, b[i]));
    ImageHeader h;
    h.type = static_cast<ImageType>(raw_type);
    h.flags = get_le16(b, kOffFlags);
    std::memcpy(h.component_id.data(), b.data() + kOffComponent, 16);
    std::memcpy(h.product_id.data(), b.data() + kOffProduct, 16);
    h.version = get_le32(b, kOffVersion);
    h.security_counter = get_le32(b, kOffCounter);
    h.payload_size = get_le32(b, kOffPayloadSize);
    h.protected_size = get_le32(b, kOffProtectedSize);
    h.load_address = get_le32(b, kOffLoad);
    h.entry_point = get_le32(b, kOffEntry);
    if (h.flags & ~static_cast<std::uint16_t>(flag_development))
        throw ImageFormatError(FormatError::reserved_not_zero, fmt::format("unknown flag bits 0x{:04x}", h.flags));
    if (h.payload_size > kMaxPayloadSize)
        throw ImageFormatError(FormatError::oversized, fmt::format("payload of {} bytes exceeds the limit of {}", h.payload_size, kMaxPayloadSize));
    if (h.protected_size > kMaxProtectedSize)
        throw ImageFormatError(FormatError::oversized, fmt::format("protected area of {} bytes exceeds the limit of {}", h.protected_size, kMaxProtectedSize));
    return h;
}

ParsedImage parse_image(ByteView b) {
    ParsedImage img;
    img.header = parse_header(b);
    const std::size_t signed_size = kHeaderSize + std::size_t{img.header.payload_size} + img.header.protected_size;
    img.image_size = signed_size + kSignatureBlockSize;
    if (b.size() < img.image_size)
        throw ImageFormatError(FormatError::truncated,
                               fmt::format("{} bytes, but the header declares {} (header {} + payload {} + protected {} + signature {})",
                                           b.size(), img.image_size, kHeaderSize, img.header.payload_size,
                                           img.header.protected_size, kSignatureBlockSize));
    img.signed_region = b.subspan(0, signed_size);
    img.payload = b.subspan(kHeaderSize, img.header.payload_size);
    img.protected_area = std::string_view(reinterpret_cast<const char*>(b.data()) + kHeaderSize + img.header.payload_size,
                                          img.header.protected_size);
    if (!img.protected_area.empty()) {
        auto j = nlohmann::json::parse(img.protected_area, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded() || !j.is_object())
            throw ImageFormatError(FormatError::bad_protected_area, "protected area is not a JSON object");
    }
    auto sig = b.subspan(signed_size, kSignatureBlockSize);
    if (get_le32(sig, 0) != kSignatureMagic)
        throw ImageFormatError(FormatError::bad_signature_block,
                               fmt::format("signature block magic is 0x{:08x} at offset {}, expected 0x{:08x} (\"SVPS\")",
                                           get_le32(sig, 0), signed_size, kSignatureMagic));
    img.signature.algorithm = get_le16(sig, 4);
    if (img.signature.algorithm != 1)
        throw ImageFormatError(FormatError::unknown_algorithm, fmt::format("signature algorithm {}", img.signature.algorithm));
    if (get_le16(sig, 6) != 0) throw ImageFormatError(FormatError::reserved_not_zero, "signature block reserved field");
    std::memcpy(img.signature.signer.data(), sig.data() + 8, 64);
    std::memcpy(img.signature.signature.data(), sig.data() + 72, 64);
    return img;
}

Bytes pack_image(const ImageHeader& h, ByteView payload, std::string_view protected_json) {
    if (payload.size() > kMaxPayloadSize)
        throw ImageFormatError(FormatError::oversized, fmt::format("payload of {} bytes", payload.size()));
    if (protected_json.size() > kMaxProtectedSize)
        throw ImageFormatError(FormatError::oversized, fmt::format("protected area of {} bytes", protected_json.size()));
    if (!protected_json.empty()) {
        auto j = nlohmann::json::parse(protected_json, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            throw ImageFormatError(FormatError::bad_protected_area, "protected area is not a JSON object");
    }
    Bytes out;
    out.reserve(kHeaderSize + payload.size() + protected_json.size() + kSignatureBlockSize);
    put_le32(out, kHeaderMagic);
    put_le16(out, kFormatVersion);
    put_le16(out, kHeaderSize);
    put_le16(out, static_cast<std::uint16_t>(h.type));
    put_le16(out, h.flags);
    out.insert(out.end(), h.component_id.begin(), h.component_id.end());
    out.insert(out.end(), h.product_id.begin(), h.product_id.end());
    put_le32(out, h.version);
    put_le32(out, h.security_counter);
    put_le32(out, static_cast<std::uint32_t>(payload.size()));
    put_le32(out, static_cast<std::uint32_t>(protected_json.size()));
    put_le32(out, h.load_address);
    put_le32(out, h.entry_point);
    out.resize(kHeaderSize, 0);
    out.insert(out.end(), payload.begin(), payload.end());
    out.insert(out.end(), protected_json.begin(), protected_json.end());
    put_le32(out, kSignatureMagic);
    put_le16(out, 1);
    put_le16(out, 0);
    out.resize(out.size() + 128, 0);
    return out;
}

Bytes sign_image(ByteView image, const crypto::EcPrivateKey& key) {
    auto parsed = parse_image(image);
    Bytes out(image.begin(), image.begin() + static_cast<std::ptrdiff_t>(parsed.image_size));
    auto digest = parsed.measurement();
    auto sig = key.sign_digest(digest);
    auto pub = key.public_key().raw();
    const std::size_t at = parsed.signed_region.size();
    std::memcpy(out.data() + at + 8, pub.data(), 64);
    std::memcpy(out.data() + at + 72, sig.data(), 64);
    return out;
}

bool signature_matches(const ParsedImage& image) {
    try {
        auto key = crypto::EcPublicKey::from_raw(ByteView(image.signature.signer), "signer key");
        return key.verify_digest(image.measurement(), image.signature.signature);
    } catch (const InputError&) {
        return false;  // an all-zero (unsigned) or off-curve signer key verifies nothing
    }
}

std::string describe(const ParsedImage& img) {
    const auto& h = img.header;
    std::string out;
    out += fmt::format("type             {} ({})\n", to_string(h.type), static_cast<int>(h.type));
    out += fmt::format("component        {}\n", to_string(h.component_id));
    out += fmt::format("product          {}\n", to_string(h.product_id));
    out += fmt::format("version          {}\n", version_to_string(h.version));
    out += fmt::format("security counter {}\n", h.security_counter);
    out += fmt::format("flags            0x{:04x}{}\n", h.flags, (h.flags & flag_development) ? " (development)" : "");
    out += fmt::format("load / entry     0x{:08x} / 0x{:08x}\n", h.load_address, h.entry_point);
    out += fmt::format("sizes            payload {} + protected {} + header {} + signature {} = {} bytes\n",
                       h.payload_size, h.protected_size, kHeaderSize, kSignatureBlockSize, img.image_size);
    out += fmt::format("measurement      {}\n", to_hex(ByteView(img.measurement())));
    out += fmt::format("signer key id    {}\n", to_hex(ByteView(img.signature.key_id())));
    out += fmt::format("signature        {}\n", signature_matches(img) ? "matches the signer key" : "DOES NOT MATCH");
    if (!img.protected_area.empty())
        out += fmt::format("protected area   {}\n", nlohmann::json::parse(img.protected_area).dump());
    return out;
}

}  // namespace svp::image

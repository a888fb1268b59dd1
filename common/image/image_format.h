// The one signed image format for every boot stage and app (issue: security subsystem).
//
//   +-----------------------------+  offset 0
//   | header (128 bytes, LE)      |  magic "SVPI", format version, type, ids, version,
//   |                             |  security counter, sizes, load address, entry point
//   +-----------------------------+  128
//   | payload (payload_size)      |  code or data of the stage / app
//   +-----------------------------+
//   | protected area              |  JSON: manifest, dependencies (signed, so trusted)
//   +-----------------------------+  signed_size = 128 + payload_size + protected_size
//   | signature block (136 bytes) |  magic "SVPS", algorithm, signer public key X||Y,
//   |                             |  ECDSA P-256 r||s over SHA-256(header..protected area)
//   +-----------------------------+  image_size
//   | anything after is ignored   |  never measured, never loaded, never run (B4)
//
// The measurement of an image is the SHA-256 of its signed region, the same digest the
// signature covers, so the cloud can compute it from the image file alone.
// Parsing is strict: each malformed field is refused with its own reason code.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/crypto/ec_key.h"
#include "common/util/input_error.h"

namespace svp::image {

inline constexpr std::uint32_t kHeaderMagic = 0x49505653;     // "SVPI"
inline constexpr std::uint32_t kSignatureMagic = 0x53505653;  // "SVPS"
inline constexpr std::uint16_t kFormatVersion = 1;
inline constexpr std::size_t kHeaderSize = 128;
inline constexpr std::size_t kSignatureBlockSize = 136;
inline constexpr std::uint32_t kMaxPayloadSize = 64u << 20;   // larger than any flash we model
inline constexpr std::uint32_t kMaxProtectedSize = 64u << 10;

// Image types, numbered as Azure Sphere numbers them where a counterpart exists
// (reference: az_const.py in Wiz-IO's azure-sphere-reverse-engineering).
enum class ImageType : std::uint16_t {
    one_bl = 1,
    security_runtime = 2,   // Pluton runtime
    security_monitor = 4,
    os_kernel = 7,
    rootfs = 8,
    application = 10,
    rt_firmware = 11,       // real-time core firmware (an ELF payload)
    trusted_keystore = 19,
    update_manifest = 25,
};
std::string_view to_string(ImageType t);
std::optional<ImageType> image_type_from_string(std::string_view s);

using Guid = std::array<std::uint8_t, 16>;
std::string to_string(const Guid& g);  // 8-4-4-4-12 hex
// Throws InputError naming `what` on a malformed GUID.
Guid guid_from_string(std::string_view s, std::string_view what = "GUID");

// Versions are major.minor.patch packed as major<<24 | minor<<16 | patch.
std::string version_to_string(std::uint32_t v);
std::uint32_t version_from_string(std::string_view s, std::string_view what = "version");

enum Flags : std::uint16_t {
    flag_development = 1u << 0,  // built for development devices (debug enabled)
};

struct ImageHeader {
    ImageType type = ImageType::application;
    std::uint16_t flags = 0;
    Guid component_id{};
    Guid product_id{};
    std::uint32_t version = 0;
    std::uint32_t security_counter = 0;  // anti-rollback: compared with the fuse counter
    std::uint32_t payload_size = 0;
    std::uint32_t protected_size = 0;
    std::uint32_t load_address = 0;
    std::uint32_t entry_point = 0;
};

struct SignatureBlock {
    std::uint16_t algorithm = 1;  // 1 = ECDSA P-256 with SHA-256
    crypto::RawPublicKey signer{};
    crypto::RawSignature signature{};
    crypto::Digest key_id() const;  // SHA-256 of the signer's public key
};

// Why parsing refused an image. Stable names: events and tests use them.
enum class FormatError {
    truncated,             // fewer bytes than the header or the sizes it declares
    bad_magic,
    unsupported_version,
    bad_header_size,
    unknown_image_type,
    oversized,             // payload or protected area beyond the format's limits
    bad_signature_block,   // missing or malformed signature block
    unknown_algorithm,
    bad_protected_area,    // not UTF-8 JSON object
    reserved_not_zero,
};
std::string_view to_string(FormatError e);

class ImageFormatError : public InputError {
public:
    ImageFormatError(FormatError code, const std::string& detail)
        : InputError(std::string(to_string(code)) + ": " + detail), code_(code), detail_(detail) {}
    FormatError code() const { return code_; }
    const std::string& detail() const { return detail_; }

private:
    FormatError code_;
    std::string detail_;
};

struct ParsedImage {
    ImageHeader header;
    ByteView payload;
    std::string_view protected_area;  // JSON text
    SignatureBlock signature;
    ByteView signed_region;           // header + payload + protected area
    std::size_t image_size = 0;       // signed region + signature block
    crypto::Digest measurement() const;  // SHA-256 of the signed region
};

// Parses `bytes` (which may continue past the image; the rest is ignored). The views in the
// result point into `bytes`. Throws ImageFormatError with the first malformed field.
ParsedImage parse_image(ByteView bytes);
// Parses only the 128-byte header (the boot ROM reads it first to learn the sizes).
ImageHeader parse_header(ByteView bytes);

// Builds an image with a zeroed signature block; `protected_json` must be a JSON object.
Bytes pack_image(const ImageHeader& header, ByteView payload, std::string_view protected_json);
// Signs a packed (or already signed) image in place of its signature block.
Bytes sign_image(ByteView image, const crypto::EcPrivateKey& key);
// Checks only that the signature matches the embedded signer key (not whether that key is
// trusted: that is the security subsystem's decision).
bool signature_matches(const ParsedImage& image);

// A human-readable description (`spherevp image inspect`).
std::string describe(const ParsedImage& image);

}  // namespace svp::image

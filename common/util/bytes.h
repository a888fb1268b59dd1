// Byte buffers and the small conversions every layer needs (hex, little-endian fields, files).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace svp {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

std::string to_hex(ByteView bytes);
// Throws InputError naming `what` when `hex` is not an even-length hex string.
Bytes from_hex(std::string_view hex, std::string_view what = "hex string");

inline ByteView as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string as_string(ByteView b) { return {b.begin(), b.end()}; }

// Whole-file I/O; errors name the path (InputError for reads, std::runtime_error for writes).
Bytes read_file(const std::filesystem::path& path);
std::string read_text_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, ByteView bytes);
// Writes to a temporary sibling and renames it, so a reader never sees half a file.
void write_file_atomic(const std::filesystem::path& path, ByteView bytes);

void put_le16(Bytes& out, std::uint16_t v);
void put_le32(Bytes& out, std::uint32_t v);
void put_le64(Bytes& out, std::uint64_t v);
std::uint16_t get_le16(ByteView in, std::size_t at);
std::uint32_t get_le32(ByteView in, std::size_t at);
std::uint64_t get_le64(ByteView in, std::size_t at);

}  // namespace svp

// The Range request header (RFC 9110 §14.2) for image downloads: one byte range, as
// "bytes=FIRST-LAST", "bytes=FIRST-" or "bytes=-SUFFIX". Strict, like the target parser:
//   - bad syntax, a range list ("0-1,5-6"), LAST < FIRST: 400 "malformed" (RFC 9110 would
//     let a server ignore such a header and send everything; the stub never sends more than
//     asked, and says why);
//   - a range that starts at or beyond the end, or an empty suffix: 416
//     "range-not-satisfiable" with "Content-Range: bytes */SIZE";
//   - LAST beyond the end is cut to the end; a suffix longer than the file is the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace svp::cloud {

struct ByteRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;  // inclusive
    std::uint64_t length() const { return last - first + 1; }
};

// No header: std::nullopt (the whole file). Throws ApiError otherwise.
std::optional<ByteRange> parse_range(std::string_view header, std::uint64_t size);

}  // namespace svp::cloud

#include "cloud-stub/http_range.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include <fmt/format.h>

#include "cloud-stub/api_types.h"

namespace svp::cloud {
namespace {

[[noreturn]] void malformed(const std::string& detail) { throw ApiError(400, reason::malformed, "Range: " + detail); }

[[noreturn]] void unsatisfiable(std::uint64_t size, const std::string& detail) {
    throw ApiError(416, "range-not-satisfiable", fmt::format("{} (the image has {} bytes)", detail, size),
                   {{"Content-Range", fmt::format("bytes */{}", size)}});
}

std::optional<std::uint64_t> number(std::string_view text) {
    if (text.empty() || text.size() > 19) return std::nullopt;
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
}

}  // namespace

std::optional<ByteRange> parse_range(std::string_view header, std::uint64_t size) {
    while (!header.empty() && (header.front() == ' ' || header.front() == '\t')) header.remove_prefix(1);
    while (!header.empty() && (header.back() == ' ' || header.back() == '\t')) header.remove_suffix(1);
    if (header.empty()) return std::nullopt;
    auto eq = header.find('=');
    if (eq == std::string_view::npos || !iequals(header.substr(0, eq), "bytes"))
        malformed("only byte ranges are served: bytes=FIRST-LAST, bytes=FIRST- or bytes=-SUFFIX");
    auto spec = header.substr(eq + 1);
    if (spec.find(',') != std::string_view::npos) malformed("one range per request");
    auto dash = spec.find('-');
    if (dash == std::string_view::npos) malformed("a range needs a '-'");
    auto first_text = spec.substr(0, dash), last_text = spec.substr(dash + 1);

    if (first_text.empty()) {  // a suffix: the last N bytes
        auto n = number(last_text);
        if (!n) malformed("the suffix length must be a decimal number");
        if (*n == 0 || size == 0) unsatisfiable(size, "an empty suffix");
        return ByteRange{size - std::min(*n, size), size - 1};
    }
    auto first = number(first_text);
    if (!first) malformed("the first byte must be a decimal number");
    std::optional<std::uint64_t> last;
    if (!last_text.empty()) {
        last = number(last_text);
        if (!last) malformed("the last byte must be a decimal number");
        if (*last < *first) malformed("the last byte comes before the first");
    }
    if (*first >= size) unsatisfiable(size, fmt::format("the range starts at byte {}", *first));
    return ByteRange{*first, last ? std::min(*last, size - 1) : size - 1};
}

}  // namespace svp::cloud

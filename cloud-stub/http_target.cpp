#include "cloud-stub/http_target.h"

#include <fmt/format.h>

#include "cloud-stub/api_types.h"

namespace svp::cloud {
namespace {

inline constexpr std::size_t kMaxTargetLength = 2048;

[[noreturn]] void malformed(const std::string& detail) { throw ApiError(400, reason::malformed, "target: " + detail); }

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decodes one component; '+' means a space only in a query (HTML form encoding).
std::string decode(std::string_view text, bool in_query) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) malformed(fmt::format("truncated percent-escape at position {}", i));
            int hi = hex_digit(text[i + 1]), lo = hex_digit(text[i + 2]);
            if (hi < 0 || lo < 0) malformed(fmt::format("bad percent-escape at position {}", i));
            c = static_cast<char>(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && in_query) {
            c = ' ';
        }
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) malformed("control character");
        out.push_back(c);
    }
    return out;
}

}  // namespace

RequestTarget parse_target(std::string_view target) {
    if (target.empty() || target.front() != '/') malformed("must start with '/'");
    if (target.size() > kMaxTargetLength) malformed(fmt::format("longer than {} characters", kMaxTargetLength));
    RequestTarget out;
    auto qpos = target.find('?');
    std::string_view path = target.substr(0, qpos);
    if (auto frag = target.find('#'); frag != std::string_view::npos) malformed("a fragment is not sent to a server");

    std::string_view rest = path.substr(1);
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);  // one trailing slash is harmless
    while (!rest.empty()) {
        auto slash = rest.find('/');
        auto segment = rest.substr(0, slash);
        if (segment.empty()) malformed("empty path segment");
        auto decoded = decode(segment, false);
        if (decoded == "." || decoded == ".." || decoded.find('/') != std::string::npos)
            malformed("dot-segment or encoded slash in the path");
        out.segments.push_back(std::move(decoded));
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if (slash != std::string_view::npos && rest.empty()) malformed("empty path segment");
    }

    if (qpos == std::string_view::npos) return out;
    std::string_view query = target.substr(qpos + 1);
    while (!query.empty()) {
        auto amp = query.find('&');
        auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty()) continue;  // "a=1&&b=2": tolerated, as browsers do
        auto eq = pair.find('=');
        auto key = decode(pair.substr(0, eq), true);
        auto value = eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1), true);
        if (key.empty()) malformed("query parameter without a name");
        if (!out.query.emplace(key, std::move(value)).second)
            malformed(fmt::format("query parameter '{}' given twice", key));
    }
    return out;
}

}  // namespace svp::cloud

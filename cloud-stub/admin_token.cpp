#include "cloud-stub/admin_token.h"

#include <cctype>

#include <openssl/crypto.h>

#include "cloud-stub/secret_file.h"
#include "common/util/input_error.h"

namespace svp::cloud {

AdminToken AdminToken::load_or_create(const std::filesystem::path& path, ServiceRandom& random) {
    auto abs = std::filesystem::absolute(path).lexically_normal();
    if (!std::filesystem::exists(abs)) {
        auto token = random.admin_token();
        write_secret_file(abs, as_bytes(token + "\n"));
        return AdminToken(abs, token);
    }
    auto text = read_secret_file(abs);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    if (text.size() < 32) throw InputError(abs.string(), 1, "admin token is shorter than 32 characters");
    return AdminToken(abs, text);
}

bool AdminToken::accepts(std::string_view authorization) const {
    constexpr std::string_view scheme = "bearer ";  // RFC 7235: the scheme is case-insensitive
    if (authorization.size() != scheme.size() + token_.size()) return false;
    for (std::size_t i = 0; i < scheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return false;
    // Constant time: a byte-by-byte early exit would leak the token one prefix at a time.
    return CRYPTO_memcmp(authorization.data() + scheme.size(), token_.data(), token_.size()) == 0;
}

}  // namespace svp::cloud

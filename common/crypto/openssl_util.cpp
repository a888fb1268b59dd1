#include "common/crypto/openssl_util.h"

#include <openssl/err.h>

namespace svp::crypto {

OpenSslError::OpenSslError(const std::string& what) : std::runtime_error(what) {}

std::string openssl_errors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out;
}

void throw_openssl(const std::string& what) {
    auto errors = openssl_errors();
    throw OpenSslError(errors.empty() ? what : what + ": " + errors);
}

std::string bio_to_string(BIO* bio) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace svp::crypto

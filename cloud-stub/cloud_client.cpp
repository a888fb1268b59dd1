#include "cloud-stub/cloud_client.h"

#include <cctype>
#include <charconv>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>

#include "common/crypto/x509.h"
#include "common/util/input_error.h"

namespace svp::cloud {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

inline constexpr std::uint64_t kMaxResponseBytes = 256u << 20;

bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

}  // namespace

nlohmann::json CloudResponse::json() const { return nlohmann::json::parse(body, nullptr, false); }

std::string CloudResponse::header(std::string_view name) const {
    std::string key(name);
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = headers.find(key);
    return it == headers.end() ? std::string() : it->second;
}

std::string CloudResponse::error() const {
    if (ok()) return {};
    auto j = json();
    return j.is_object() && j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : "";
}

CloudClientOptions CloudClientOptions::from_url(std::string_view url) {
    constexpr std::string_view scheme = "https://";
    if (url.substr(0, scheme.size()) != scheme)
        throw InputError(fmt::format("--url: '{}' must start with https:// (the stub speaks only HTTPS)", url));
    auto rest = url.substr(scheme.size());
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || rest.find('/') != std::string_view::npos)
        throw InputError(fmt::format("--url: '{}' must be https://HOST:PORT", url));
    CloudClientOptions o;
    o.host = std::string(rest.substr(0, colon));
    if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']') o.host = o.host.substr(1, o.host.size() - 2);
    auto port = rest.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (o.host.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
        throw InputError(fmt::format("--url: '{}' must be https://HOST:PORT with a port in 1..65535", url));
    o.port = static_cast<std::uint16_t>(value);
    return o;
}

struct CloudClient::Impl {
    CloudClientOptions options;
    asio::io_context io;
    ssl::context tls{ssl::context::tls_client};
    std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
    beast::flat_buffer buffer;

    explicit Impl(CloudClientOptions o) : options(std::move(o)) {
        SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
        tls.set_verify_mode(ssl::verify_peer);
        if (options.ca_pem.empty()) throw InputError("cloud client: no CA certificate to trust the server with");
        // Parsed here first so that a wrong file is the user's error, named, not an OpenSSL failure.
        crypto::Certificate::from_pem(options.ca_pem, "the CA to trust");
        tls.add_certificate_authority(asio::buffer(options.ca_pem));
        if (!options.client_certificate_pem.empty()) {
            crypto::Certificate::from_pem(options.client_certificate_pem, "the client certificate");
            crypto::EcPrivateKey::from_pem(options.client_key_pem, "the client key");
            tls.use_certificate(asio::buffer(options.client_certificate_pem), ssl::context::pem);
            tls.use_private_key(asio::buffer(options.client_key_pem), ssl::context::pem);
        }
    }

    // Runs one asynchronous operation to completion on the private io_context: the only way
    // to give a synchronous call a deadline with Asio.
    template <class Start>
    void run(const char* what, Start&& start) {
        boost::system::error_code result;
        start([&result](boost::system::error_code ec, auto&&...) { result = ec; });
        io.restart();
        io.run();
        if (!result) return;
        std::string why = result == beast::error::timeout ? "timed out" : result.message();
        if (stream) {
            long verdict = SSL_get_verify_result(stream->native_handle());
            if (verdict != X509_V_OK) why += fmt::format(" (server certificate: {})", X509_verify_cert_error_string(verdict));
        }
        throw CloudClientError(fmt::format("{}:{}: {}: {}", options.host, options.port, what, why));
    }

    void connect() {
        try {
            open();
        } catch (...) {
            drop();
            throw;
        }
    }

    void open() {
        stream.emplace(io, tls);
        auto& layer = beast::get_lowest_layer(*stream);
        SSL* ssl_handle = stream->native_handle();
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
        if (is_ip_literal(options.host)) {
            X509_VERIFY_PARAM_set1_ip_asc(param, options.host.c_str());
        } else {
            X509_VERIFY_PARAM_set1_host(param, options.host.c_str(), 0);
            SSL_set_tlsext_host_name(ssl_handle, options.host.c_str());
        }
        if (options.verify_time) X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(options.verify_time()));

        tcp::resolver resolver(io);
        boost::system::error_code ec;
        auto endpoints = resolver.resolve(options.host, std::to_string(options.port), ec);
        if (ec) throw CloudClientError(fmt::format("{}: cannot resolve: {}", options.host, ec.message()));
        layer.expires_after(options.timeout);
        run("connect", [&](auto handler) { layer.async_connect(endpoints, std::move(handler)); });
        layer.socket().set_option(tcp::no_delay(true));
        layer.expires_after(options.timeout);
        run("TLS handshake", [&](auto handler) { stream->async_handshake(ssl::stream_base::client, std::move(handler)); });
    }

    CloudResponse exchange(const http::request<http::string_body>& req) {
        auto& layer = beast::get_lowest_layer(*stream);
        layer.expires_after(options.timeout);
        run("send request", [&](auto handler) { http::async_write(*stream, req, std::move(handler)); });
        http::response_parser<http::string_body> parser;
        parser.body_limit(kMaxResponseBytes);
        layer.expires_after(options.timeout);
        run("read response", [&](auto handler) { http::async_read(*stream, buffer, parser, std::move(handler)); });
        auto res = parser.release();
        if (!res.keep_alive()) drop();
        CloudResponse out{static_cast<unsigned>(res.result_int()), std::move(res.body()), {}};
        for (const auto& field : res) {
            std::string name(field.name_string());
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            out.headers[name] = std::string(field.value());
        }
        return out;
    }

    void drop() {
        if (!stream) return;
        boost::system::error_code ignored;
        beast::get_lowest_layer(*stream).socket().close(ignored);
        stream.reset();
        buffer.clear();
    }
};

CloudClient::CloudClient(CloudClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
CloudClient::~CloudClient() = default;
CloudClient::CloudClient(CloudClient&&) noexcept = default;
CloudClient& CloudClient::operator=(CloudClient&&) noexcept = default;

CloudResponse CloudClient::request(std::string_view method, std::string_view target, std::string body,
                                   std::string_view content_type,
                                   const std::vector<std::pair<std::string, std::string>>& headers) {
    http::request<http::string_body> req{http::string_to_verb(beast::string_view(method.data(), method.size())),
                                         std::string(target), 11};
    if (req.method() == http::verb::unknown) throw std::invalid_argument("unknown HTTP method " + std::string(method));
    req.set(http::field::host, fmt::format("{}:{}", impl_->options.host, impl_->options.port));
    req.set(http::field::user_agent, "spherevp-cloud-client");
    if (!impl_->options.bearer_token.empty()) req.set(http::field::authorization, "Bearer " + impl_->options.bearer_token);
    if (!body.empty()) req.set(http::field::content_type, std::string(content_type));
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = std::move(body);
    req.keep_alive(true);
    req.prepare_payload();

    const bool reused = impl_->stream.has_value();
    if (!reused) impl_->connect();
    try {
        return impl_->exchange(req);
    } catch (const CloudClientError&) {
        impl_->drop();
        // A kept-alive connection the server closed while idle: one fresh attempt.
        if (!reused) throw;
    }
    impl_->connect();
    try {
        return impl_->exchange(req);
    } catch (const CloudClientError&) {
        impl_->drop();
        throw;
    }
}

CloudResponse CloudClient::upload_image(ByteView image) {
    return request("POST", "/admin/v1/images", as_string(image), "application/octet-stream");
}

std::string CloudClient::tls_version() const {
    return impl_->stream ? SSL_get_version(impl_->stream->native_handle()) : "";
}

void CloudClient::close() { impl_->drop(); }

}  // namespace svp::cloud

#include "os-sim/net/https_client.h"

#include <algorithm>
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without including <utility> in C++20

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace svp::os {
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// Makes a TlsSession look like a Boost.Asio synchronous stream, so Beast can frame messages.
class SessionStream {
public:
    explicit SessionStream(TlsSession& s) : session_(s) {}

    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
        ec = {};
        for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
            boost::asio::mutable_buffer b = *it;
            if (b.size() == 0) continue;
            const long n = session_.read(b.data(), b.size());
            if (n == 0) ec = boost::asio::error::eof;
            if (n < 0) ec = boost::asio::error::connection_reset;
            return n > 0 ? static_cast<std::size_t>(n) : 0;
        }
        return 0;
    }
    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers) {
        boost::system::error_code ec;
        auto n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& buffers, boost::system::error_code& ec) {
        ec = {};
        std::size_t total = 0;
        for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
            boost::asio::const_buffer b = *it;
            if (b.size() == 0) continue;
            if (session_.write(b.data(), b.size()) < 0) {
                ec = boost::asio::error::broken_pipe;
                return total;
            }
            total += b.size();
        }
        return total;
    }
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& buffers) {
        boost::system::error_code ec;
        auto n = write_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

private:
    TlsSession& session_;
};

}  // namespace

nlohmann::json HttpResponse::json() const { return nlohmann::json::parse(body, nullptr, false); }

HttpResult http_request(TlsSession& session, const std::string& host, const HttpRequest& request,
                        std::size_t max_response_bytes) {
    SessionStream stream(session);
    const auto verb = http::string_to_verb(request.method);
    if (verb == http::verb::unknown) return {std::nullopt, "unknown HTTP method " + request.method};
    http::request<http::string_body> req{verb, request.target, 11};
    req.set(http::field::host, host);
    req.set(http::field::user_agent, "spherevp-os/0.2");
    req.set(http::field::connection, "close");
    for (const auto& [name, value] : request.headers) req.set(name, value);
    if (!request.body.empty() || verb == http::verb::post) {
        req.set(http::field::content_type, request.content_type);
        req.body() = request.body;
    }
    req.prepare_payload();
    boost::system::error_code ec;
    http::write(stream, req, ec);
    if (ec) return {std::nullopt, "send failed: " + ec.message()};
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_response_bytes);
    parser.header_limit(16 * 1024);
    http::read(stream, buffer, parser, ec);
    if (ec == http::error::body_limit) return {std::nullopt, "response longer than expected (endless data)"};
    if (ec) return {std::nullopt, "receive failed: " + ec.message()};
    const auto& res = parser.get();
    // Beast (1.74) does not apply the limit to a body delimited by the end of the connection.
    if (res.body().size() > max_response_bytes) return {std::nullopt, "response longer than expected (endless data)"};
    HttpResponse out{static_cast<int>(res.result_int()), res.body(), {}};
    for (const auto& field : res) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        out.headers[name] = std::string(field.value());
    }
    return {std::move(out), {}};
}

HttpResult post_json(TlsSession& session, const std::string& host, const std::string& target,
                     const nlohmann::json& body, std::size_t max_response_bytes) {
    HttpRequest r;
    r.target = target;
    r.body = body.dump();
    return http_request(session, host, r, max_response_bytes);
}

}  // namespace svp::os

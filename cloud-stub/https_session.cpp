#include "cloud-stub/https_session.h"

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <fmt/format.h>

#include "cloud-stub/tls_server_context.h"
#include "common/util/log.h"

namespace svp::cloud {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;

// JSON text for a response. Strings reaching a response are validated UTF-8, but a refusal's
// detail may quote what a client sent: replace, never throw, on a bad byte.
std::string to_text(const nlohmann::ordered_json& body) {
    return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

// The router turns every refusal into a response; this catches what it cannot (the store
// failing while it records one), so one request's failure never ends the service.
template <class Fn>
ApiResponse guarded(Fn&& fn) {
    try {
        return fn();
    } catch (const std::exception& e) {
        log::get("cloud.http")->error("internal error: {}", e.what());
        return {500, {{"error", "internal"}, {"detail", "the service failed; see its log"}}};
    }
}

// A read error is either the HTTP parser's verdict on the bytes (answer 400 or 413) or the
// end of the conversation below HTTP (TLS alert, reset, truncation, timeout): then there is
// no one to answer, and writing over a failed TLS session would only fail again.
bool is_http_error(const beast::error_code& ec) {
    return ec.category() == beast::error_code(http::error::bad_target).category();
}

}  // namespace

HttpsSession::HttpsSession(boost::asio::ip::tcp::socket socket, ssl::context& tls, ApiRouter& router,
                           bool wall_clock_timeouts, protocol::SimSync* sync, std::uint64_t id,
                           std::function<void(HttpsSession*)> on_closed)
    : stream_(SyncedSocket{std::move(socket), sync}, tls), router_(router), wall_clock_timeouts_(wall_clock_timeouts),
      on_closed_(std::move(on_closed)), id_(id) {}

HttpsSession::~HttpsSession() {
    if (on_closed_) on_closed_(this);
}

void HttpsSession::arm_timeout() {
    if (wall_clock_timeouts_) beast::get_lowest_layer(stream_).expires_after(kWallClockIdleTimeout);
    else beast::get_lowest_layer(stream_).expires_never();
}

void HttpsSession::start() {
    arm_timeout();
    stream_.async_handshake(ssl::stream_base::server,
                            [self = shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
}

void HttpsSession::close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
}

void HttpsSession::on_handshake(beast::error_code ec) {
    if (ec) {
        // A client that gave up, or one that does not trust us: nothing to answer over.
        log::get("cloud.http")->debug("TLS handshake failed: {}", ec.message());
        return close();
    }
    peer_ = peer_certificate(stream_.native_handle());
    read_header();
}

void HttpsSession::read_header() {
    if (closed_) return;
    parser_.emplace();
    // The largest body any endpoint takes; after the header the router chooses the real
    // limit for this request (Beast checks Content-Length against the limit as the header ends).
    parser_->body_limit(kMaxImageUploadBytes);
    parser_->header_limit(16 * 1024);
    arm_timeout();
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void HttpsSession::on_header(beast::error_code ec) {
    if (closed_) return;
    if (ec == http::error::end_of_stream) return shutdown();  // close_notify between requests
    if (ec && !is_http_error(ec)) return close();
    if (ec) {
        return send(guarded([&] { return router_.refuse_request(ApiError(400, "bad-http", ec.message()), "/"); }),
                    false);
    }
    auto& req = parser_->get();
    const auto limit = router_.body_limit(std::string(req.method_string()), std::string(req.target()),
                                          std::string(req[http::field::authorization]), peer_);
    if (auto length = parser_->content_length(); length && *length > limit) {
        auto response = guarded([&] {
            return router_.refuse_request(
                ApiError(413, reason::too_large, fmt::format("body of {} bytes; this request takes at most {}", *length, limit)),
                std::string(req.target()));
        });
        return send(std::move(response), false);  // the unread body is still on the wire: close after
    }
    parser_->body_limit(limit);  // for chunked bodies, whose length is not known up front

    if (beast::iequals(req[http::field::expect], "100-continue")) {
        // curl sends large uploads only after this (or after waiting a second for it).
        auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, req.version());
        in_flight_ = cont;
        http::async_write(stream_, *cont, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->close();
            self->read_body();
        });
        return;
    }
    read_body();
}

void HttpsSession::read_body() {
    arm_timeout();
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

void HttpsSession::on_body(beast::error_code ec) {
    if (closed_) return;
    if (ec && !is_http_error(ec)) return close();
    if (ec) {
        const bool too_large = ec == http::error::body_limit;
        auto response = guarded([&] {
            return router_.refuse_request(too_large ? ApiError(413, reason::too_large, "body over the limit of this request")
                                                    : ApiError(400, "bad-http", ec.message()),
                                          std::string(parser_->get().target()));
        });
        return send(std::move(response), false);
    }
    auto req = parser_->release();
    ApiRequest request{std::string(req.method_string()), std::string(req.target()),
                       std::string(req[http::field::authorization]), std::move(req.body()), peer_,
                       std::string(req[http::field::range]), id_};
    send(guarded([&] { return router_.handle(request); }), req.keep_alive());
}

void HttpsSession::send(ApiResponse api, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(api.status), 11);
    res->set(http::field::server, "spherevp-cloud");
    res->set(http::field::content_type, api.raw ? "application/octet-stream" : "application/json");
    for (const auto& [name, value] : api.headers) res->set(name, value);
    res->keep_alive(keep_alive);
    res->body() = api.raw ? std::move(*api.raw) : to_text(api.body);
    res->prepare_payload();
    in_flight_ = res;
    arm_timeout();
    http::async_write(stream_, *res, [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
        self->on_sent(ec, keep_alive);
    });
}

void HttpsSession::on_sent(beast::error_code ec, bool keep_alive) {
    in_flight_.reset();
    if (ec) return close();
    if (keep_alive) return read_header();
    shutdown();
}

void HttpsSession::shutdown() {
    if (closed_) return;
    // Send close_notify and close, without waiting for the client's: RFC 8446 6.1 lets the
    // closer skip the reply. Marking it received makes SSL_shutdown complete once ours is out,
    // so a client that never answers (or has gone) cannot keep the connection, which matters
    // where no wall-clock timeout may cut it.
    SSL* ssl = stream_.native_handle();
    SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
    arm_timeout();
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->close(); });
}

}  // namespace svp::cloud

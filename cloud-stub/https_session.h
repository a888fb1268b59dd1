// One HTTPS connection: TLS handshake, then HTTP/1.1 requests in turn (keep-alive) until the
// client closes or asks to. Each request goes to the ApiRouter; the session only frames bytes.
//
// Everything runs on the service's one io_context thread, so requests are handled in the
// order they arrive and a seeded run draws its random values in that order.
// Timeouts: with the wall clock, an idle or stalled connection is closed after
// kWallClockIdleTimeout; with a clock file there are none, because a simulation may hold a
// connection open for as long as it computes.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "cloud-stub/api_router.h"
#include "cloud-stub/sim_synced_stream.h"

namespace svp::cloud {

inline constexpr std::chrono::seconds kWallClockIdleTimeout{60};

class HttpsSession : public std::enable_shared_from_this<HttpsSession> {
public:
    // `sync` (may be null): the simulation's SimSync channel, for quiescence reporting.
    // `id`: the connection's number (1, 2, ... in accept order), given to each request.
    HttpsSession(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls, ApiRouter& router,
                 bool wall_clock_timeouts, protocol::SimSync* sync, std::uint64_t id,
                 std::function<void(HttpsSession*)> on_closed);
    ~HttpsSession();

    void start();
    // Ends the connection now (service shutdown).
    void close();

private:
    void arm_timeout();
    void on_handshake(boost::beast::error_code ec);
    void read_header();
    void on_header(boost::beast::error_code ec);
    void read_body();
    void on_body(boost::beast::error_code ec);
    void send(ApiResponse response, bool keep_alive);
    void on_sent(boost::beast::error_code ec, bool keep_alive);
    void shutdown();

    boost::beast::ssl_stream<SimSyncedStream> stream_;
    ApiRouter& router_;
    bool wall_clock_timeouts_;
    std::function<void(HttpsSession*)> on_closed_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    std::shared_ptr<void> in_flight_;  // the message being written, kept alive until written
    PeerCertificate peer_;
    std::uint64_t id_;
    bool closed_ = false;
};

}  // namespace svp::cloud

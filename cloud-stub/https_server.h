// The HTTPS listener: accepts loopback connections and gives each to an HttpsSession, all on
// the caller's io_context (one thread). stop() closes the listener and every open connection,
// so io_context::run returns once their handlers have unwound.
#pragma once

#include <memory>
#include <unordered_set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ssl/context.hpp>

#include "cloud-stub/api_router.h"
#include "common/protocol/sim_sync.h"

namespace svp::cloud {

class HttpsSession;

class HttpsServer {
public:
    HttpsServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& listen,
                boost::asio::ssl::context& tls, ApiRouter& router, bool wall_clock_timeouts,
                protocol::SimSync* sync = nullptr);
    ~HttpsServer();

    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
    void start();
    void stop();

private:
    void accept();

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer accept_retry_;
    boost::asio::ssl::context& tls_;
    ApiRouter& router_;
    bool wall_clock_timeouts_;
    protocol::SimSync* sync_;
    // Sessions own themselves (shared_ptr held by their pending handlers); this set only lets
    // stop() reach them. Each removes itself as it is destroyed.
    std::shared_ptr<std::unordered_set<HttpsSession*>> live_ = std::make_shared<std::unordered_set<HttpsSession*>>();
    bool stopped_ = false;
    std::uint64_t connections_ = 0;
};

}  // namespace svp::cloud

#include "cloud-stub/https_server.h"

#include "cloud-stub/https_session.h"
#include "common/util/log.h"

namespace svp::cloud {

namespace asio = boost::asio;
using asio::ip::tcp;

HttpsServer::HttpsServer(asio::io_context& io, const tcp::endpoint& listen, asio::ssl::context& tls, ApiRouter& router,
                         bool wall_clock_timeouts, protocol::SimSync* sync)
    : io_(io), acceptor_(io), accept_retry_(io), tls_(tls), router_(router), wall_clock_timeouts_(wall_clock_timeouts),
      sync_(sync) {
    acceptor_.open(listen.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(listen);
    acceptor_.listen(asio::socket_base::max_listen_connections);
}

HttpsServer::~HttpsServer() { stop(); }

void HttpsServer::start() { accept(); }

void HttpsServer::accept() {
    acceptor_.async_accept(io_, [this](boost::system::error_code ec, tcp::socket socket) {
        if (stopped_ || ec == asio::error::operation_aborted) return;
        if (ec) {
            // Out of descriptors, say: keep listening, but give connections time to close
            // instead of spinning on the same failure.
            log::get("cloud.http")->warn("accept failed: {}", ec.message());
            accept_retry_.expires_after(std::chrono::milliseconds(100));
            accept_retry_.async_wait([this](boost::system::error_code wait_ec) {
                if (!wait_ec && !stopped_) accept();
            });
            return;
        } else {
            socket.set_option(tcp::no_delay(true));
            auto live = live_;
            auto session = std::make_shared<HttpsSession>(std::move(socket), tls_, router_, wall_clock_timeouts_, sync_,
                                                          ++connections_, [live](HttpsSession* s) { live->erase(s); });
            live_->insert(session.get());
            session->start();
        }
        accept();
    });
}

void HttpsServer::stop() {
    if (stopped_) return;
    stopped_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
    auto sessions = *live_;  // close() may complete handlers that erase from the set
    for (auto* s : sessions) s->close();
}

}  // namespace svp::cloud

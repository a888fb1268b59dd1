#include "tampering_proxy.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

namespace svp::test {

namespace asio = boost::asio;
using asio::ip::tcp;

TamperingProxy::TamperingProxy(std::uint16_t server_port, Direction direction, int record)
    : server_port_(server_port), direction_(direction), record_(record),
      acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
}

TamperingProxy::~TamperingProxy() {
    stopping_ = true;
    // Wake the blocking accept with a connection of our own.
    boost::system::error_code ignored;
    tcp::socket poke(io_);
    poke.connect({asio::ip::make_address("127.0.0.1"), port_}, ignored);
    thread_.join();
}

void TamperingProxy::serve() {
    while (!stopping_) {
        tcp::socket client(io_);
        boost::system::error_code ec;
        acceptor_.accept(client, ec);
        if (ec || stopping_) return;
        tcp::socket server(io_);
        server.connect({asio::ip::make_address("127.0.0.1"), server_port_}, ec);
        if (ec) continue;
        std::thread upstream([&] { pump(client, server, direction_ == Direction::to_server); });
        pump(server, client, direction_ == Direction::to_client);
        upstream.join();
    }
}

// Copies bytes until either side closes, following TLS record framing (5-byte header: type,
// version, length) to find the payload of the record to alter.
void TamperingProxy::pump(tcp::socket& from, tcp::socket& to, bool tamper) {
    std::uint8_t header[5];
    std::size_t header_have = 0, payload_left = 0;
    int encrypted_records = 0;
    bool flip_this_record = false;
    std::uint8_t buf[16384];
    for (;;) {
        boost::system::error_code ec;
        std::size_t n = from.read_some(asio::buffer(buf), ec);
        if (ec || n == 0) break;
        for (std::size_t i = 0; i < n; ++i) {
            if (payload_left == 0) {
                header[header_have++] = buf[i];
                if (header_have == 5) {
                    header_have = 0;
                    payload_left = std::size_t{header[3]} << 8 | header[4];
                    flip_this_record = tamper && header[0] == 23 && ++encrypted_records == record_;
                }
                continue;
            }
            if (flip_this_record) {
                buf[i] ^= 0x01;
                flip_this_record = false;
                tampered_ = true;
            }
            --payload_left;
        }
        asio::write(to, asio::buffer(buf, n), ec);
        if (ec) break;
    }
    boost::system::error_code ignored;
    to.shutdown(tcp::socket::shutdown_send, ignored);
    from.shutdown(tcp::socket::shutdown_receive, ignored);
}

}  // namespace svp::test

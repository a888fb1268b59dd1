// A man in the middle on loopback for tests: forwards one TCP connection at a time to the
// stub, and flips one bit in the payload of the k-th encrypted TLS record (content type 23)
// going in the chosen direction. What the attacker on the simulated link will do, here without
// the simulation, to show that TLS (not the stub's parsers) catches it.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace svp::test {

class TamperingProxy {
public:
    enum class Direction { to_server, to_client };

    TamperingProxy(std::uint16_t server_port, Direction direction, int record);
    ~TamperingProxy();
    TamperingProxy(const TamperingProxy&) = delete;
    TamperingProxy& operator=(const TamperingProxy&) = delete;

    std::uint16_t port() const { return port_; }
    bool tampered() const { return tampered_; }

private:
    void serve();
    void pump(boost::asio::ip::tcp::socket& from, boost::asio::ip::tcp::socket& to, bool tamper);

    std::uint16_t server_port_;
    Direction direction_;
    int record_;
    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::atomic<bool> tampered_{false};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace svp::test

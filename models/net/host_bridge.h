// The host side of the simulated network: real loopback TCP sockets, driven by Boost.Asio on
// a thread of their own. The NIC model calls it from the simulation thread; each call blocks
// until the host has answered, which holds simulated time (rule 2 of the design).
//
// With a SimSync channel attached (scenario runs), every delivery waits until the service has
// read the bytes and gone idle, then reads exactly the reply bytes it wrote: the bytes the
// device receives, and when, no longer depend on host speed or TCP segmentation.
//
// Only loopback destinations are ever connected: a device-visible address maps to a host
// endpoint through a route table, and an address without a route is "connection refused".
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <utility>  // before Asio: Boost 1.74 uses std::exchange without including <utility> in C++20

#include <boost/asio.hpp>

#include "common/protocol/sim_sync.h"
#include "common/util/bytes.h"

namespace svp {

struct HostRoute {
    std::uint32_t device_ip = 0;  // the address the device connects to (host byte order)
    std::uint16_t device_port = 0;
    std::string host = "127.0.0.1";  // must be a loopback address
    std::uint16_t host_port = 0;
};

std::string ipv4_to_string(std::uint32_t ip);
// Throws InputError naming `what` when `text` is not a dotted IPv4 address.
std::uint32_t ipv4_from_string(std::string_view text, std::string_view what = "address");

class HostBridge {
public:
    HostBridge();
    ~HostBridge();
    HostBridge(const HostBridge&) = delete;
    HostBridge& operator=(const HostBridge&) = delete;

    // Throws InputError when the route's host is not a loopback address.
    void add_route(const HostRoute& route);
    void attach_sync(protocol::SimSync* sync) { sync_ = sync; }

    // Opens a connection; returns a handle >= 0 or a negative errno (-ECONNREFUSED: no route
    // or nothing listening).
    int connect(std::uint32_t ip, std::uint16_t port, std::uint64_t arrival_sim_ns);
    // Delivers bytes to the host; `arrival_sim_ns` is when they reach it in simulated time
    // (the service clock is set to it first). Returns 0 or a negative errno.
    int send(int handle, ByteView data, std::uint64_t arrival_sim_ns);

    struct Received {
        Bytes data;            // 1..n bytes, or none when closed or stalled
        bool closed = false;   // end of stream: the host closed its side
        bool stalled = false;  // (SimSync) the host is idle and will send nothing until asked
    };
    // Takes up to `n` bytes the host has sent. With SimSync the answer is fixed by what the
    // service wrote before going idle; without, it is an ordinary blocking recv().
    Received receive(int handle, std::size_t n);
    void close(int handle);

    std::uint64_t bytes_sent(int handle) const;
    std::uint64_t bytes_received(int handle) const;

private:
    struct Connection {
        explicit Connection(boost::asio::io_context& io) : socket(io) {}
        boost::asio::ip::tcp::socket socket;
        std::uint16_t local_port = 0;
        std::uint64_t sent = 0, received = 0, reply_expected = 0;
        std::deque<std::uint8_t> inbox;  // reply bytes read from the socket, not yet taken
        bool host_closed = false;
    };
    template <class F>
    auto on_io_thread(F&& f) -> decltype(f());
    Connection* find(int handle) const;
    void read_into_inbox(Connection& c, std::size_t at_least);
    void collect_reply(Connection& c);

    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::thread thread_;
    std::map<std::pair<std::uint32_t, std::uint16_t>, HostRoute> routes_;
    std::map<int, std::unique_ptr<Connection>> connections_;
    int next_handle_ = 0;
    protocol::SimSync* sync_ = nullptr;
};

}  // namespace svp

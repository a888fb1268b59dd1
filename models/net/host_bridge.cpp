#include "models/net/host_bridge.h"

#include <cerrno>
#include <future>

#include <fmt/format.h>

#include "common/util/input_error.h"
#include "common/util/log.h"

namespace svp {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
// How long the bridge waits for a cooperating service before it gives up on determinism for
// this delivery and says so. Far above any loopback round trip.
constexpr int kServiceWallTimeoutMs = 30'000;
}  // namespace

std::string ipv4_to_string(std::uint32_t ip) {
    return fmt::format("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 0xFF, (ip >> 8) & 0xFF, ip & 0xFF);
}

std::uint32_t ipv4_from_string(std::string_view text, std::string_view what) {
    boost::system::error_code ec;
    auto a = asio::ip::make_address_v4(std::string(text), ec);
    if (ec) throw InputError(fmt::format("{}: '{}' is not an IPv4 address", what, text));
    return a.to_uint();
}

HostBridge::HostBridge() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}

HostBridge::~HostBridge() {
    on_io_thread([this] {
        for (auto& [h, c] : connections_) {
            boost::system::error_code ec;
            c->socket.close(ec);
        }
        return 0;
    });
    work_.reset();
    io_.stop();
    thread_.join();
}

template <class F>
auto HostBridge::on_io_thread(F&& f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::forward<F>(f));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
}

void HostBridge::add_route(const HostRoute& route) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(route.host, ec);
    if (ec || !address.is_loopback())
        throw InputError(fmt::format("route to {}:{}: '{}' is not a loopback address; spherevp only "
                                     "connects to this machine", ipv4_to_string(route.device_ip),
                                     route.device_port, route.host));
    routes_[{route.device_ip, route.device_port}] = route;
}

HostBridge::Connection* HostBridge::find(int handle) const {
    auto it = connections_.find(handle);
    return it == connections_.end() ? nullptr : it->second.get();
}

int HostBridge::connect(std::uint32_t ip, std::uint16_t port, std::uint64_t arrival_sim_ns) {
    auto route = routes_.find({ip, port});
    if (route == routes_.end()) return -ECONNREFUSED;
    if (sync_) sync_->set_sim_ns(arrival_sim_ns);
    auto conn = std::make_unique<Connection>(io_);
    const tcp::endpoint endpoint(asio::ip::make_address(route->second.host), route->second.host_port);
    auto ec = on_io_thread([&] {
        boost::system::error_code e;
        conn->socket.connect(endpoint, e);
        if (!e) {
            conn->socket.set_option(tcp::no_delay(true), e);
            conn->local_port = conn->socket.local_endpoint(e).port();
        }
        return e;
    });
    if (ec) return -ECONNREFUSED;
    if (sync_) {
        auto q = sync_->wait_quiescent(conn->local_port, 0, kServiceWallTimeoutMs, /*new_connection=*/true);
        if (!q)
            log::get("net.bridge")->warn("service at {}:{} did not register the connection within {} ms "
                                         "(wall); this run may not be reproducible",
                                         route->second.host, route->second.host_port, kServiceWallTimeoutMs);
        else
            conn->reply_expected = q->bytes_written;
    }
    const int handle = next_handle_++;
    connections_[handle] = std::move(conn);
    return handle;
}

void HostBridge::read_into_inbox(Connection& c, std::size_t at_least) {
    on_io_thread([&] {
        std::uint8_t buf[16384];
        while (c.inbox.size() < at_least && !c.host_closed) {
            boost::system::error_code ec;
            std::size_t n = c.socket.read_some(asio::buffer(buf), ec);
            c.inbox.insert(c.inbox.end(), buf, buf + n);
            c.received += n;
            if (ec) c.host_closed = true;  // EOF or reset: either way nothing more comes
        }
        return 0;
    });
}

int HostBridge::send(int handle, ByteView data, std::uint64_t arrival_sim_ns) {
    Connection* c = find(handle);
    if (!c) return -EBADF;
    if (c->host_closed) return -EPIPE;
    if (sync_) sync_->set_sim_ns(arrival_sim_ns);
    auto ec = on_io_thread([&] {
        boost::system::error_code e;
        asio::write(c->socket, asio::buffer(data.data(), data.size()), e);
        return e;
    });
    if (ec) {
        c->host_closed = true;
        return -EPIPE;
    }
    c->sent += data.size();
    if (sync_) collect_reply(*c);
    return 0;
}

void HostBridge::collect_reply(Connection& c) {
    auto q = sync_->wait_quiescent(c.local_port, c.sent, kServiceWallTimeoutMs);
    if (!q) {
        log::get("net.bridge")->warn("service did not consume {} bytes within {} ms (wall); this run "
                                     "may not be reproducible", c.sent, kServiceWallTimeoutMs);
        return;
    }
    // Everything the service wrote in reply is on its way: take exactly that, now.
    if (q->bytes_written > c.received) read_into_inbox(c, c.inbox.size() + (q->bytes_written - c.received));
    if (q->closed) read_into_inbox(c, SIZE_MAX);  // to the end of the stream
}

HostBridge::Received HostBridge::receive(int handle, std::size_t n) {
    Received r;
    Connection* c = find(handle);
    if (!c) {
        r.closed = true;
        return r;
    }
    if (c->inbox.empty() && !c->host_closed) {
        if (sync_)
            collect_reply(*c);       // nothing more unless the service closed meanwhile
        else
            read_into_inbox(*c, 1);  // unsynchronised: ordinary recv() semantics
    }
    const std::size_t take = std::min(n, c->inbox.size());
    r.data.assign(c->inbox.begin(), c->inbox.begin() + static_cast<std::ptrdiff_t>(take));
    c->inbox.erase(c->inbox.begin(), c->inbox.begin() + static_cast<std::ptrdiff_t>(take));
    r.closed = take == 0 && c->host_closed;
    r.stalled = take == 0 && !c->host_closed;
    return r;
}

void HostBridge::close(int handle) {
    auto it = connections_.find(handle);
    if (it == connections_.end()) return;
    on_io_thread([&] {
        boost::system::error_code ec;
        it->second->socket.shutdown(tcp::socket::shutdown_both, ec);
        it->second->socket.close(ec);
        return 0;
    });
    connections_.erase(it);
}

std::uint64_t HostBridge::bytes_sent(int handle) const {
    auto* c = find(handle);
    return c ? c->sent : 0;
}

std::uint64_t HostBridge::bytes_received(int handle) const {
    auto* c = find(handle);
    return c ? c->received : 0;
}

}  // namespace svp

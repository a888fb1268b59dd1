// The TCP layer under the service's TLS, instrumented for a simulation (rule 2 of the design).
// It publishes on the SimSync channel how many bytes the service has read and written on this
// connection and whether it is idle: a socket read is pending and no write is in flight, which
// (the service being one thread whose handlers run to completion) means every byte read so far
// has been fully processed and answered. The network bridge waits for that before it lets
// simulated time go on, so the service's replies and their order never depend on host speed.
// Without a SimSync channel (standalone service) it only forwards.
#pragma once

#include <utility>  // before Asio: Boost 1.74 uses std::exchange without including <utility> in C++20

#include <boost/asio/async_result.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "common/protocol/sim_sync.h"

namespace svp::cloud {

// What an accepted connection is handed over as (Beast's ssl_stream builds its next layer
// from one argument).
struct SyncedSocket {
    boost::asio::ip::tcp::socket socket;
    protocol::SimSync* sync;
};

class SimSyncedStream {
public:
    using next_layer_type = boost::beast::tcp_stream;
    using executor_type = next_layer_type::executor_type;
    using lowest_layer_type = boost::asio::ip::tcp::socket;

    explicit SimSyncedStream(SyncedSocket s) : next_(std::move(s.socket)), sync_(s.sync) {
        if (sync_) {
            boost::system::error_code ec;
            const auto peer = next_.socket().remote_endpoint(ec);
            slot_ = ec ? -1 : sync_->service_open(peer.port());
        }
    }
    ~SimSyncedStream() {
        if (sync_) sync_->service_closed(slot_);
    }
    SimSyncedStream(SimSyncedStream&&) = delete;

    executor_type get_executor() noexcept { return next_.get_executor(); }
    next_layer_type& next_layer() noexcept { return next_; }
    const next_layer_type& next_layer() const noexcept { return next_; }
    lowest_layer_type& lowest_layer() noexcept { return next_.socket(); }
    const lowest_layer_type& lowest_layer() const noexcept { return next_.socket(); }

    template <class MutableBuffers, class ReadHandler>
    BOOST_ASIO_INITFN_RESULT_TYPE(ReadHandler, void(boost::system::error_code, std::size_t))
    async_read_some(const MutableBuffers& buffers, ReadHandler&& handler) {
        return boost::asio::async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
            [this](auto&& h, const MutableBuffers& b) {
                ++reads_pending_;
                publish_idle();
                next_.async_read_some(b, [this, h = std::move(h)](boost::system::error_code ec, std::size_t n) mutable {
                    --reads_pending_;
                    if (sync_) sync_->service_read(slot_, n);  // clears "idle" before the count moves
                    if (ec && sync_ && ec != boost::asio::error::operation_aborted) sync_->service_closed(slot_);
                    h(ec, n);
                });
            },
            handler, buffers);
    }

    template <class ConstBuffers, class WriteHandler>
    BOOST_ASIO_INITFN_RESULT_TYPE(WriteHandler, void(boost::system::error_code, std::size_t))
    async_write_some(const ConstBuffers& buffers, WriteHandler&& handler) {
        return boost::asio::async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
            [this](auto&& h, const ConstBuffers& b) {
                ++writes_pending_;
                publish_idle();
                next_.async_write_some(b, [this, h = std::move(h)](boost::system::error_code ec, std::size_t n) mutable {
                    --writes_pending_;
                    if (sync_) sync_->service_wrote(slot_, n);
                    publish_idle();
                    h(ec, n);
                });
            },
            handler, buffers);
    }

private:
    void publish_idle() {
        if (sync_) sync_->service_idle(slot_, reads_pending_ > 0 && writes_pending_ == 0);
    }

    next_layer_type next_;
    protocol::SimSync* sync_;
    int slot_ = -1;
    int reads_pending_ = 0, writes_pending_ = 0;
};

}  // namespace svp::cloud

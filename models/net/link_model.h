// Simulated timing of one network link (the device's radio to the cloud): a fixed one-way
// latency and a bandwidth, each direction a FIFO pipe. Pure arithmetic on simulated
// nanoseconds, so the NIC model and its tests share one definition.
#pragma once

#include <algorithm>
#include <cstdint>

namespace svp {

struct LinkTiming {
    std::uint64_t latency_ns = 20'000'000;   // one way: 20 ms, a Wi-Fi hop plus a WAN path
    std::uint64_t bandwidth_bps = 20'000'000;  // 20 Mbit/s
};

class LinkModel {
public:
    explicit LinkModel(LinkTiming timing = {}) : timing_(timing) {}

    std::uint64_t serialization_ns(std::uint64_t bytes) const {
        return timing_.bandwidth_bps ? bytes * 8ull * 1'000'000'000ull / timing_.bandwidth_bps : 0;
    }
    // Device -> host: bytes leaving at `now` arrive at the host at the returned time.
    std::uint64_t uplink(std::uint64_t now, std::uint64_t bytes) {
        const std::uint64_t start = std::max(now, up_free_);
        up_free_ = start + serialization_ns(bytes);
        last_arrival_at_host_ = up_free_ + timing_.latency_ns;
        return last_arrival_at_host_;
    }
    // Host -> device: the host answers the moment the latest device bytes reach it; the reply
    // reaches the device at the returned time.
    std::uint64_t downlink(std::uint64_t bytes) {
        const std::uint64_t start = std::max(last_arrival_at_host_, down_free_);
        down_free_ = start + serialization_ns(bytes);
        return down_free_ + timing_.latency_ns;
    }
    // A connection handshake (SYN, SYN-ACK) started at `now` completes at the returned time.
    std::uint64_t handshake(std::uint64_t now) {
        last_arrival_at_host_ = std::max(now, up_free_) + timing_.latency_ns;
        return last_arrival_at_host_ + timing_.latency_ns;
    }
    std::uint64_t arrival_at_host() const { return last_arrival_at_host_; }
    const LinkTiming& timing() const { return timing_; }

private:
    LinkTiming timing_;
    std::uint64_t up_free_ = 0, down_free_ = 0, last_arrival_at_host_ = 0;
};

}  // namespace svp

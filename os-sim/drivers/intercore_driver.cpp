#include "os-sim/drivers/intercore_driver.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "models/periph/mailbox.h"

namespace svp::os {

IntercoreDriver::IntercoreDriver(Hw& hw, std::string peer, std::uint64_t mailbox_base, IrqLine* irq,
                                 std::uint64_t outbound, std::uint64_t inbound)
    : hw_(hw), peer_(std::move(peer)), base_(mailbox_base), outbound_(outbound), inbound_(inbound), irq_(irq) {}

int IntercoreDriver::setup() {
    if (ready_) return 0;
    try {
        const std::uint32_t zero[4] = {};
        hw_.write(outbound_, zero, sizeof zero);
        hw_.write(inbound_, zero, sizeof zero);
        hw_.write32(base_ + MailboxSide::SW_RX_INT_EN, kDoorbellFromRt);
        for (auto [cmd, data] : {std::pair{kSetupOutbound, static_cast<std::uint32_t>(outbound_)},
                                 std::pair{kSetupInbound, static_cast<std::uint32_t>(inbound_)},
                                 std::pair{kSetupDone, 0u}}) {
            hw_.write32(base_ + MailboxSide::DATA_PUSH, data);
            hw_.write32(base_ + MailboxSide::CMD_PUSH, cmd);
        }
    } catch (const BusError&) {
        return -EIO;
    }
    ready_ = true;
    return 0;
}

int IntercoreDriver::send(const ComponentId& from, ByteView payload) {
    if (payload.size() > kMaxPayload) return -EMSGSIZE;
    if (const int rc = setup(); rc < 0) return rc;
    const std::uint32_t size = (kMessageHeader + static_cast<std::uint32_t>(payload.size()) + 15) & ~15u;
    try {
        std::uint32_t pos[2];
        hw_.read(outbound_, pos, sizeof pos);
        if (pos[0] - pos[1] + size > kRingBytes) return -EAGAIN;
        Bytes msg(size, 0);
        const auto length = static_cast<std::uint32_t>(payload.size());
        std::memcpy(msg.data(), &length, 4);
        std::memcpy(msg.data() + 8, from.data(), 16);
        std::memcpy(msg.data() + kMessageHeader, payload.data(), payload.size());
        for (std::uint32_t i = 0; i < size;) {  // the ring may wrap mid-message
            const auto at = (pos[0] + i) % kRingBytes;
            const auto n = std::min(size - i, kRingBytes - at);
            hw_.write(outbound_ + kRingOffset + at, msg.data() + i, n);
            i += n;
        }
        const std::uint32_t next = pos[0] + size;
        hw_.write(outbound_, &next, 4);
        hw_.write32(base_ + MailboxSide::SW_TX_INT_PORT, kDoorbellToRt);
    } catch (const BusError&) {
        return -EIO;
    }
    return 0;
}

void IntercoreDriver::drain() {
    try {
        // Acknowledge first: a doorbell rung while we drain raises the line again.
        hw_.write32(base_ + MailboxSide::SW_RX_INT_STS, kDoorbellFromRt);
        std::uint32_t pos[2];
        hw_.read(inbound_, pos, sizeof pos);
        while (pos[0] - pos[1] >= kMessageHeader && pos[0] - pos[1] <= kRingBytes) {
            std::uint8_t header[kMessageHeader];
            for (std::uint32_t i = 0; i < kMessageHeader;) {
                const auto at = (pos[1] + i) % kRingBytes;
                const auto n = std::min(kMessageHeader - i, kRingBytes - at);
                hw_.read(inbound_ + kRingOffset + at, header + i, n);
                i += n;
            }
            std::uint32_t length = 0;
            std::memcpy(&length, header, 4);
            const std::uint32_t size = (kMessageHeader + length + 15) & ~15u;
            if (length > kMaxPayload || size > pos[0] - pos[1]) {
                pos[1] = pos[0];  // a malformed message: drop what is there rather than misparse
            } else {
                Bytes payload(length);
                for (std::uint32_t i = 0; i < length;) {
                    const auto at = (pos[1] + kMessageHeader + i) % kRingBytes;
                    const auto n = std::min(length - i, kRingBytes - at);
                    hw_.read(inbound_ + kRingOffset + at, payload.data() + i, n);
                    i += n;
                }
                ComponentId to{};
                std::memcpy(to.data(), header + 8, 16);
                auto& q = queues_[to];
                if (q.size() < 64) q.push_back(std::move(payload));  // bounded per app
                pos[1] += size;
            }
            hw_.write(inbound_ + 4, &pos[1], 4);
        }
    } catch (const BusError&) {
    }
}

long IntercoreDriver::receive(const ComponentId& to, std::span<std::uint8_t> out) {
    if (const int rc = setup(); rc < 0) return rc;
    drain();
    auto it = queues_.find(to);
    if (it == queues_.end() || it->second.empty()) return -EAGAIN;
    auto msg = std::move(it->second.front());
    it->second.pop_front();
    const auto n = std::min(out.size(), msg.size());
    std::memcpy(out.data(), msg.data(), n);
    return static_cast<long>(n);
}

}  // namespace svp::os

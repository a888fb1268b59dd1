// Inter-core channels between high-level apps on the app core and real-time apps on an RT
// core, over the MT3620 A7<->IO mailbox with shared ring buffers in SRAM (reference §1.6,
// Azure Sphere's IntercoreComms samples):
//   setup:     the A7 pushes {0xba5e0001, outbound buffer address}, {0xba5e0002, inbound
//              buffer address}, {0xba5e0003, 0} (end of setup)
//   doorbells: after writing, the A7 rings SW_TX_INT_PORT bit 1 ("HL sent to IO core"); the
//              RT core rings its bit 0, which raises the A7 side's SW_RX_INT_STS bit 0
// Ring buffer (ours; the samples' exact layout is not public in our references):
//   0x00 u32 write position   0x04 u32 read position   (free-running byte counts)
//   0x10 ... data ring of kRingBytes
// A message in a ring: u32 payload length | u32 0 | 16-byte ComponentId of the high-level app
// (sender outbound, addressee inbound) | payload, padded to 16 bytes. Payloads are at most
// 1040 bytes, as on Azure Sphere.
#pragma once

#include <array>
#include <deque>
#include <map>
#include <span>

#include "common/util/bytes.h"

#include "models/base/irq.h"
#include "os-sim/kernel/hw.h"

namespace svp::os {

class IntercoreDriver {
public:
    static constexpr std::uint32_t kSetupOutbound = 0xba5e0001, kSetupInbound = 0xba5e0002, kSetupDone = 0xba5e0003;
    static constexpr std::uint32_t kDoorbellToRt = 1u << 1, kDoorbellFromRt = 1u << 0;
    static constexpr std::uint32_t kBufferBytes = 4096, kRingOffset = 16, kRingBytes = kBufferBytes - kRingOffset;
    static constexpr std::uint32_t kMaxPayload = 1040, kMessageHeader = 24;
    using ComponentId = std::array<std::uint8_t, 16>;

    IntercoreDriver(Hw& hw, std::string peer, std::uint64_t mailbox_base, IrqLine* irq, std::uint64_t outbound,
                    std::uint64_t inbound);

    const std::string& peer() const { return peer_; }
    // Hands the buffers to the RT core (once); -EIO when the mailbox refuses.
    int setup();
    // Queues a message from app `from`; -EMSGSIZE, -EAGAIN (ring full), -EIO.
    int send(const ComponentId& from, ByteView payload);
    // The next message addressed to app `to`; its length, or -EAGAIN when none is waiting.
    long receive(const ComponentId& to, std::span<std::uint8_t> out);
    // Fires when the doorbell line changes: the RT core rang, or our acknowledgement took
    // effect (a signal changes a delta later). Wait on it, then receive again.
    const sc_core::sc_event& doorbell() const { return irq_->changed(); }

private:
    void drain();
    Hw& hw_;
    std::string peer_;
    std::uint64_t base_, outbound_, inbound_;
    IrqLine* irq_;
    bool ready_ = false;
    std::map<ComponentId, std::deque<Bytes>> queues_;
};

}  // namespace svp::os

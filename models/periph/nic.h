// A socket-offload network interface (the device's Wi-Fi, seen from the OS as sockets): the
// driver fills in a command, the NIC moves payload between SRAM and the host bridge by DMA,
// charges the link's simulated time, and raises an interrupt when the command completes.
//
//   0x00 ID        RO  0x4E494331 ("NIC1")
//   0x04 CMD       WO  1 CONNECT, 2 SEND, 3 RECV, 4 CLOSE  (a write starts the command)
//   0x08 SOCKET    RW  socket handle (CONNECT returns it in RESULT)
//   0x0C ADDR      RW  DMA buffer address
//   0x10 LEN       RW  bytes to send / most bytes to receive
//   0x14 REMOTE_IP RW  IPv4 address for CONNECT
//   0x18 REMOTE_PORT RW
//   0x1C STATUS    RO  bit 0 BUSY
//   0x20 RESULT    RO  bytes moved or handle (>= 0), or a negative errno
//   0x24 INT_STS   W1C bit 0 DONE
//   0x28 INT_EN    RW  bit 0 DONE
// A RECV that finds the peer closed returns 0; one that finds it stalled (it will send nothing
// until the device sends) returns -EAGAIN. Each command's data moves through the bus as the
// "nic" initiator, so firewall rules apply to it.
#pragma once

#include <memory>

#include "models/base/bus_master.h"
#include "models/base/irq.h"
#include "models/base/peripheral.h"
#include "models/net/host_bridge.h"
#include "models/net/link_model.h"

namespace svp {

// What an attacker (or bad weather) does to the link, set by scenario actions. Loss is what
// TCP makes of it: a lost segment arrives one retransmission timeout late (draws come from the
// device's seeded generator). Corruption flips one byte of the N-th segment in a direction —
// below TLS, so the device's TLS must notice.
struct LinkConditions {
    std::uint64_t extra_delay_ns = 0;
    double loss = 0.0;
    std::uint64_t retransmit_ns = 200'000'000;
    bool down = false;                 // connects and sends fail (ENETUNREACH)
    unsigned corrupt_uplink_nth = 0;   // 0 = none; else the N-th device->host segment from now
    unsigned corrupt_downlink_nth = 0;
};

class Nic : public Peripheral {
public:
    static constexpr std::uint32_t ID = 0x00, CMD = 0x04, SOCKET = 0x08, ADDR = 0x0C, LEN = 0x10,
                                   REMOTE_IP = 0x14, REMOTE_PORT = 0x18, STATUS = 0x1C, RESULT = 0x20,
                                   INT_STS = 0x24, INT_EN = 0x28;
    enum Command : std::uint32_t { cmd_connect = 1, cmd_send = 2, cmd_recv = 3, cmd_close = 4 };
    static constexpr std::uint32_t kMaxTransfer = 16384;

    Nic(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time access_latency,
        BusInitiator dma_identity, HostBridge& bridge, LinkTiming link, IrqLine* irq);

    BusMaster& dma() { return dma_; }
    // A device reset: the command in progress is abandoned, every host connection closed.
    void reset() override;
    void set_link_conditions(const LinkConditions& c) { conditions_ = c; }
    const LinkConditions& link_conditions() const { return conditions_; }

private:
    void run();
    std::int32_t execute(std::uint32_t cmd);
    void finish(std::int32_t result);

    BusMaster dma_;
    HostBridge& bridge_;
    LinkModel link_;
    IrqLine* irq_;
    sc_core::sc_event start_;
    sc_core::sc_process_handle thread_;
    LinkConditions conditions_;
    // Extra simulated time a segment takes under the current conditions (delay, losses).
    std::uint64_t impairment_ns();
    void corrupt(Bytes& data, unsigned& countdown, const char* direction);
    std::vector<int> open_sockets_;
    std::uint32_t pending_ = 0;
};

}  // namespace svp

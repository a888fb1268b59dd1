// An inter-core mailbox as on the MT3620: two sides, each with its own register window; each
// direction is a 15-entry FIFO of {command, data} word pairs, with interrupts per direction
// and software doorbells.
//
// Register layout of one side (CodethinkLabs mt3620-m4-drivers, mt3620/mbox.h):
//   0x00 MBOX_VER  0x04 GEN_CTRL  0x14 SW_TX_INT_PORT  0x18 SW_RX_INT_EN  0x1C SW_RX_INT_STS
//   0x30 NF_THRS   0x34 NE_THRS   0x38 INT_EN  0x3C INT_STS
//   0x40 CMD_PUSH  0x44 DATA_PUSH  0x48 FIFO_PUSH_CNT  0x50 CMD_POP  0x54 DATA_POP  0x58 FIFO_POP_CNT
// Our reading of the push/pop protocol (the header gives offsets, not sequencing): write
// DATA_PUSH, then CMD_PUSH enqueues the pair; read DATA_POP (no side effect), then CMD_POP
// dequeues the pair. INT bits: 0 TX_CONFIRMED (the peer popped our entry), 1 TX_FIFO_NF (our
// outgoing count <= NF_THRS), 2 RX (the peer pushed), 3 RX_FIFO_NE (incoming count > NE_THRS).
// Interrupt lines per side: one combined line (`set_irq`, what the OS waits on), and, as the
// A7 sees them (DTSI: a WR and an RD interrupt per channel, e.g. SPI 42/40), one per direction:
// WR carries TX_CONFIRMED and TX_FIFO_NF, RD carries RX, RX_FIFO_NE and the software doorbells.
#pragma once

#include <array>
#include <deque>
#include <memory>

#include "models/base/irq.h"
#include "models/base/peripheral.h"

namespace svp {

class Mailbox;

class MailboxSide : public Peripheral {
public:
    static constexpr std::uint32_t MBOX_VER = 0x00, GEN_CTRL = 0x04, SW_TX_INT_PORT = 0x14,
                                   SW_RX_INT_EN = 0x18, SW_RX_INT_STS = 0x1C, NF_THRS = 0x30,
                                   NE_THRS = 0x34, INT_EN = 0x38, INT_STS = 0x3C, CMD_PUSH = 0x40,
                                   DATA_PUSH = 0x44, FIFO_PUSH_CNT = 0x48, CMD_POP = 0x50,
                                   DATA_POP = 0x54, FIFO_POP_CNT = 0x58;
    static constexpr std::uint32_t INT_TX_CONFIRMED = 1u << 0, INT_TX_FIFO_NF = 1u << 1,
                                   INT_RX = 1u << 2, INT_RX_FIFO_NE = 1u << 3;

    MailboxSide(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency,
                Mailbox& box, int index);

    void set_irq(IrqLine* irq) { irq_ = irq; }
    void reset() override;  // both FIFOs empty, both sides' registers at reset values
    void set_direction_irqs(IrqLine* wr, IrqLine* rd) {
        irq_wr_ = wr;
        irq_rd_ = rd;
    }
    void update_irq();

private:
    friend class Mailbox;
    Mailbox& box_;
    int index_;  // 0 = side A, 1 = side B
    IrqLine* irq_ = nullptr;
    IrqLine *irq_wr_ = nullptr, *irq_rd_ = nullptr;
    std::uint32_t data_latch_ = 0;
};

class Mailbox : public sc_core::sc_module {
public:
    static constexpr std::size_t kFifoDepth = 15;  // MT3620: mailbox-max-fifo-count = <15>

    struct Entry {
        std::uint32_t cmd, data;
    };

    Mailbox(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency);

    MailboxSide& side(int i) { return *sides_[static_cast<std::size_t>(i)]; }
    // FIFO written by side `from`, read by the other side.
    std::deque<Entry>& fifo_from(int from) { return fifos_[static_cast<std::size_t>(from)]; }

    void soft_reset();

private:
    friend class MailboxSide;
    std::array<std::deque<Entry>, 2> fifos_;
    std::array<std::unique_ptr<MailboxSide>, 2> sides_;
};

}  // namespace svp

#include "models/periph/mailbox.h"

#include <fmt/format.h>

namespace svp {

MailboxSide::MailboxSide(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency,
                         Mailbox& box, int index)
    : Peripheral(name, device, latency), box_(box), index_(index) {
    auto& out = box_.fifo_from(index_);
    auto& in = box_.fifo_from(1 - index_);
    auto peer = [this]() -> MailboxSide& { return box_.side(1 - index_); };

    regs_.add("MBOX_VER", MBOX_VER, 0x00010000, Access::ro);
    regs_.add("GEN_CTRL", GEN_CTRL, 0, Access::rw, 0x3).on_write([this](std::uint32_t, std::uint32_t v) {
        if (v & 1) box_.soft_reset();
        regs_["GEN_CTRL"].set(0);  // self-clearing
    });
    regs_.add("SW_TX_INT_PORT", SW_TX_INT_PORT, 0, Access::wo).on_write([this, peer](std::uint32_t, std::uint32_t v) {
        peer().regs_["SW_RX_INT_STS"].set_bits(v);
        peer().update_irq();
    });
    regs_.add("SW_RX_INT_EN", SW_RX_INT_EN).on_write([this](std::uint32_t, std::uint32_t) { update_irq(); });
    regs_.add("SW_RX_INT_STS", SW_RX_INT_STS, 0, Access::w1c).on_write([this](std::uint32_t, std::uint32_t) { update_irq(); });
    regs_.add("NF_THRS", NF_THRS, 0, Access::rw, 0xF).on_write([this](std::uint32_t, std::uint32_t) { update_irq(); });
    regs_.add("NE_THRS", NE_THRS, 0, Access::rw, 0xF).on_write([this](std::uint32_t, std::uint32_t) { update_irq(); });
    regs_.add("INT_EN", INT_EN, 0, Access::rw, 0xF).on_write([this](std::uint32_t, std::uint32_t) { update_irq(); });
    regs_.add("INT_STS", INT_STS, 0, Access::w1c, 0xF).on_write([this](std::uint32_t, std::uint32_t) { update_irq(); });
    regs_.add("DATA_PUSH", DATA_PUSH, 0, Access::wo).on_write([this](std::uint32_t, std::uint32_t v) { data_latch_ = v; });
    regs_.add("CMD_PUSH", CMD_PUSH, 0, Access::wo).on_write([this, &out, peer](std::uint32_t, std::uint32_t v) {
        if (out.size() >= Mailbox::kFifoDepth) {
            regs_.report_guest_error(fmt::format("CMD_PUSH with a full FIFO ({} entries); entry dropped", out.size()));
            return;
        }
        out.push_back({v, data_latch_});
        peer().regs_["INT_STS"].set_bits(INT_RX);
        peer().update_irq();
        update_irq();
    });
    regs_.add("FIFO_PUSH_CNT", FIFO_PUSH_CNT, 0, Access::ro).on_read([&out](bool) {
        return static_cast<std::uint32_t>(out.size());
    });
    regs_.add("CMD_POP", CMD_POP, 0, Access::ro).on_read([this, &in, peer](bool debug) -> std::uint32_t {
        if (in.empty()) return 0;
        const auto cmd = in.front().cmd;
        if (!debug) {
            in.pop_front();
            peer().regs_["INT_STS"].set_bits(INT_TX_CONFIRMED);
            peer().update_irq();
            update_irq();
        }
        return cmd;
    });
    regs_.add("DATA_POP", DATA_POP, 0, Access::ro).on_read([&in](bool) -> std::uint32_t {
        return in.empty() ? 0 : in.front().data;
    });
    regs_.add("FIFO_POP_CNT", FIFO_POP_CNT, 0, Access::ro).on_read([&in](bool) {
        return static_cast<std::uint32_t>(in.size());
    });
}

void MailboxSide::reset() { box_.soft_reset(); }

void MailboxSide::update_irq() {
    auto& sts = regs_["INT_STS"];
    const auto out_count = box_.fifo_from(index_).size();
    const auto in_count = box_.fifo_from(1 - index_).size();
    // The threshold interrupts are levels: recompute them from the FIFO counts.
    sts.clear_bits(INT_TX_FIFO_NF | INT_RX_FIFO_NE);
    if (out_count <= regs_["NF_THRS"].value()) sts.set_bits(INT_TX_FIFO_NF);
    if (in_count > regs_["NE_THRS"].value()) sts.set_bits(INT_RX_FIFO_NE);
    const auto enabled = sts.value() & regs_["INT_EN"].value();
    const bool wr = (enabled & (INT_TX_CONFIRMED | INT_TX_FIFO_NF)) != 0;
    const bool rd = (enabled & (INT_RX | INT_RX_FIFO_NE)) != 0 ||
                    (regs_["SW_RX_INT_STS"].value() & regs_["SW_RX_INT_EN"].value()) != 0;
    if (irq_) irq_->set(wr || rd);
    if (irq_wr_) irq_wr_->set(wr);
    if (irq_rd_) irq_rd_->set(rd);
}

Mailbox::Mailbox(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency)
    : sc_module(name) {
    sides_[0] = std::make_unique<MailboxSide>("a", device, latency, *this, 0);
    sides_[1] = std::make_unique<MailboxSide>("b", device, latency, *this, 1);
}

void Mailbox::soft_reset() {
    fifos_[0].clear();
    fifos_[1].clear();
    for (auto& s : sides_) {
        s->registers().reset();
        s->update_irq();
    }
}

}  // namespace svp

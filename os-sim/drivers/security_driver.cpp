#include "os-sim/drivers/security_driver.h"

#include "models/periph/mailbox.h"

namespace svp::os {

SecurityDriver::SecurityDriver(Hw& hw, std::uint64_t mailbox_base, IrqLine* irq, std::uint64_t buffer_address)
    : hw_(hw), base_(mailbox_base), irq_(irq), buffer_(buffer_address) {}

SecurityDriver::Reply SecurityDriver::call(secproto::Command command, const nlohmann::json& request) {
    // One outstanding request per buffer: later callers queue here, in arrival order.
    while (busy_) hw_.cpu().block_on(free_);
    busy_ = true;
    ++calls_;
    Reply reply;
    const auto cbor = nlohmann::json::to_cbor(request);
    if (cbor.size() > secproto::kMaxPayload) {
        busy_ = false;
        free_.notify(sc_core::SC_ZERO_TIME);
        return reply;
    }
    const auto length = static_cast<std::uint32_t>(cbor.size());
    hw_.write(buffer_, &length, 4);
    hw_.write(buffer_ + 4, cbor.data(), cbor.size());
    const std::uint32_t word = secproto::command_word(command, ++seq_);
    hw_.write32(base_ + MailboxSide::INT_EN, MailboxSide::INT_RX);
    hw_.write32(base_ + MailboxSide::DATA_PUSH, static_cast<std::uint32_t>(buffer_));
    hw_.write32(base_ + MailboxSide::CMD_PUSH, word);
    for (;;) {
        if (hw_.read32(base_ + MailboxSide::FIFO_POP_CNT) > 0) break;
        hw_.write32(base_ + MailboxSide::INT_STS, MailboxSide::INT_RX);
        if (hw_.read32(base_ + MailboxSide::FIFO_POP_CNT) > 0) break;
        hw_.cpu().block_on(irq_->rising());
    }
    hw_.read32(base_ + MailboxSide::DATA_POP);
    const std::uint32_t answered = hw_.read32(base_ + MailboxSide::CMD_POP);
    std::uint32_t header[2] = {};
    hw_.read(buffer_, header, sizeof header);
    reply.status = header[0];
    if (answered == word && header[1] > 0 && header[1] <= secproto::kMaxPayload) {
        std::vector<std::uint8_t> body(header[1]);
        hw_.read(buffer_ + 8, body.data(), body.size());
        reply.body = nlohmann::json::from_cbor(body, true, false);
        if (reply.body.is_discarded()) reply.status = secproto::bad_request;
    } else if (answered != word) {
        reply.status = secproto::bad_request;
    }
    busy_ = false;
    free_.notify(sc_core::SC_ZERO_TIME);
    return reply;
}

}  // namespace svp::os

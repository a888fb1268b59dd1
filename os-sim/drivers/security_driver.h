// The kernel's driver for the security subsystem: one request at a time over the mailbox,
// through a 2048-byte buffer in SRAM (sec_protocol.h). Callers get the status and the decoded
// response; the private keys never come this way, only public keys and signatures.
#pragma once

#include <nlohmann/json.hpp>

#include "models/base/irq.h"
#include "models/security/sec_protocol.h"
#include "os-sim/kernel/hw.h"

namespace svp::os {

class SecurityDriver {
public:
    SecurityDriver(Hw& hw, std::uint64_t mailbox_base, IrqLine* irq, std::uint64_t buffer_address);

    struct Reply {
        std::uint32_t status = secproto::bad_request;
        nlohmann::json body;
        bool ok() const { return status == secproto::ok; }
    };
    Reply call(secproto::Command command, const nlohmann::json& request = nlohmann::json::object());

    std::uint64_t calls() const { return calls_; }

private:
    Hw& hw_;
    std::uint64_t base_;
    IrqLine* irq_;
    std::uint64_t buffer_;
    std::uint16_t seq_ = 0;
    std::uint64_t calls_ = 0;
    bool busy_ = false;
    sc_core::sc_event free_;
};

}  // namespace svp::os

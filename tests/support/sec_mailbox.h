// One command to the security subsystem over the app core's mailbox, exactly as the OS's
// security driver sends it: CBOR request in the shared buffer, buffer address and command word
// pushed, then the answer polled for. Shared by every test that plays the OS.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

#include "models/base/bus_master.h"
#include "models/periph/mailbox.h"
#include "models/security/sec_protocol.h"

namespace svp::test {

// The status `sec_mailbox_call` returns when `give_up` said so before an answer came.
inline constexpr std::uint32_t kAbandoned = 0xFFFFFFFFu;

inline std::pair<std::uint32_t, nlohmann::json> sec_mailbox_call(BusMaster& bus, secproto::Command cmd, std::uint16_t seq,
                                                                  const nlohmann::json& request,
                                                                  const std::function<bool()>& give_up = {}) {
    const std::uint64_t mbox = 0x31000000, buffer = 0x80300000;
    sc_core::sc_time d;
    const auto cbor = nlohmann::json::to_cbor(request);
    const auto length = static_cast<std::uint32_t>(cbor.size());
    bus.write(buffer, &length, 4, d);
    bus.write(buffer + 4, cbor.data(), cbor.size(), d);
    const std::uint32_t word = secproto::command_word(cmd, seq), addr = static_cast<std::uint32_t>(buffer);
    bus.write(mbox + MailboxSide::DATA_PUSH, &addr, 4, d);
    bus.write(mbox + MailboxSide::CMD_PUSH, &word, 4, d);
    std::uint32_t count = 0;
    while (count == 0) {
        sc_core::wait(sc_core::sc_time(10, sc_core::SC_US));
        if (give_up && give_up()) return {kAbandoned, nullptr};
        bus.read(mbox + MailboxSide::FIFO_POP_CNT, &count, 4, d);
    }
    std::uint32_t popped = 0, header[2] = {};
    bus.read(mbox + MailboxSide::CMD_POP, &popped, 4, d);
    bus.read(buffer, header, 8, d);
    std::vector<std::uint8_t> body(header[1]);
    if (!body.empty()) bus.read(buffer + 8, body.data(), body.size(), d);
    return {header[0], body.empty() ? nlohmann::json() : nlohmann::json::from_cbor(body)};
}

}  // namespace svp::test

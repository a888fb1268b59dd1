// The base of every memory-mapped peripheral: one TLM target socket in front of a register
// bank, an access latency from the variant file, the device context for events.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "models/base/device_context.h"
#include "models/base/register_bank.h"

namespace svp {

class Peripheral : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<Peripheral> socket;

    Peripheral(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time access_latency)
        : sc_module(name), socket("socket"), device_(device), regs_(this->name()),
          latency_(access_latency) {
        socket.register_b_transport(this, &Peripheral::b_transport);
        socket.register_transport_dbg(this, &Peripheral::transport_dbg);
    }

    RegisterBank& registers() { return regs_; }
    // Back to the power-on state (a device reset). Subclasses with state beyond their
    // registers extend it.
    virtual void reset() { regs_.reset(); }

protected:
    // A register callback adds time the current access takes beyond the fixed latency
    // (a UART character leaving the shift register, a crypto engine finishing).
    void charge_access(sc_core::sc_time t) { extra_delay_ += t; }
    // A block with a data window besides its registers (a crypto engine's buffers) serves
    // accesses there itself, bursts included, and returns true; false leaves the access to
    // the register bank. `delay` is the initiator's local time offset at the access.
    virtual bool direct_access(tlm::tlm_generic_payload&, const sc_core::sc_time& /*delay*/, bool /*debug*/) {
        return false;
    }

    DeviceContext& device_;
    RegisterBank regs_;
    sc_core::sc_time latency_;

private:
    void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
        extra_delay_ = sc_core::SC_ZERO_TIME;
        if (!direct_access(tx, delay, false)) regs_.access(tx);
        delay += latency_ + extra_delay_;
    }
    sc_core::sc_time extra_delay_;
    unsigned transport_dbg(tlm::tlm_generic_payload& tx) {
        if (!direct_access(tx, sc_core::SC_ZERO_TIME, true)) regs_.access(tx, /*debug=*/true);
        return tx.is_response_ok() ? tx.get_data_length() : 0;
    }
};

}  // namespace svp

// The attestation agent (a system service): proves the device's boot measurements to the
// cloud and keeps its 24-hour certificate fresh (reference §4, daily attestation).
//   challenge: POST /v1/attestation/challenge -> nonce
//   quote:     the security subsystem signs {nonce, device key, measurements}
//              POST /v1/attestation/quote -> device certificate
// It renews after attestation_period_s and retries after attestation_retry_s on failure.
// One round runs at a time: a service that needs a certificate while the agent is attesting
// waits for that round instead of starting its own.
#pragma once

#include <cstdint>

#include <systemc>

namespace svp::os {

class Kernel;
struct Process;

class AttestationAgent {
public:
    explicit AttestationAgent(Kernel& kernel) : kernel_(kernel) {}
    int run(Process& self);  // the service's main loop; never returns while the device runs
    bool attest();           // one round (after any round in progress); true when a certificate was stored
    // Attests unless a certificate valid for `margin_s` more seconds exists (after waiting
    // for a round in progress).
    bool attest_if_needed(std::int64_t margin_s);

private:
    bool attest_once();
    Kernel& kernel_;
    bool busy_ = false;
    sc_core::sc_event done_;
};

}  // namespace svp::os

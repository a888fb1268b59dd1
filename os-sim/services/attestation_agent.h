// The attestation agent (a system service): proves the device's boot measurements to the
// cloud and keeps its 24-hour certificate fresh (reference §4, daily attestation).
//   challenge: POST /v1/attestation/challenge -> nonce
//   quote:     the security subsystem signs {nonce, device key, measurements}
//              POST /v1/attestation/quote -> device certificate
// It renews after attestation_period_s and retries after attestation_retry_s on failure.
#pragma once

namespace svp::os {

class Kernel;

class AttestationAgent {
public:
    explicit AttestationAgent(Kernel& kernel) : kernel_(kernel) {}
    int run();       // the service's main loop; never returns while the device runs
    bool attest();   // one round; true when a certificate was stored

private:
    Kernel& kernel_;
};

}  // namespace svp::os

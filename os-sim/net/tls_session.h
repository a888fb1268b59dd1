// A TLS client session that terminates on the device (DESIGN.md: the NIC and the bridge carry
// ciphertext only). OpenSSL does the protocol; the bytes go through the NIC driver; the
// certificate check uses the device's own clock; and when the session authenticates the
// device, the handshake signature is made by the security subsystem: the private key never
// exists in the OS (rule 7).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/crypto/ec_key.h"
#include "os-sim/drivers/nic_driver.h"

namespace svp::os {

struct ClientIdentity {
    std::string certificate_pem;
    crypto::RawPublicKey public_key{};
    // Signs a SHA-256 digest with the device key (a call into the security subsystem).
    std::function<std::optional<crypto::RawSignature>(const crypto::Digest&)> sign;
};

struct TlsOptions {
    std::string server_name;        // checked against the server certificate
    std::string trusted_roots_pem;  // the OS's trusted roots for its cloud
    std::int64_t now_unix_s = 0;    // the device's clock, for certificate validity
    std::optional<ClientIdentity> client;
    sc_core::sc_time receive_timeout = sc_core::sc_time(10, sc_core::SC_SEC);
};

class TlsSession {
public:
    TlsSession(NicDriver& nic, CpuScheduler& cpu, std::uint64_t handshake_cycles);
    ~TlsSession();
    TlsSession(const TlsSession&) = delete;
    TlsSession& operator=(const TlsSession&) = delete;

    // Connects and handshakes. Returns std::nullopt on success, else why it failed
    // ("connection refused", "certificate verify failed: ...", "timeout", ...).
    std::optional<std::string> open(std::uint32_t ip, std::uint16_t port, const TlsOptions& options);
    long write(const void* data, std::size_t n);  // bytes or -1
    // Reads after `deadline` (simulated time) fail, as if the peer had gone: a peer that
    // trickles bytes cannot hold the device forever (slow retrieval, SCENARIOS U9).
    void set_deadline(sc_core::sc_time deadline) { deadline_ = deadline; }
    bool deadline_passed() const { return deadline_passed_; }
    long read(void* data, std::size_t n);         // bytes, 0 at end of stream, -1 on error
    void close();
    std::string version() const;

private:
    friend struct TlsBio;
    NicDriver& nic_;
    CpuScheduler& cpu_;
    std::uint64_t handshake_cycles_;
    int socket_ = -1;
    sc_core::sc_time receive_timeout_;
    bool timed_out_ = false;
    sc_core::sc_time deadline_ = sc_core::SC_ZERO_TIME;  // zero: none
    bool deadline_passed_ = false;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace svp::os

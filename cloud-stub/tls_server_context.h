// The server side of TLS: TLS 1.3 preferred, 1.2 the minimum; the service's own certificate;
// client certificates requested (never required) and verified against the tenant CAs trusted
// at the service clock, at the moment the handshake verifies them. A bad or missing client
// certificate does not fail the handshake: its verdict is kept for the endpoints to enforce,
// so the attestation endpoint can serve a device whose certificate has expired and the
// telemetry endpoint can refuse it with a reason instead of a bare TLS alert.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include "cloud-stub/api_types.h"
#include "cloud-stub/pki.h"
#include "cloud-stub/service_clock.h"

namespace svp::cloud {

// What every handshake judges a client certificate by: the tenant CAs trusted at the service
// clock (the active one and those in their rotation overlap, ServicePki::tenant_anchors).
struct TenantTrust {
    const ServicePki& pki;
    const ServiceClock& clock;
};

// `trust` (and what it refers to) must outlive the context: every handshake reads it.
boost::asio::ssl::context make_server_tls_context(const TenantTrust& trust);

// After the handshake: the client certificate and its verdict. OpenSSL keeps the verdict in
// the TLS session, so a resumed session carries the verdict of its full handshake.
PeerCertificate peer_certificate(SSL* ssl);

}  // namespace svp::cloud

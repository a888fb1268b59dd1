// Tenant CA rotation (reference §4: the tenant CA signs the device certificates; it has a
// 2-year lifetime, so it must be replaceable without stranding the fleet):
//
//   POST /admin/v1/tenant-ca/rotate  admin   {"overlap_s"?} -> the new CA, the previous one and
//                                            when it retires. From now on attestation issues
//                                            certificates from the new CA; the previous one stays
//                                            a trust anchor for overlap_s (default 24 h: every
//                                            certificate it issued has expired by then; at most
//                                            its own remaining life), then is retired.
//                                            overlap_s 0: retired at once (a compromised CA:
//                                            every device attests again).
//   GET  /admin/v1/tenant-ca         admin   every tenant CA the service used, with its state
//                                            (active, trusted, retired)
//   GET  /v1/tenant-ca               anyone  the trust anchors for device certificates now, as a
//                                            PEM bundle and one by one (what a relying party,
//                                            e.g. an IoT hub, loads; also <db>.pki/tenant-ca-bundle.pem)
//
// The store records each CA (tenant_cas) and the rotation in one transaction with its audit
// row; the new CA's files are written before and renamed into place after it (pki.h). The
// mutual-TLS verification of every handshake takes its anchors from the PKI at the service
// clock, so a retired CA stops being trusted at its retire time exactly; the bookkeeping
// (retired_ns, audit row, cloud.pki tenant-ca.retired) follows at the next request.
#pragma once

#include "cloud-stub/api_types.h"
#include "cloud-stub/service_context.h"

namespace svp::cloud {

// Default overlap: a device certificate's lifetime, so no certificate is stranded.
inline constexpr std::int64_t kDefaultTenantCaOverlapS = kDeviceCertificateLifetimeS;
inline constexpr std::int64_t kMaxTenantCaOverlapS = 90LL * 86400;

class TenantCaApi {
public:
    explicit TenantCaApi(ServiceContext& context) : ctx_(context) {}

    // At start: the store learns the active CA (a database older than rotation, or a new PKI),
    // and the PKI the previous CAs still trusted.
    void load_history();
    // Retires every previous CA whose overlap has ended (cheap when none has).
    void retire_due();

    ApiResponse rotate(const ApiRequest& request, RequestScope& scope);
    ApiResponse list(const ApiRequest& request, RequestScope& scope);
    ApiResponse bundle(const ApiRequest& request, RequestScope& scope);

private:
    ServiceContext& ctx_;
};

}  // namespace svp::cloud

// What every endpoint shares (the store, the CAs, the clock, the random streams, the event
// log) and what the router learns about one request while its handler runs.
#pragma once

#include <map>
#include <string>

#include "cloud-stub/cloud_events.h"
#include "cloud-stub/deployment_store.h"
#include "cloud-stub/http_target.h"
#include "cloud-stub/pki.h"
#include "cloud-stub/rate_limiter.h"
#include "cloud-stub/service_clock.h"
#include "cloud-stub/service_random.h"
#include "cloud-stub/store.h"
#include "common/defences/defences.h"

namespace svp::cloud {

// Per device: what a device may cost the stub (see DeviceGate). Default: a burst of 60
// requests, then one a second.
inline const RateLimit kDefaultDeviceRateLimit{1'000'000'000, 60};
// Challenges naming devices the store has never seen share one bucket, so inventing device
// ids does not buy a flooder fresh buckets (each challenge stores a nonce). A new device's
// first attestation therefore waits, under a flood of them, for this budget: a thousand at
// once, then a hundred a second.
inline const RateLimit kUnknownDevicesRateLimit{10'000'000, 1000};
// Refusals the audit log records one by one (each is an fsynced row); beyond this they are
// counted and summarised in one row, so refusals cannot make the stub fsync without bound.
inline const RateLimit kRefusalAuditRateLimit{10'000'000, 1000};

struct ServiceLimits {
    RateLimiter devices{kDefaultDeviceRateLimit};
    RateLimiter unknown_devices{kUnknownDevicesRateLimit};
    RateLimiter refusal_audit{kRefusalAuditRateLimit};
};

struct ServiceContext {
    CloudStore& store;
    DeploymentStore& deployments;
    ServicePki& pki;  // mutable: the tenant CA rotates (tenant_ca_api.h)
    const ServiceClock& clock;
    ServiceRandom& random;
    CloudEventLog& events;
    ServiceLimits& limits;
    const DefenceSet& defences;  // all on, unless `--defence-off` (cloud_defences.h)

    // An audit row for a request that succeeded (refusals are audited by the router).
    void audit_ok(std::string actor, std::string action, std::string subject, std::string detail) {
        store.audit({0, clock.now_unix_ns(), std::move(actor), std::move(action), std::move(subject), "ok", "",
                     std::move(detail)});
    }
};

// Filled in as a handler learns who is asking and about what, so that a refusal thrown at
// any point is recorded (audit row + event) with as much identity as was known.
struct RequestScope {
    RequestTarget target;
    std::map<std::string, std::string> params;  // "{id}" segments of the matched route
    std::string action;                         // the route's name: "attest.quote", "image.upload" ...
    std::string actor = "anonymous";            // a device id or "admin" once authenticated
    std::string subject;                        // the device, image or path concerned
    Fields event_fields = Fields::object();     // identity fields for the refusal event
    std::uint64_t connection = 0;               // ApiRequest::connection
};

}  // namespace svp::cloud

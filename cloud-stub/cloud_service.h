// The cloud stub as one object: clock, random streams, store, PKI, admin token, event log and
// the API, assembled from the `spherevp cloud serve` options. Constructing it opens (or
// creates) everything next to the database; serve() adds the HTTPS listener and runs until
// SIGTERM or SIGINT. Tests and fuzzers use the router without the network.
//
// Files next to --db FILE:  FILE (SQLite, with FILE-wal and FILE-shm while open),
//                           FILE.pki/ (CAs and the server certificate), FILE.admin-token.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>

#include "common/protocol/sim_sync.h"
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cloud-stub/admin_token.h"
#include "cloud-stub/api_router.h"
#include "common/defences/defences.h"

namespace svp::cloud {

struct ServeConfig {
    std::filesystem::path db;
    std::optional<std::uint64_t> seed;                    // --seed: reproducible randomness
    std::optional<std::filesystem::path> clock_file;      // --clock-file: the runner's clock
    std::optional<std::filesystem::path> events_file;     // --events: JSON lines
    std::optional<RateLimit> device_rate_limit;           // --rate-limit: per device (default kDefaultDeviceRateLimit)
    DefenceSet defences;                                  // --defence-off: cloud checks switched off (regression power)
};

class CloudService {
public:
    explicit CloudService(const ServeConfig& config);
    CloudService(const CloudService&) = delete;  // the API holds references into it
    CloudService& operator=(const CloudService&) = delete;

    // Listens on `listen` ("127.0.0.1:PORT", "[::1]:PORT" or "localhost:PORT"; port 0 picks a
    // free one), calls `on_ready` with the ready line once accepting, and serves until SIGTERM
    // or SIGINT. Throws InputError for a malformed or non-loopback address, or one in use.
    void serve(const std::string& listen, const std::function<void(const nlohmann::ordered_json&)>& on_ready);

    ApiRouter& router() { return router_; }
    CloudStore& store() { return store_; }
    DeploymentStore& deployments() { return deployments_; }
    const ServicePki& pki() const { return pki_; }
    const AdminToken& admin_token() const { return token_; }
    const ServiceClock& clock() const { return clock_; }

private:
    DefenceSet defences_;
    ServiceClock clock_;
    // With a simulation's SimSync file as --clock-file: per-connection quiescence reports.
    std::optional<protocol::SimSync> sync_;
    ServiceRandom random_;
    CloudStore store_;
    DeploymentStore deployments_;
    ServicePki pki_;
    AdminToken token_;
    CloudEventLog events_;
    ServiceLimits limits_;
    ServiceContext context_;
    ApiRouter router_;
};

}  // namespace svp::cloud

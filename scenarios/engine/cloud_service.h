// The cloud stub as a scenario uses it: its own process (`spherevp cloud serve`) on a free
// loopback port, in the run's work directory, seeded and on the simulation's clock (through
// the SimSync file), its events collected at the end.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cloud-stub/cloud_client.h"
#include "common/events/event.h"
#include "common/util/bytes.h"
#include "common/util/subprocess.h"

namespace svp::scenario {

class CloudService {
public:
    // `defences_off`: cloud-layer defences to switch off (`cloud serve --defence-off`).
    static CloudService start(const std::filesystem::path& spherevp, const std::filesystem::path& work_dir,
                              std::uint64_t seed, const std::filesystem::path& sync_file,
                              const std::vector<std::string>& defences_off = {});

    std::uint16_t port() const { return port_; }
    const std::string& service_ca_pem() const { return service_ca_pem_; }
    // Uploads a signed image as known-good through the admin API.
    void upload_image(const Bytes& image);
    // One request to the service, as its administrator (bearer token) or as anyone; the
    // server certificate is judged at `service_unix_s` (the stub's clock).
    cloud::CloudResponse request(bool as_admin, const std::string& method, const std::string& target,
                                 const nlohmann::json& body, std::int64_t service_unix_s) const;
    // Stops the service (SIGTERM) and reads the events it wrote.
    std::vector<Event> stop_and_collect_events();

private:
    CloudService() = default;
    std::optional<Subprocess> process_;
    std::uint16_t port_ = 0;
    std::string service_ca_pem_, service_ca_file_, admin_token_;
    std::filesystem::path events_file_;
};

}  // namespace svp::scenario

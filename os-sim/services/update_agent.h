// The update agent (Azure Sphere's "AzureD", reference §3/§4), shaped after TUF/Uptane
// (common/protocol/updates.h):
//   - checks at boot and every 20 simulated hours: POST /v1/updates/check with what is installed
//     -> a manifest signed by the tenant's update key;
//   - verifies it with named checks (rule 8): signature by a key the OS image trusts, not
//     expired (U7), version never lower than the last one accepted, which is kept on flash
//     (U6), for this product; images whose requirements are not met are withheld (U10);
//   - downloads each new image by its hash with Range requests, never more than the manifest's
//     exact size (U8) and never slower than a floor rate (U9), streaming it into the inactive
//     slot through the security subsystem (stage-begin/write/commit), which verifies it;
//   - waits while an app defers the install (SoftwareUpdateDeferral, U11), then resets;
//   - after a test boot of new images, confirms them once the system has been healthy for a
//     while, or resets so the security subsystem reverts them (U1-U3).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/protocol/updates.h"

namespace svp::os {

class Kernel;
struct Process;

class UpdateAgent {
public:
    static constexpr const char* kManifestVersionKey = "update/manifest-version";
    static constexpr const char* kInstallingKey = "update/installing";  // what the last reset was to boot
    static constexpr const char* kFailedPrefix = "update/failed/";      // image hashes that were reverted

    explicit UpdateAgent(Kernel& kernel) : kernel_(kernel) {}
    int run(Process& self);

    enum class Outcome { up_to_date, rebooting, rejected, failed };
    Outcome check_once(Process& self);

    // The named manifest checks, in the order they run; `accepted` or the first refusal.
    protocol::ManifestVerdict check_manifest(const protocol::SignedManifest& m, std::string& detail);
    bool check_manifest_signature(const protocol::SignedManifest& m);
    bool check_manifest_expiry(const protocol::SignedManifest& m);
    bool check_manifest_version(const protocol::SignedManifest& m);
    bool check_manifest_product(const protocol::SignedManifest& m);

    std::vector<protocol::Installed> installed();
    std::optional<std::uint64_t> last_manifest_version();

private:
    // Confirms a test boot once healthy, or resets to revert it; true if one was pending.
    bool settle_test_boot();
    std::optional<std::string> download_and_stage(const protocol::ManifestImage& image, const std::string& stage);
    void wait_for_deferral();
    // After a reset for an install: were the images booted? If not, remember them as failed.
    void check_install_outcome();
    Kernel& kernel_;
    std::map<std::string, std::string> booted_stage_for_type_;  // image type name -> stage name
};

}  // namespace svp::os

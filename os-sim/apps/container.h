// An app container: one installed app (its verified image and manifest), the UID it runs as,
// the memory account all its processes share, the processes themselves, and its life as the
// application manager sees it (running, waiting to be restarted, stopped).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/crypto/ec_key.h"
#include "os-sim/apps/manifest.h"
#include "os-sim/kernel/memory.h"

namespace svp::os {

class AppContainer {
public:
    AppContainer(AppManifest manifest, int uid, std::uint64_t memory_limit)
        : manifest(std::move(manifest)), uid(uid), memory(memory_limit) {}

    const std::string& name() const { return manifest.name; }

    AppManifest manifest;
    int uid;
    MemoryAccount memory;
    std::vector<AppFile> files;
    std::uint64_t image_address = 0, image_size = 0, text_bytes = 0;
    std::string version;
    crypto::Digest measurement{};

    enum class State { stopped, running, stopping, waiting_restart };
    State state = State::stopped;
    std::set<int> pids;          // every live process of the app
    int main_pid = -1;
    unsigned starts = 0, crashes = 0;
    std::uint64_t backoff_ms = 0;
    std::uint64_t started_ns = 0;
    std::uint64_t restart_at_ns = 0;
    bool stop_requested = false;  // stopped on purpose: no restart, no crash report

    std::uint64_t deferral_until_ns = 0;  // SoftwareUpdateDeferral: no install before this
    unsigned security_queued = 0;         // security-subsystem calls queued or running
};

}  // namespace svp::os

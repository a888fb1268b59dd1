// The OS's configuration, carried in the payload of the (signed, verified) OS kernel image:
// which cloud to talk to and the roots it is trusted by, the update keys, the name table
// networkd starts from, limits and timers. Because it is inside the signed image, an attacker
// cannot point the device at another cloud or another update key without breaking the
// signature. Every field but the cloud has a default; a malformed field is an InputError that
// names it (the kernel then panics with that reason rather than guess).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace svp::os {

struct OsConfig {
    std::string hostname = "sphere";
    std::string cloud_host;          // name checked against the cloud's certificate
    std::uint32_t cloud_ip = 0;      // where the device connects (the bridge maps it)
    std::uint16_t cloud_port = 443;
    std::string trusted_roots_pem;   // the cloud's root CA(s)
    std::string update_keys_pem;     // keys whose signed update manifests the device accepts
    std::map<std::string, std::uint32_t> hosts;  // names networkd resolves (the cloud's is added)
    // Real-time apps and the core each runs on (ComponentId, lower case -> "rt0"), for
    // inter-core connections.
    std::map<std::string, std::string> realtime_apps;

    std::uint64_t attestation_retry_s = 60;
    std::uint64_t attestation_period_s = 20 * 3600;  // renew well before the 24-hour expiry
    std::uint64_t update_period_s = 20 * 3600;       // "at regular intervals (currently 20 hours)" (§4)
    std::uint64_t update_retry_s = 3600;
    std::uint64_t update_confirm_after_s = 30;       // a test boot is healthy after this long
    std::uint64_t download_chunk_bytes = 16 * 1024;
    std::uint64_t download_min_bytes_per_s = 512;    // slower than this is slow retrieval (U9) ...
    std::uint64_t download_allowance_ms = 1000;      // ... beyond this allowance per request
    std::uint64_t max_update_deferral_s = 24 * 3600; // an app may hold an install back this long

    std::uint64_t app_memory_kib = 256;              // per high-level app (§1.2)
    std::uint32_t app_max_processes = 8;             // per app, so a fork bomb stays inside it
    std::uint64_t app_stop_grace_ms = 5000;          // SIGTERM, then SIGKILL after this
    std::uint64_t restart_backoff_initial_ms = 1000; // app restarts: 1 s, 2 s, 4 s, ...
    std::uint64_t restart_backoff_max_ms = 300'000;
    std::uint64_t restart_backoff_reset_s = 60;      // ... back to 1 s after a healthy run
    std::uint32_t security_requests_per_app = 4;     // queued security-subsystem calls per app

    std::uint64_t report_upload_delay_s = 10;        // batch crash reports for this long
    std::uint32_t report_queue_max = 1000;           // "at most 1,000 events" (§4)
    std::uint64_t panic_reboot_s = 5;
    std::uint64_t watchdog_timeout_s = 32;           // 0: leave the watchdog off (kicked every quarter)

    // Throws InputError naming the field on a missing or malformed value.
    static OsConfig from_json(const nlohmann::json& j);
    nlohmann::json to_json() const;
};

}  // namespace svp::os

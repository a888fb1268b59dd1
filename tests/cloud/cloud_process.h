// The real `spherevp cloud serve` process for integration tests: started with fork/exec on a
// free loopback port (port 0), ready when it prints its JSON line (no sleeping), stopped with
// SIGTERM (or SIGKILL, to test durability).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cloud-stub/cloud_client.h"

namespace svp::test {

std::filesystem::path spherevp_binary();

// Runs spherevp with `args` to completion; returns its exit status and what it printed.
struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};
CommandResult run_spherevp(const std::vector<std::string>& args);

class CloudProcess {
public:
    // Starts `spherevp cloud serve --db <db> --listen 127.0.0.1:0 <extra...>` and waits for
    // the ready line (throws with the exit status if the process ends first).
    CloudProcess(const std::filesystem::path& db, std::vector<std::string> extra = {});
    ~CloudProcess();
    CloudProcess(const CloudProcess&) = delete;
    CloudProcess& operator=(const CloudProcess&) = delete;

    const nlohmann::json& ready() const { return ready_; }
    std::string url() const { return "https://" + ready_.at("listening").get<std::string>(); }
    std::uint16_t port() const;
    std::string service_ca_pem() const;
    std::string tenant_ca_pem() const;
    std::string admin_token() const;

    // A client of the service: admin (bearer token), anonymous, or a device with mutual TLS.
    cloud::CloudClient admin() const;
    cloud::CloudClient anonymous() const;
    cloud::CloudClient device(const std::string& certificate_pem, const std::string& key_pem) const;
    cloud::CloudClientOptions client_options() const;
    // The time at which clients judge the server certificate (the service clock, when the
    // stub runs on a clock file); the host's clock by default.
    void set_verify_time(std::function<std::int64_t()> now_s) { verify_time_ = std::move(now_s); }

    // SIGTERM and wait: the exit status (0 for a clean shutdown).
    int stop();
    // SIGKILL and wait: a crash, as far as the service can tell.
    void kill_hard();
    bool running() const { return pid_ > 0; }

private:
    int wait_for_exit();
    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    nlohmann::json ready_;
    std::function<std::int64_t()> verify_time_;
};

}  // namespace svp::test

// `spherevp cloud serve` as a child process, for whoever needs a real stub: the scenario
// runner (the cloud is its own process, DESIGN.md), integration tests and the benchmark.
// Started with fork/exec on a free loopback port (port 0); ready when it prints its JSON line
// (read with a deadline, never a sleep); stopped with SIGTERM (or SIGKILL, to test durability).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cloud-stub/cloud_client.h"


namespace svp::cloud {

class CloudStubProcess {
public:
    // Starts `<spherevp> cloud serve --db <db> --listen 127.0.0.1:0 <extra...>` and waits for
    // the ready line; throws std::runtime_error with the exit status if the process ends first.
    // The child's stderr (its log) is the caller's.
    CloudStubProcess(const std::filesystem::path& spherevp, const std::filesystem::path& db,
                     std::vector<std::string> extra = {});
    ~CloudStubProcess();  // SIGKILL if still running
    CloudStubProcess(const CloudStubProcess&) = delete;
    CloudStubProcess& operator=(const CloudStubProcess&) = delete;

    const nlohmann::json& ready() const { return ready_; }
    std::string url() const { return "https://" + ready_.at("listening").get<std::string>(); }
    std::uint16_t port() const;
    std::string service_ca_pem() const;
    std::string tenant_ca_pem() const;
    std::string admin_token() const;

    // A client of the service: admin (bearer token), anonymous, or a device with mutual TLS.
    CloudClient admin() const;
    CloudClient anonymous() const;
    CloudClient device(const std::string& certificate_pem, const std::string& key_pem) const;
    CloudClientOptions client_options() const;
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

}  // namespace svp::cloud

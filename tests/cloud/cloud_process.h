// The spherevp binary this build made, as tests run it: whole commands (run_spherevp) and the
// cloud stub as a process (CloudProcess).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cloud-stub/cloud_stub_process.h"

namespace svp::test {

inline std::filesystem::path spherevp_binary() { return std::filesystem::path(SVP_BINARY_DIR) / "cli" / "spherevp"; }

// Runs spherevp with `args` to completion; its exit status and what it printed.
struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};
CommandResult run_spherevp(const std::vector<std::string>& args);

class CloudProcess : public cloud::CloudStubProcess {
public:
    explicit CloudProcess(const std::filesystem::path& db, std::vector<std::string> extra = {})
        : CloudStubProcess(spherevp_binary(), db, std::move(extra)) {}
};

}  // namespace svp::test

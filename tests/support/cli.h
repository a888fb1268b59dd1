// The real `spherevp` binary as tests run it, and the scenario catalogue on disk.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "common/util/bytes.h"
#include "common/util/subprocess.h"

namespace svp::test {

inline const std::string kSpherevp = std::string(SVP_BINARY_DIR) + "/cli/spherevp";
inline const std::string kScenarios = std::string(SVP_SOURCE_DIR) + "/scenarios";

struct CliRun {
    int status = -1;
    std::string stdout_text, stderr_text;
};

// `spherevp ARGS...`, waited for, with what it printed on each stream.
inline CliRun run_spherevp(std::vector<std::string> args) {
    const auto err = std::filesystem::temp_directory_path() / ("svp-cli-err-" + std::to_string(::getpid()));
    args.insert(args.begin(), kSpherevp);
    auto p = Subprocess::start(args, {true, err.string()});
    CliRun r;
    r.stdout_text = p.read_all();
    r.status = p.wait();
    r.stderr_text = read_text_file(err);
    std::filesystem::remove(err);
    return r;
}

// Every scenario file under `dir`, sorted; scenarios/fragments/ holds include files, not scenarios.
inline std::vector<std::string> catalogue_files(const std::string& dir = kScenarios) {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.path().extension() == ".yaml" && e.path().parent_path().filename() != "fragments") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace svp::test

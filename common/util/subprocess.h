// Child processes (the cloud stub, parallel scenario runs): start with an argument vector,
// read the child's stdout line by line, stop it with SIGTERM (then SIGKILL), collect the exit
// status. No shell is involved, so arguments are never re-parsed.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace svp {

class Subprocess {
public:
    struct Options {
        bool capture_stdout = true;
        std::string stderr_file;  // empty: inherit ours
    };
    // Throws std::runtime_error when the program cannot be started.
    static Subprocess start(const std::vector<std::string>& argv, Options options);
    static Subprocess start(const std::vector<std::string>& argv) { return start(argv, Options{}); }

    Subprocess(Subprocess&&) noexcept;
    Subprocess& operator=(Subprocess&&) noexcept;
    ~Subprocess();  // kills a child still running

    // The next line of stdout (without the newline); std::nullopt at EOF or after `timeout`.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    // Everything left on stdout until EOF.
    std::string read_all();
    // SIGTERM, then SIGKILL after `grace`; returns the exit status (see wait()).
    int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
    void kill_now();  // SIGKILL (crash simulation)
    // Waits for exit: the exit code, or 128 + signal number when killed by a signal.
    int wait();
    std::optional<int> poll();  // exit status if it has exited
    pid_t pid() const { return pid_; }
    bool running() const { return pid_ > 0 && !status_; }

private:
    Subprocess() = default;
    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    std::string buffer_;
    std::optional<int> status_;
};

}  // namespace svp

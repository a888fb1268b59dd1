#include "common/util/subprocess.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace svp {

Subprocess Subprocess::start(const std::vector<std::string>& argv, Options options) {
    int out[2] = {-1, -1};
    if (options.capture_stdout && ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
    if (pid == 0) {
        if (options.capture_stdout) ::dup2(out[1], STDOUT_FILENO);
        if (!options.stderr_file.empty()) {
            int fd = ::open(options.stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) ::dup2(fd, STDERR_FILENO);
        }
        ::execv(args[0], args.data());
        std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
        ::_exit(127);
    }
    Subprocess p;
    p.pid_ = pid;
    if (options.capture_stdout) {
        ::close(out[1]);
        p.stdout_fd_ = out[0];
    }
    return p;
}

Subprocess::Subprocess(Subprocess&& o) noexcept { *this = std::move(o); }

Subprocess& Subprocess::operator=(Subprocess&& o) noexcept {
    std::swap(pid_, o.pid_);
    std::swap(stdout_fd_, o.stdout_fd_);
    std::swap(buffer_, o.buffer_);
    std::swap(status_, o.status_);
    return *this;
}

Subprocess::~Subprocess() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        wait();
    }
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

std::optional<std::string> Subprocess::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
            auto line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return line;
        }
        if (stdout_fd_ < 0) return std::nullopt;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        pollfd pfd{stdout_fd_, POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
        char chunk[4096];
        const ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
        if (n <= 0) {
            ::close(stdout_fd_);
            stdout_fd_ = -1;
            if (buffer_.empty()) return std::nullopt;
            auto rest = std::move(buffer_);
            buffer_.clear();
            return rest;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

std::string Subprocess::read_all() {
    std::string out = std::move(buffer_);
    buffer_.clear();
    while (stdout_fd_ >= 0) {
        char chunk[4096];
        const ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
        if (n <= 0) {
            ::close(stdout_fd_);
            stdout_fd_ = -1;
            break;
        }
        out.append(chunk, static_cast<std::size_t>(n));
    }
    return out;
}

std::optional<int> Subprocess::poll() {
    if (status_ || pid_ <= 0) return status_;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return status_;
}

int Subprocess::wait() {
    if (status_) return *status_;
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return *status_;
}

int Subprocess::stop(std::chrono::milliseconds grace) {
    if (!running()) return status_.value_or(-1);
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto s = poll()) return *s;
        pollfd none{};
        ::poll(&none, 0, 5);  // a short host-side pause between checks of a dying process
    }
    ::kill(pid_, SIGKILL);
    return wait();
}

void Subprocess::kill_now() {
    if (running()) ::kill(pid_, SIGKILL);
    wait();
}

}  // namespace svp

#include "cloud_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/util/bytes.h"

namespace svp::test {
namespace {

// A generous deadline for the ready line: the service creates its PKI on first start, and CI
// machines are slow and shared. It bounds a failure; a healthy start takes milliseconds.
constexpr int kReadyDeadlineMs = 60000;

std::vector<char*> argv_of(std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    return argv;
}

std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        auto n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

int exit_code_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

std::filesystem::path spherevp_binary() { return std::filesystem::path(SVP_BINARY_DIR) / "cli" / "spherevp"; }

CommandResult run_spherevp(const std::vector<std::string>& args) {
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> full{spherevp_binary().string()};
    full.insert(full.end(), args.begin(), args.end());
    auto argv = argv_of(full);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    CommandResult r;
    // The outputs here are small: reading one pipe to its end before the other cannot block.
    r.out = read_all(out_pipe[0]);
    r.err = read_all(err_pipe[0]);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.exit_code = exit_code_of(status);
    return r;
}

CloudProcess::CloudProcess(const std::filesystem::path& db, std::vector<std::string> extra) {
    int out_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> args{spherevp_binary().string(), "cloud", "serve", "--db", db.string(), "--listen",
                                  "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto argv = argv_of(args);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::dup2(out_pipe[1], 1);  // stderr stays the test's: its log shows in a failing test's output
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(out_pipe[1]);
    stdout_fd_ = out_pipe[0];

    std::string line;
    while (line.find('\n') == std::string::npos) {
        pollfd p{stdout_fd_, POLLIN, 0};
        int ready = ::poll(&p, 1, kReadyDeadlineMs);
        if (ready < 0 && errno == EINTR) continue;
        char buf[1024];
        auto n = ready > 0 ? ::read(stdout_fd_, buf, sizeof buf) : 0;
        if (n <= 0) {
            int code = ready == 0 ? (::kill(pid_, SIGKILL), wait_for_exit()) : wait_for_exit();
            throw std::runtime_error("cloud serve ended before its ready line (exit " + std::to_string(code) + ")");
        }
        line.append(buf, static_cast<std::size_t>(n));
    }
    ready_ = nlohmann::json::parse(line.substr(0, line.find('\n')));
}

CloudProcess::~CloudProcess() {
    if (pid_ > 0) kill_hard();
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

std::uint16_t CloudProcess::port() const {
    auto listening = ready_.at("listening").get<std::string>();
    return static_cast<std::uint16_t>(std::stoi(listening.substr(listening.rfind(':') + 1)));
}

std::string CloudProcess::service_ca_pem() const { return read_text_file(ready_.at("service_ca").get<std::string>()); }
std::string CloudProcess::tenant_ca_pem() const { return read_text_file(ready_.at("tenant_ca").get<std::string>()); }

std::string CloudProcess::admin_token() const {
    auto t = read_text_file(ready_.at("admin_token_file").get<std::string>());
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return t;
}

cloud::CloudClientOptions CloudProcess::client_options() const {
    auto o = cloud::CloudClientOptions::from_url(url());
    o.ca_pem = service_ca_pem();
    o.verify_time = verify_time_;
    return o;
}

cloud::CloudClient CloudProcess::admin() const {
    auto o = client_options();
    o.bearer_token = admin_token();
    return cloud::CloudClient(std::move(o));
}

cloud::CloudClient CloudProcess::anonymous() const { return cloud::CloudClient(client_options()); }

cloud::CloudClient CloudProcess::device(const std::string& certificate_pem, const std::string& key_pem) const {
    auto o = client_options();
    o.client_certificate_pem = certificate_pem;
    o.client_key_pem = key_pem;
    return cloud::CloudClient(std::move(o));
}

int CloudProcess::wait_for_exit() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return exit_code_of(status);
}

int CloudProcess::stop() {
    ::kill(pid_, SIGTERM);
    return wait_for_exit();
}

void CloudProcess::kill_hard() {
    ::kill(pid_, SIGKILL);
    wait_for_exit();
}

}  // namespace svp::test

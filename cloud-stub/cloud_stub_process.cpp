#include "cloud-stub/cloud_stub_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/util/bytes.h"

namespace svp::cloud {
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

int exit_code_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

CloudStubProcess::CloudStubProcess(const std::filesystem::path& spherevp, const std::filesystem::path& db,
                                   std::vector<std::string> extra) {
    int out_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> args{spherevp.string(), "cloud", "serve", "--db", db.string(), "--listen",
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

CloudStubProcess::~CloudStubProcess() {
    if (pid_ > 0) kill_hard();
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

std::uint16_t CloudStubProcess::port() const {
    auto listening = ready_.at("listening").get<std::string>();
    return static_cast<std::uint16_t>(std::stoi(listening.substr(listening.rfind(':') + 1)));
}

std::string CloudStubProcess::service_ca_pem() const { return read_text_file(ready_.at("service_ca").get<std::string>()); }
std::string CloudStubProcess::tenant_ca_pem() const { return read_text_file(ready_.at("tenant_ca").get<std::string>()); }

std::string CloudStubProcess::admin_token() const {
    auto t = read_text_file(ready_.at("admin_token_file").get<std::string>());
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return t;
}

CloudClientOptions CloudStubProcess::client_options() const {
    auto o = CloudClientOptions::from_url(url());
    o.ca_pem = service_ca_pem();
    o.verify_time = verify_time_;
    return o;
}

CloudClient CloudStubProcess::admin() const {
    auto o = client_options();
    o.bearer_token = admin_token();
    return CloudClient(std::move(o));
}

CloudClient CloudStubProcess::anonymous() const { return CloudClient(client_options()); }

CloudClient CloudStubProcess::device(const std::string& certificate_pem, const std::string& key_pem) const {
    auto o = client_options();
    o.client_certificate_pem = certificate_pem;
    o.client_key_pem = key_pem;
    return CloudClient(std::move(o));
}

int CloudStubProcess::wait_for_exit() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return exit_code_of(status);
}

int CloudStubProcess::stop() {
    ::kill(pid_, SIGTERM);
    return wait_for_exit();
}

void CloudStubProcess::kill_hard() {
    ::kill(pid_, SIGKILL);
    wait_for_exit();
}

}  // namespace svp::cloud

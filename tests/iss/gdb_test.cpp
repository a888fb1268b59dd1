// The GDB stub, driven over its socket the way gdb-multiarch drives it: break at main,
// continue, read registers, step, read memory, kill.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "models/cpu/armv7m/elf_loader.h"

namespace {

// A minimal RSP client: frames, checksums, acknowledgements.
class RspClient {
public:
    explicit RspClient(int port) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~RspClient() { if (fd_ >= 0) close(fd_); }
    bool connected() const { return connected_; }
    std::string request(const std::string& payload) {
        send_packet(payload);
        return receive_packet();
    }
    void send_packet(const std::string& payload) {
        unsigned sum = 0;
        for (char c : payload) sum += static_cast<unsigned char>(c);
        const std::string frame = fmt::format("${}#{:02x}", payload, sum & 0xFF);
        ::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL);
    }
    void interrupt() { ::send(fd_, "\x03", 1, MSG_NOSIGNAL); }
    std::string receive_packet() {
        std::string p;
        int c;
        while ((c = byte()) >= 0 && c != '$') {}  // skips the '+' acknowledgement
        while ((c = byte()) >= 0 && c != '#') p.push_back(static_cast<char>(c));
        byte();
        byte();
        ::send(fd_, "+", 1, MSG_NOSIGNAL);
        return p;
    }

private:
    int byte() {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 20000) <= 0) return -1;  // a stuck stub fails the test, not hangs it
        unsigned char c;
        return recv(fd_, &c, 1, 0) == 1 ? c : -1;
    }
    int fd_ = -1;
    bool connected_ = false;
};

std::string le32(uint32_t v) { return fmt::format("{:02x}{:02x}{:02x}{:02x}", v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF, v >> 24); }

}  // namespace

TEST_CASE("GDB stub: break at main, continue, read registers, step, read memory", "[iss][gdb]") {
    const std::string elf = std::string(SVP_FIRMWARE_DIR) + "/tests/integer.elf";
    if (!std::filesystem::exists(elf)) {
        WARN("SKIPPED: " << elf << " not built");
        return;
    }
    const auto image = svp::armv7m::read_elf(elf);
    const auto main_addr = image.symbol("main");
    REQUIRE(main_addr);

    // Start `spherevp iss run --gdb 0` and learn its port from its first line on stderr.
    int err_pipe[2];
    REQUIRE(pipe(err_pipe) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
    posix_spawn_file_actions_addclose(&fa, err_pipe[0]);
    std::string bin = SVP_SPHEREVP_BIN, a1 = "iss", a2 = "run", a3 = "--gdb", a4 = "0";
    char* argv[] = {bin.data(), a1.data(), a2.data(), a3.data(), a4.data(), const_cast<char*>(elf.c_str()), nullptr};
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv, environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    close(err_pipe[1]);
    std::string line;
    char c;
    pollfd p{err_pipe[0], POLLIN, 0};
    while (line.find('\n') == std::string::npos && poll(&p, 1, 20000) > 0 && read(err_pipe[0], &c, 1) == 1) line.push_back(c);
    const auto colon = line.rfind(':');
    REQUIRE(colon != std::string::npos);
    const int port = std::stoi(line.substr(colon + 1));

    {
        RspClient gdb(port);
        REQUIRE(gdb.connected());
        CHECK(gdb.request("qSupported:multiprocess+;xmlRegisters=arm").find("qXfer:features:read+") != std::string::npos);
        CHECK(gdb.request("qXfer:features:read:target.xml:0,fff").find("org.gnu.gdb.arm.m-profile") != std::string::npos);
        CHECK(gdb.request("?") == "S05");
        CHECK(gdb.request(fmt::format("Z0,{:x},2", *main_addr)) == "OK");
        CHECK(gdb.request("c") == "S05");                       // stopped at the breakpoint
        CHECK(gdb.request("pf") == le32(*main_addr));           // pc == main
        const std::string regs = gdb.request("g");
        CHECK(regs.size() == 2 * (23 * 4 + 16 * 8 + 4));        // r0-r15, xpsr, 6 system, d0-d15, fpscr
        CHECK(regs.substr(15 * 8, 8) == le32(*main_addr));
        CHECK(gdb.request("s") == "S05");                       // one instruction
        const std::string pc_after = gdb.request("pf");
        CHECK(pc_after != le32(*main_addr));
        // Memory at main is the program's code.
        const std::string mem = gdb.request(fmt::format("m{:x},4", *main_addr));
        std::string expect;
        for (const auto& seg : image.segments)
            if (*main_addr >= seg.paddr && *main_addr + 4 <= seg.paddr + seg.data.size())
                for (unsigned i = 0; i < 4; ++i) expect += fmt::format("{:02x}", seg.data[*main_addr - seg.paddr + i]);
        CHECK(mem == expect);
        // Writing memory, plain (M) and binary (X, with an escaped byte), reads back.
        CHECK(gdb.request("M20300000,2:abcd") == "OK");
        CHECK(gdb.request(std::string("X20300002,2:\x7d\x5d\x01", 15)) == "OK");  // bytes 0x7d, 0x01
        CHECK(gdb.request("m20300000,4") == "abcd7d01");
        CHECK(gdb.request(fmt::format("z0,{:x},2", *main_addr)) == "OK");
        // A read watchpoint on the program's table of test values stops at the first read.
        const auto vals = image.symbol("vals");
        REQUIRE(vals);
        CHECK(gdb.request(fmt::format("Z3,{:x},4", *vals)) == "OK");
        CHECK(gdb.request("c") == fmt::format("T05rwatch:{:x};", *vals));
        CHECK(gdb.request(fmt::format("z3,{:x},4", *vals)) == "OK");
        gdb.send_packet("k");
    }
    int status = 0;
    waitpid(pid, &status, 0);
    close(err_pipe[0]);
    CHECK(WIFEXITED(status));
}

TEST_CASE("GDB stub: Ctrl-C interrupts a running program", "[iss][gdb]") {
    const std::string elf = std::string(SVP_FIRMWARE_DIR) + "/bench/compute_long.elf";
    if (!std::filesystem::exists(elf)) {
        WARN("SKIPPED: " << elf << " not built");
        return;
    }
    int err_pipe[2];
    REQUIRE(pipe(err_pipe) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
    posix_spawn_file_actions_addclose(&fa, err_pipe[0]);
    std::string bin = SVP_SPHEREVP_BIN, a1 = "iss", a2 = "run", a3 = "--gdb", a4 = "0";
    char* argv[] = {bin.data(), a1.data(), a2.data(), a3.data(), a4.data(), const_cast<char*>(elf.c_str()), nullptr};
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv, environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    close(err_pipe[1]);
    std::string line;
    char c;
    pollfd p{err_pipe[0], POLLIN, 0};
    while (line.find('\n') == std::string::npos && poll(&p, 1, 20000) > 0 && read(err_pipe[0], &c, 1) == 1) line.push_back(c);
    const auto colon = line.rfind(':');
    REQUIRE(colon != std::string::npos);
    {
        RspClient gdb(std::stoi(line.substr(colon + 1)));
        REQUIRE(gdb.connected());
        CHECK(gdb.request("?") == "S05");
        gdb.send_packet("c");   // runs for seconds of host time ...
        gdb.interrupt();        // ... unless interrupted
        CHECK(gdb.receive_packet() == "S02");
        const std::string pc = gdb.request("pf");
        CHECK(pc.size() == 8);
        gdb.send_packet("k");
    }
    int status = 0;
    waitpid(pid, &status, 0);
    close(err_pipe[0]);
    CHECK(WIFEXITED(status));
}

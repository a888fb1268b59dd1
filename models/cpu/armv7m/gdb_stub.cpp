#include "models/cpu/armv7m/gdb_stub.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "common/util/input_error.h"

namespace svp {

using namespace armv7m;

namespace {
constexpr const char* kTargetXml =
    "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\"><target><architecture>arm</architecture>"
    "<feature name=\"org.gnu.gdb.arm.m-profile\">"
    "<reg name=\"r0\" bitsize=\"32\" regnum=\"0\"/><reg name=\"r1\" bitsize=\"32\"/><reg name=\"r2\" bitsize=\"32\"/>"
    "<reg name=\"r3\" bitsize=\"32\"/><reg name=\"r4\" bitsize=\"32\"/><reg name=\"r5\" bitsize=\"32\"/>"
    "<reg name=\"r6\" bitsize=\"32\"/><reg name=\"r7\" bitsize=\"32\"/><reg name=\"r8\" bitsize=\"32\"/>"
    "<reg name=\"r9\" bitsize=\"32\"/><reg name=\"r10\" bitsize=\"32\"/><reg name=\"r11\" bitsize=\"32\"/>"
    "<reg name=\"r12\" bitsize=\"32\"/><reg name=\"sp\" bitsize=\"32\" type=\"data_ptr\"/>"
    "<reg name=\"lr\" bitsize=\"32\"/><reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\"/>"
    "<reg name=\"xpsr\" bitsize=\"32\" regnum=\"16\"/></feature>"
    "<feature name=\"org.gnu.gdb.arm.m-system\">"
    "<reg name=\"msp\" bitsize=\"32\" regnum=\"17\" type=\"data_ptr\"/><reg name=\"psp\" bitsize=\"32\" type=\"data_ptr\"/>"
    "<reg name=\"primask\" bitsize=\"32\"/><reg name=\"basepri\" bitsize=\"32\"/>"
    "<reg name=\"faultmask\" bitsize=\"32\"/><reg name=\"control\" bitsize=\"32\"/></feature>"
    "<feature name=\"org.gnu.gdb.arm.vfp\">"
    "<reg name=\"d0\" bitsize=\"64\" type=\"ieee_double\" regnum=\"23\"/><reg name=\"d1\" bitsize=\"64\" type=\"ieee_double\"/>"
    "<reg name=\"d2\" bitsize=\"64\" type=\"ieee_double\"/><reg name=\"d3\" bitsize=\"64\" type=\"ieee_double\"/>"
    "<reg name=\"d4\" bitsize=\"64\" type=\"ieee_double\"/><reg name=\"d5\" bitsize=\"64\" type=\"ieee_double\"/>"
    "<reg name=\"d6\" bitsize=\"64\" type=\"ieee_double\"/><reg name=\"d7\" bitsize=\"64\" type=\"ieee_double\"/>"
    "<reg name=\"d8\" bitsize=\"64\" type=\"ieee_double\"/><reg name=\"d9\" bitsize=\"64\" type=\"ieee_double\"/>"
    "<reg name=\"d10\" bitsize=\"64\" type=\"ieee_double\"/><reg name=\"d11\" bitsize=\"64\" type=\"ieee_double\"/>"
    "<reg name=\"d12\" bitsize=\"64\" type=\"ieee_double\"/><reg name=\"d13\" bitsize=\"64\" type=\"ieee_double\"/>"
    "<reg name=\"d14\" bitsize=\"64\" type=\"ieee_double\"/><reg name=\"d15\" bitsize=\"64\" type=\"ieee_double\"/>"
    "<reg name=\"fpscr\" bitsize=\"32\" type=\"int\" group=\"float\"/></feature></target>";
// Register numbers of the description above: 0-15 core, 16 xpsr, 17-22 system, 23-38 d0-d15, 39 fpscr.
constexpr unsigned kNumRegs = 40;

std::string hex_le(std::uint64_t v, unsigned bytes) {
    std::string s;
    for (unsigned i = 0; i < bytes; ++i) s += fmt::format("{:02x}", static_cast<unsigned>((v >> (8 * i)) & 0xFF));
    return s;
}
std::uint64_t parse_hex_le(const std::string& s, std::size_t at, unsigned bytes) {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < bytes && at + 2 * i + 1 < s.size(); ++i)
        v |= std::stoull(s.substr(at + 2 * i, 2), nullptr, 16) << (8 * i);
    return v;
}
unsigned reg_bytes(unsigned n) { return (n >= 23 && n <= 38) ? 8 : 4; }

std::uint64_t read_reg(const CortexM4& c, unsigned n) {
    if (n <= 22) return c.read_register(n);
    if (n <= 38) {
        const unsigned d = n - 23;
        return (std::uint64_t{c.read_register(23 + 2 * d + 1)} << 32) | c.read_register(23 + 2 * d);
    }
    return c.read_register(55);  // fpscr
}
void write_reg(CortexM4& c, unsigned n, std::uint64_t v) {
    if (n <= 22) { c.write_register(n, static_cast<std::uint32_t>(v)); return; }
    if (n <= 38) {
        const unsigned d = n - 23;
        c.write_register(23 + 2 * d, static_cast<std::uint32_t>(v));
        c.write_register(23 + 2 * d + 1, static_cast<std::uint32_t>(v >> 32));
        return;
    }
    c.write_register(55, static_cast<std::uint32_t>(v));
}
}  // namespace

GdbStub::GdbStub(CortexM4Module& cpu, const ElfImage& image) : cpu_(cpu), image_(image) {
    cpu_.set_debug_handler([this](CortexM4& core, StopReason why) { return on_stop(core, why); });
    // Look for Ctrl-C once per millisecond of simulated time.
    cpu_.set_poll(sc_core::sc_time(1, sc_core::SC_MS), [this] { poll_interrupt(); });
}

GdbStub::~GdbStub() {
    if (fd_ >= 0) ::close(fd_);
    if (listen_fd_ >= 0) ::close(listen_fd_);
}

int GdbStub::listen(std::uint16_t port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd_ < 0) throw std::runtime_error("gdb stub: cannot create a socket");
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 1) != 0)
        throw InputError(fmt::format("--gdb {}: cannot listen on 127.0.0.1:{} ({})", port, port, std::strerror(errno)));
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

void GdbStub::wait_for_client() {
    fd_ = ::accept(listen_fd_, nullptr, nullptr);
    if (fd_ < 0) throw std::runtime_error("gdb stub: accept failed");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // The core waits at its reset vector for gdb's first continue or step.
    cpu_.core().request_debug_stop();
}

int GdbStub::read_byte() {
    if (!pending_input_.empty()) {
        const int c = static_cast<unsigned char>(pending_input_.front());
        pending_input_.erase(0, 1);
        return c;
    }
    unsigned char c;
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 1 ? c : -1;
}

bool GdbStub::read_packet(std::string& packet) {
    for (;;) {
        int c;
        do {
            c = read_byte();
            if (c < 0) return false;
            if (c == 0x03) { packet = "\x03"; return true; }
        } while (c != '$');
        packet.clear();
        while ((c = read_byte()) >= 0 && c != '#') packet.push_back(static_cast<char>(c));
        if (c < 0) return false;
        const int h = read_byte(), l = read_byte();
        if (h < 0 || l < 0) return false;
        unsigned sum = 0;
        for (char ch : packet) sum += static_cast<unsigned char>(ch);
        const unsigned want = static_cast<unsigned>(std::stoul(std::string{static_cast<char>(h), static_cast<char>(l)}, nullptr, 16));
        if ((sum & 0xFF) == want) {
            ::send(fd_, "+", 1, MSG_NOSIGNAL);
            return true;
        }
        ::send(fd_, "-", 1, MSG_NOSIGNAL);
    }
}

void GdbStub::send_packet(const std::string& payload) {
    unsigned sum = 0;
    for (char ch : payload) sum += static_cast<unsigned char>(ch);
    const std::string frame = fmt::format("${}#{:02x}", payload, sum & 0xFF);
    ::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL);
    // Wait for the acknowledgement; anything else is kept for the next packet.
    for (;;) {
        const int c = read_byte();
        if (c < 0 || c == '+') return;
        if (c == '-') { ::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL); continue; }
        pending_input_.push_back(static_cast<char>(c));
        return;
    }
}

void GdbStub::poll_interrupt() {
    if (fd_ < 0 || detached_) return;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) {
        unsigned char c;
        if (::recv(fd_, &c, 1, MSG_PEEK) == 1 && c == 0x03) {
            ::recv(fd_, &c, 1, 0);
            last_signal_ = 2;  // SIGINT
            cpu_.core().request_debug_stop();
        }
    }
}

std::string GdbStub::stop_reply(CortexM4& core) {
    if (core.halted()) return fmt::format("W{:02x}", core.exit_code() & 0xFF);
    if (auto hit = core.take_watch_hit()) {
        const char* kind = hit->kind == WatchKind::write ? "watch" : hit->kind == WatchKind::read ? "rwatch" : "awatch";
        return fmt::format("T05{}:{:x};", kind, hit->address);
    }
    return fmt::format("S{:02x}", last_signal_);
}

bool GdbStub::on_stop(CortexM4& core, StopReason why) {
    if (detached_ || fd_ < 0) return true;
    if (why == StopReason::halted) {  // the program ended: W<code> (or X for a lockup)
        send_packet(core.halt_reason() == HaltReason::exit ? fmt::format("W{:02x}", core.exit_code() & 0xFF) : "X06");
        return false;
    }
    if (!serve(core)) return false;
    return true;
}

bool GdbStub::serve(CortexM4& core) {
    // Report why we stopped, unless gdb has not asked anything yet (the stop at reset).
    if (!first_stop_) send_packet(stop_reply(core));
    first_stop_ = false;
    last_signal_ = 5;
    std::string packet;
    while (read_packet(packet)) {
        bool resume = false, stop_serving = false;
        const std::string reply = handle(core, packet, resume, stop_serving);
        if (killed_) return false;
        if (resume) return true;
        if (packet != "\x03") send_packet(reply);
        if (stop_serving) { detached_ = true; return true; }
    }
    // gdb went away: let the program run to its end.
    detached_ = true;
    return true;
}

std::string GdbStub::handle(CortexM4& core, const std::string& p, bool& resume, bool& stop_serving) {
    if (p.empty()) return "";
    switch (p[0]) {
    case '\x03': return "";
    case '?': return fmt::format("S{:02x}", last_signal_);
    case 'g': {
        std::string out;
        for (unsigned n = 0; n < kNumRegs; ++n) out += hex_le(read_reg(core, n), reg_bytes(n));
        return out;
    }
    case 'G': {
        std::size_t at = 1;
        for (unsigned n = 0; n < kNumRegs && at < p.size(); ++n) {
            write_reg(core, n, parse_hex_le(p, at, reg_bytes(n)));
            at += 2 * reg_bytes(n);
        }
        return "OK";
    }
    case 'p': {
        const unsigned n = static_cast<unsigned>(std::stoul(p.substr(1), nullptr, 16));
        if (n >= kNumRegs) return "E01";
        return hex_le(read_reg(core, n), reg_bytes(n));
    }
    case 'P': {
        const auto eq = p.find('=');
        const unsigned n = static_cast<unsigned>(std::stoul(p.substr(1, eq - 1), nullptr, 16));
        if (n >= kNumRegs || eq == std::string::npos) return "E01";
        write_reg(core, n, parse_hex_le(p, eq + 1, reg_bytes(n)));
        return "OK";
    }
    case 'm': {
        const auto comma = p.find(',');
        const std::uint32_t addr = static_cast<std::uint32_t>(std::stoul(p.substr(1, comma - 1), nullptr, 16));
        const unsigned len = static_cast<unsigned>(std::min<unsigned long>(std::stoul(p.substr(comma + 1), nullptr, 16), 4096));
        std::vector<std::uint8_t> buf(len);
        const unsigned n = core.read_memory(addr, buf.data(), len);
        if (n == 0 && len) return "E14";
        std::string out;
        for (unsigned i = 0; i < n; ++i) out += fmt::format("{:02x}", buf[i]);
        return out;
    }
    case 'M': {
        const auto comma = p.find(','), colon = p.find(':');
        const std::uint32_t addr = static_cast<std::uint32_t>(std::stoul(p.substr(1, comma - 1), nullptr, 16));
        const unsigned len = static_cast<unsigned>(std::stoul(p.substr(comma + 1, colon - comma - 1), nullptr, 16));
        std::vector<std::uint8_t> buf(len);
        for (unsigned i = 0; i < len; ++i) buf[i] = static_cast<std::uint8_t>(std::stoul(p.substr(colon + 1 + 2 * i, 2), nullptr, 16));
        return core.write_memory(addr, buf.data(), len) == len ? "OK" : "E14";
    }
    case 'X': {  // binary memory write (gdb's `load`): 0x7d escapes the next byte XOR 0x20
        const auto comma = p.find(','), colon = p.find(':');
        if (comma == std::string::npos || colon == std::string::npos) return "E01";
        const std::uint32_t addr = static_cast<std::uint32_t>(std::stoul(p.substr(1, comma - 1), nullptr, 16));
        const unsigned len = static_cast<unsigned>(std::stoul(p.substr(comma + 1, colon - comma - 1), nullptr, 16));
        std::vector<std::uint8_t> buf;
        for (std::size_t i = colon + 1; i < p.size(); ++i) {
            std::uint8_t c = static_cast<std::uint8_t>(p[i]);
            if (c == 0x7d && i + 1 < p.size()) c = static_cast<std::uint8_t>(p[++i]) ^ 0x20;
            buf.push_back(c);
        }
        if (buf.size() != len) return "E01";
        return len == 0 || core.write_memory(addr, buf.data(), len) == len ? "OK" : "E14";
    }
    case 'c':
        if (p.size() > 1) core.write_register(15, static_cast<std::uint32_t>(std::stoul(p.substr(1), nullptr, 16)));
        core.resume_from_debug();
        resume = true;
        return "";
    case 's': {
        if (p.size() > 1) core.write_register(15, static_cast<std::uint32_t>(std::stoul(p.substr(1), nullptr, 16)));
        core.step();
        return stop_reply(core);
    }
    case 'Z': case 'z': {
        const bool insert = p[0] == 'Z';
        const int type = p[1] - '0';
        const auto c1 = p.find(','), c2 = p.find(',', c1 + 1);
        const std::uint32_t addr = static_cast<std::uint32_t>(std::stoul(p.substr(c1 + 1, c2 - c1 - 1), nullptr, 16));
        const std::uint32_t kind = static_cast<std::uint32_t>(std::stoul(p.substr(c2 + 1), nullptr, 16));
        if (type == 0 || type == 1) {
            if (insert) core.add_breakpoint(addr); else core.remove_breakpoint(addr);
            return "OK";
        }
        if (type >= 2 && type <= 4) {
            const auto wk = static_cast<WatchKind>(type);
            if (insert) core.add_watchpoint(addr, kind, wk); else core.remove_watchpoint(addr, kind, wk);
            return "OK";
        }
        return "";
    }
    case 'k':
        killed_ = true;
        return "";
    case 'D':
        core.clear_debug_state();
        stop_serving = true;
        return "OK";
    case 'H': return "OK";
    case 'T': return "OK";
    case 'q':
        if (p.rfind("qSupported", 0) == 0) return "PacketSize=4000;qXfer:features:read+";
        if (p == "qAttached") return "1";
        if (p == "qC") return "QC1";
        if (p == "qfThreadInfo") return "m1";
        if (p == "qsThreadInfo") return "l";
        if (p.rfind("qXfer:features:read:target.xml:", 0) == 0) {
            const auto args = p.substr(std::strlen("qXfer:features:read:target.xml:"));
            const auto comma = args.find(',');
            const std::size_t off = std::stoul(args.substr(0, comma), nullptr, 16);
            const std::size_t len = std::stoul(args.substr(comma + 1), nullptr, 16);
            const std::string xml = kTargetXml;
            if (off >= xml.size()) return "l";
            const std::string part = xml.substr(off, len);
            return (off + part.size() >= xml.size() ? "l" : "m") + part;
        }
        if (p.rfind("qSymbol", 0) == 0) return "OK";
        return "";
    case 'v':
        if (p.rfind("vMustReplyEmpty", 0) == 0) return "";
        if (p.rfind("vKill", 0) == 0) { killed_ = true; return "OK"; }
        return "";
    default:
        return "";
    }
}

}  // namespace svp

#include "models/periph/nic.h"

#include <cerrno>

#include "common/util/log.h"
#include "models/base/event_log.h"

namespace svp {

Nic::Nic(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time access_latency,
         BusInitiator dma_identity, HostBridge& bridge, LinkTiming link, IrqLine* irq)
    : Peripheral(name, device, access_latency), dma_("dma", dma_identity), bridge_(bridge), link_(link),
      irq_(irq) {
    regs_.add("ID", ID, 0x4E494331, Access::ro);
    regs_.add("CMD", CMD, 0, Access::wo).on_write([this](std::uint32_t, std::uint32_t v) {
        if (regs_["STATUS"].value() & 1) {
            regs_.report_guest_error("CMD written while busy; ignored");
            return;
        }
        pending_ = v;
        regs_["STATUS"].set(1);
        start_.notify(sc_core::SC_ZERO_TIME);
    });
    regs_.add("SOCKET", SOCKET);
    regs_.add("ADDR", ADDR);
    regs_.add("LEN", LEN);
    regs_.add("REMOTE_IP", REMOTE_IP);
    regs_.add("REMOTE_PORT", REMOTE_PORT, 0, Access::rw, 0xFFFF);
    regs_.add("STATUS", STATUS, 0, Access::ro);
    regs_.add("RESULT", RESULT, 0, Access::ro);
    regs_.add("INT_STS", INT_STS, 0, Access::w1c, 1).on_write([this](std::uint32_t, std::uint32_t) {
        if (irq_) irq_->set(regs_["INT_STS"].value() & regs_["INT_EN"].value());
    });
    regs_.add("INT_EN", INT_EN, 0, Access::rw, 1).on_write([this](std::uint32_t, std::uint32_t) {
        if (irq_) irq_->set(regs_["INT_STS"].value() & regs_["INT_EN"].value());
    });
    thread_ = sc_core::sc_spawn([this] { run(); }, "engine");
}

void Nic::reset() {
    if (thread_.valid() && !thread_.terminated()) thread_.kill();
    for (int s : open_sockets_) bridge_.close(s);
    open_sockets_.clear();
    Peripheral::reset();
    if (irq_) irq_->lower();
    thread_ = sc_core::sc_spawn([this] { run(); }, "engine");
}

void Nic::run() {
    for (;;) {
        wait(start_);
        finish(execute(pending_));
    }
}

void Nic::finish(std::int32_t result) {
    regs_["RESULT"].set(static_cast<std::uint32_t>(result));
    regs_["STATUS"].set(0);
    regs_["INT_STS"].set_bits(1);
    if (irq_) irq_->set(regs_["INT_STS"].value() & regs_["INT_EN"].value());
}

std::uint64_t Nic::impairment_ns() {
    std::uint64_t t = conditions_.extra_delay_ns;
    if (conditions_.loss > 0)
        while (device_.rng.uniform() < conditions_.loss) t += conditions_.retransmit_ns;  // each loss: one more RTO
    return t;
}

void Nic::corrupt(Bytes& data, unsigned& countdown, const char* direction) {
    if (countdown == 0 || data.empty() || --countdown > 0) return;
    const auto at = device_.rng.below(data.size());
    data[at] ^= 0x01;
    device_.emit(ev::net_corrupted, {{"direction", direction}, {"offset", at}, {"length", data.size()}});
}

std::int32_t Nic::execute(std::uint32_t cmd) {
    const int socket = static_cast<int>(regs_["SOCKET"].value());
    const std::uint64_t now = sim_now_ns();
    auto wait_until = [this](std::uint64_t t_ns) {
        const std::uint64_t n = sim_now_ns();
        if (t_ns > n) wait(sc_core::sc_time(static_cast<double>(t_ns - n), sc_core::SC_NS));
    };
    switch (cmd) {
    case cmd_connect: {
        if (conditions_.down) return -ENETUNREACH;
        const auto ip = regs_["REMOTE_IP"].value();
        const auto port = static_cast<std::uint16_t>(regs_["REMOTE_PORT"].value());
        const std::uint64_t done = link_.handshake(now);
        const int handle = bridge_.connect(ip, port, link_.arrival_at_host());
        if (handle >= 0) open_sockets_.push_back(handle);
        device_.emit(ev::net_connect, {{"socket", handle}, {"host", ipv4_to_string(ip)}, {"port", port},
                                       {"result", handle >= 0 ? "ok" : "refused"}});
        wait_until(done);
        return handle;
    }
    case cmd_send: {
        const auto length = regs_["LEN"].value();
        if (length > kMaxTransfer) return -EMSGSIZE;
        Bytes data(length);
        sc_core::sc_time delay;
        if (dma_.read(regs_["ADDR"].value(), data.data(), data.size(), delay) != tlm::TLM_OK_RESPONSE)
            return -EFAULT;
        wait(delay);
        if (conditions_.down) return -ENETUNREACH;
        corrupt(data, conditions_.corrupt_uplink_nth, "uplink");
        const std::uint64_t arrival = link_.uplink(sim_now_ns() + impairment_ns(), length);
        const int rc = bridge_.send(socket, data, arrival);
        // The NIC is done once the bytes have left the radio, not when they arrive.
        wait_until(arrival - link_.timing().latency_ns);
        return rc < 0 ? rc : static_cast<std::int32_t>(length);
    }
    case cmd_recv: {
        const auto length = regs_["LEN"].value();
        if (length > kMaxTransfer) return -EMSGSIZE;
        auto got = bridge_.receive(socket, length);
        if (got.stalled) return -EAGAIN;
        if (got.data.empty()) return 0;  // closed by the host
        corrupt(got.data, conditions_.corrupt_downlink_nth, "downlink");
        wait_until(link_.downlink(got.data.size()) + impairment_ns());
        sc_core::sc_time delay;
        if (dma_.write(regs_["ADDR"].value(), got.data.data(), got.data.size(), delay) != tlm::TLM_OK_RESPONSE)
            return -EFAULT;
        wait(delay);
        return static_cast<std::int32_t>(got.data.size());
    }
    case cmd_close: {
        device_.emit(ev::net_close, {{"socket", socket}, {"bytes_tx", bridge_.bytes_sent(socket)},
                                     {"bytes_rx", bridge_.bytes_received(socket)}});
        bridge_.close(socket);
        std::erase(open_sockets_, socket);
        return 0;
    }
    default:
        regs_.report_guest_error("unknown command " + std::to_string(cmd));
        return -EINVAL;
    }
}

}  // namespace svp

#include "models/periph/uart.h"

namespace svp {

Uart::Uart(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time access_latency,
           std::uint64_t clock_hz, IrqLine* irq)
    : Peripheral(name, device, access_latency), clock_hz_(clock_hz), irq_(irq) {
    regs_.add("RBR_THR", RBR_THR, 0, Access::rw, 0xFF)
        .on_read([this](bool debug) -> std::uint32_t {
            if (regs_["LCR"].value() & 0x80) return dll_;
            if (rx_.empty()) return 0;
            std::uint32_t b = rx_.front();
            if (!debug) {
                rx_.pop_front();
                update_irq();
            }
            return b;
        })
        .on_write([this](std::uint32_t, std::uint32_t v) {
            if (regs_["LCR"].value() & 0x80)
                dll_ = v & 0xFF;
            else
                transmit(static_cast<std::uint8_t>(v));
        });
    regs_.add("IER", IER, 0, Access::rw, 0x0F)
        .on_read([this](bool) -> std::uint32_t {
            return (regs_["LCR"].value() & 0x80) ? dlm_ : regs_["IER"].value();
        })
        .on_write([this](std::uint32_t old, std::uint32_t v) {
            if (regs_["LCR"].value() & 0x80) {
                dlm_ = v & 0xFF;
                regs_["IER"].set(old);
            }
            update_irq();
        });
    regs_.add("IIR_FCR", IIR_FCR, 0x01, Access::rw, 0xFF).on_read([this](bool) -> std::uint32_t {
        const auto ier = regs_["IER"].value();
        if ((ier & IER_ERBFI) && !rx_.empty()) return 0x04;  // received data available
        if (ier & IER_ETBEI) return 0x02;                    // THR empty (transmit is immediate)
        return 0x01;                                         // no interrupt pending
    });
    regs_.add("LCR", LCR, 0x03, Access::rw, 0xFF);
    regs_.add("MCR", MCR, 0, Access::rw, 0x1F);
    regs_.add("LSR", LSR, LSR_THRE | LSR_TEMT, Access::ro).on_read([this](bool) -> std::uint32_t {
        return LSR_THRE | LSR_TEMT | (rx_.empty() ? 0 : LSR_DR);
    });
    regs_.add("MSR", MSR, 0, Access::ro);
    regs_.add("SCR", SCR, 0, Access::rw, 0xFF);
}

sc_core::sc_time Uart::char_time() const {
    const std::uint64_t divisor = std::max<std::uint64_t>(1, dll_ | dlm_ << 8);
    const double baud = static_cast<double>(clock_hz_) / (16.0 * static_cast<double>(divisor));
    return sc_core::sc_time(10.0 / baud, sc_core::SC_SEC);
}

void Uart::transmit(std::uint8_t byte) {
    // The write returns at once; the character time is charged to the writer so that a driver
    // that polls LSR sees a realistic throughput.
    for (auto& l : tx_listeners_) l(static_cast<char>(byte));
    transcript_.push_back(static_cast<char>(byte));
    if (byte == '\n') {
        device_.emit(ev::uart_line, {{"uart", name()}, {"text", line_}});
        line_.clear();
    } else if (byte != '\r') {
        line_.push_back(static_cast<char>(byte));
    }
    charge_access(char_time());
}

void Uart::receive(std::string_view bytes) {
    rx_.insert(rx_.end(), bytes.begin(), bytes.end());
    update_irq();
}

void Uart::update_irq() {
    if (!irq_) return;
    const auto ier = regs_["IER"].value();
    irq_->set(((ier & IER_ERBFI) && !rx_.empty()) || (ier & IER_ETBEI));
}

}  // namespace svp

#include "models/cpu/armv7m/mps2/cmsdk_uart.h"

#include "common/util/log.h"

namespace svp {

namespace {
// Register map and fields (CMSDK TRM table 4-11).
constexpr std::uint32_t kData = 0x000, kState = 0x004, kCtrl = 0x008, kIntStatus = 0x00C, kBaudDiv = 0x010;
constexpr std::uint32_t kCtrlTxEn = 1u << 0, kCtrlTxIntEn = 1u << 2, kCtrlRxIntEn = 1u << 3;
constexpr std::uint32_t kIntTx = 1u << 0, kIntRx = 1u << 1;
}  // namespace

CmsdkUart::CmsdkUart(sc_core::sc_module_name name, DeviceContext& device, std::function<void(char)> out)
    : Peripheral(name, device, sc_core::SC_ZERO_TIME),
      tx_irq("tx_irq"), rx_irq("rx_irq"),
      out_(std::move(out)) {
    auto& r = regs_;
    r.add("DATA", kData, 0, Access::rw, 0xFF).on_write([this](std::uint32_t, std::uint32_t v) {
        if (!(regs_["CTRL"].value() & kCtrlTxEn)) {
            log::get("guest")->warn("guest error: {}: write to DATA while the transmitter is disabled", this->name());
            return;
        }
        out_(static_cast<char>(v & 0xFF));
        int_status_ |= kIntTx;  // the character left at once
        update_irqs();
    }).on_read([](bool) { return 0u; });  // nothing is ever received
    r.add("STATE", kState, 0, Access::rw, 0xC).on_read([](bool) { return 0u; });  // never full
    r.add("CTRL", kCtrl, 0, Access::rw, 0x7F).on_write([this](std::uint32_t, std::uint32_t) { update_irqs(); });
    r.add("INTSTATUS", kIntStatus, 0, Access::rw, 0xF)
        .on_read([this](bool) { return int_status_; })
        .on_write([this](std::uint32_t, std::uint32_t v) {  // INTCLEAR: write one to clear
            int_status_ &= ~v;
            regs_["INTSTATUS"].set(0);
            update_irqs();
        });
    r.add("BAUDDIV", kBaudDiv, 0, Access::rw, 0xFFFFF);
    // Peripheral and component identification (CMSDK TRM table 4-11).
    const std::uint32_t ids[12] = {0x04, 0, 0, 0, 0x21, 0xB8, 0x1B, 0, 0x0D, 0xF0, 0x05, 0xB1};
    const char* names[12] = {"PID4", "PID5", "PID6", "PID7", "PID0", "PID1", "PID2", "PID3", "CID0", "CID1", "CID2", "CID3"};
    for (unsigned i = 0; i < 12; ++i) r.add(names[i], 0xFD0 + 4 * i, ids[i], Access::ro);
}

void CmsdkUart::update_irqs() {
    const std::uint32_t ctrl = regs_["CTRL"].value();
    tx_irq.set((int_status_ & kIntTx) && (ctrl & kCtrlTxIntEn));
    rx_irq.set((int_status_ & kIntRx) && (ctrl & kCtrlRxIntEn));
}

}  // namespace svp

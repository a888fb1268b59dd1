// The Arm CMSDK APB UART (Cortex-M System Design Kit TRM, ARM DDI 0479C, 4.3), as QEMU's
// mps2-an386 places it at 0x40004000. Transmit only reaches the host: characters written to
// DATA while TXEN is set go to the output sink at once (the baud rate is not modelled), and
// the TX interrupt is raised when TXINTEN is set, as if the shift register emptied at once.
#pragma once

#include <functional>
#include <string_view>

#include "models/base/irq.h"
#include "models/base/peripheral.h"

namespace svp {

class CmsdkUart : public Peripheral {
public:
    CmsdkUart(sc_core::sc_module_name name, DeviceContext& device, std::function<void(char)> out);

    IrqLine tx_irq;
    IrqLine rx_irq;

private:
    void update_irqs();
    std::function<void(char)> out_;
    std::uint32_t int_status_ = 0;
};

}  // namespace svp

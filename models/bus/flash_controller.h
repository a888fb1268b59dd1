// The serial-flash controller: how software erases and programs the NOR flash (the flash
// window itself is read-only, execute-in-place). A command runs for the flash's own erase or
// program time, with BUSY set; then DONE (or ERR) raises the interrupt. A power cut injected
// into the flash (NorFlash::schedule_power_cut) ends the command with POWER_LOST.
//
// MT3620: the flash controller belongs to the security subsystem and its registers are not
// public; this layout is assumed:
//   0x000 FC_CMD      WO   1 ERASE_SECTOR (the sector holding FC_ADDR), 2 PROGRAM (FC_LEN bytes
//                          of FC_BUF to FC_ADDR; must not cross a 256-byte page)
//   0x004 FC_ADDR     RW   offset in flash
//   0x008 FC_LEN      RW   1..256
//   0x00C FC_STATUS   RO   bit 0 BUSY, bit 1 ERR (bad address/length), bit 2 POWER_LOST
//   0x010 FC_INT_STS  W1C  bit 0 DONE, bit 1 ERR
//   0x014 FC_INT_EN   RW
//   0x018 FC_OPS      RO   erase/program operations the flash has done since power-on
//   0x100..0x1FC FC_BUF RW the 256-byte page buffer (not writable while BUSY)
#pragma once

#include <array>

#include "models/base/irq.h"
#include "models/base/peripheral.h"
#include "models/bus/nor_flash.h"

namespace svp {

class FlashController : public Peripheral {
public:
    static constexpr std::uint32_t FC_CMD = 0x000, FC_ADDR = 0x004, FC_LEN = 0x008, FC_STATUS = 0x00C,
                                   FC_INT_STS = 0x010, FC_INT_EN = 0x014, FC_OPS = 0x018, FC_BUF = 0x100;
    static constexpr std::uint32_t CMD_ERASE_SECTOR = 1, CMD_PROGRAM = 2;
    static constexpr std::uint32_t STATUS_BUSY = 1u << 0, STATUS_ERR = 1u << 1, STATUS_POWER_LOST = 1u << 2;
    static constexpr std::uint32_t INT_DONE = 1u << 0, INT_ERR = 1u << 1;
    static constexpr std::uint32_t kPageSize = 256;

    FlashController(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, NorFlash& flash,
                    IrqLine* irq);

    std::uint64_t commands_done() const { return done_; }
    void reset();

private:
    void run();
    bool validate(std::uint32_t cmd);
    void finish(std::uint32_t status_bits, std::uint32_t int_bits);
    void update_irq();

    NorFlash& flash_;
    IrqLine* irq_;
    std::array<std::uint8_t, kPageSize> buffer_{};
    sc_core::sc_event start_;
    std::uint32_t pending_ = 0;
    std::uint64_t done_ = 0;
};

}  // namespace svp

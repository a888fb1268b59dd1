// One-time-programmable e-fuses as a bus peripheral (MT3620: `CA7_EFUSE_BASE 0x300E0000`,
// reference §1.3/§1.7; "three one-time-programmable memories for storing crypto keys and other
// security essentials", Linley). A fuse bit can only ever be set. The array is cut into named
// rows (from the variant file); a row can be locked against further programming; rows marked
// secret (the device secret, key material) are readable only by the secure world, and by no
// one at all once software latches them (the DICE "UDS lock") until the next reset.
//
// It is designed so the security subsystem can back its EFuses with it: host-side program(),
// word(), lock_row() and latch() are the same operations the registers perform.
//
// The controller's register layout is not public; this one is assumed:
//   0x000 OTP_ID       RO   [15:0] fuse words, [23:16] rows
//   0x004 OTP_CTRL     WO   1 PROGRAM (OR OTP_WDATA into word OTP_ADDR), 2 LOCK_ROW (the row
//                           holding OTP_ADDR), 4 LATCH (secret rows unreadable until reset)
//   0x008 OTP_ADDR     RW   word index
//   0x00C OTP_WDATA    RW   bits to set
//   0x010 OTP_STATUS   RO   bit 0 BUSY, 1 ERR_LOCKED, 2 ERR_RANGE, 3 LATCHED
//   0x014 OTP_INT_STS  W1C  bit 0 DONE, bit 1 ERROR
//   0x018 OTP_INT_EN   RW
//   0x01C OTP_ROW_LOCK RO   bit n: row n is locked
//   0x400 + 4i OTP_DATA[i] RO fuse word i
// Programming a word takes `program_time` (variant: otp program_us_per_word, assumed), during
// which BUSY is set; DONE (or ERROR) then raises the interrupt.
#pragma once

#include <string>
#include <vector>

#include "models/base/irq.h"
#include "models/base/peripheral.h"

namespace svp {

struct OtpRow {
    std::string name;
    std::uint32_t words = 0;
    bool secret = false;
    std::uint32_t first_word = 0;  // filled in by the block
};

class OtpFuses : public Peripheral {
public:
    static constexpr std::uint32_t OTP_ID = 0x000, OTP_CTRL = 0x004, OTP_ADDR = 0x008, OTP_WDATA = 0x00C,
                                   OTP_STATUS = 0x010, OTP_INT_STS = 0x014, OTP_INT_EN = 0x018,
                                   OTP_ROW_LOCK = 0x01C, OTP_DATA = 0x400;
    static constexpr std::uint32_t CTRL_PROGRAM = 1, CTRL_LOCK_ROW = 2, CTRL_LATCH = 4;
    static constexpr std::uint32_t STATUS_BUSY = 1u << 0, STATUS_ERR_LOCKED = 1u << 1, STATUS_ERR_RANGE = 1u << 2,
                                   STATUS_LATCHED = 1u << 3;
    static constexpr std::uint32_t INT_DONE = 1u << 0, INT_ERROR = 1u << 1;
    static constexpr std::size_t kMaxRows = 32;     // OTP_ROW_LOCK is one register
    static constexpr std::size_t kMaxWords = 768;   // OTP_DATA fits the 4 KiB window

    OtpFuses(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, std::vector<OtpRow> rows,
             sc_core::sc_time program_time, IrqLine* irq);

    // ---- host side (factory provisioning, the security subsystem's model code, tests) ----
    // OR-s `bits` into word `index`; false when the word's row is locked or out of range.
    bool program(std::size_t index, std::uint32_t bits);
    // Programs a row from its first word, little-endian; false as above or when too long.
    bool program_row(const std::string& row, ByteView bytes);
    std::uint32_t word(std::size_t index) const { return fuses_.at(index); }
    Bytes read_row(const std::string& row) const;  // raw, no access rules (model side)
    void lock_row(const std::string& row);
    bool row_locked(const std::string& row) const;
    void latch();
    bool latched() const { return latched_; }
    const OtpRow& row(const std::string& name) const;
    const std::vector<OtpRow>& rows() const { return rows_; }
    // A device reset: latches and the controller reset; fuses and row locks are permanent.
    void reset();

private:
    void run();
    void execute(std::uint32_t command);
    std::size_t row_index_of(std::size_t word) const;
    void finish(bool error);
    void update_irq();

    std::vector<OtpRow> rows_;
    std::vector<std::uint32_t> fuses_;
    std::uint32_t row_locks_ = 0;
    bool latched_ = false;
    sc_core::sc_time program_time_;
    IrqLine* irq_;
    sc_core::sc_event start_;
    std::uint32_t pending_ = 0;
};

}  // namespace svp

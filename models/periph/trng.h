// A true random number generator as the security core sees it. On the MT3620 the TRNG sits
// inside Pluton and the A7 reaches it only through the mailbox (READ_RNG, 4 bytes per call;
// reference §1.7); the bus-visible block and its layout are assumed, private to the security
// core in the variant. Its words come from the device's one seeded generator (rule 2), so a
// run repeats exactly; each word takes `cycles_per_word` of its clock (the variant's crypto
// costs: trng_cycles_per_word).
//   0x00 TRNG_CTRL     RW  bit 0 EN
//   0x04 TRNG_STATUS   RO  bit 0 READY
//   0x08 TRNG_DATA     RO  the word; reading it takes it, and the next is READY later
//   0x0C TRNG_INT_EN   RW  bit 0 READY
//   0x10 TRNG_INT_STS  W1C bit 0 READY
#pragma once

#include "models/base/irq.h"
#include "models/base/peripheral.h"

namespace svp {

class Trng : public Peripheral {
public:
    static constexpr std::uint32_t TRNG_CTRL = 0x00, TRNG_STATUS = 0x04, TRNG_DATA = 0x08, TRNG_INT_EN = 0x0C,
                                   TRNG_INT_STS = 0x10;
    static constexpr std::uint32_t CTRL_EN = 1, STATUS_READY = 1, INT_READY = 1;

    Trng(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, sc_core::sc_time word_time,
         IrqLine* irq);

    std::uint64_t words_delivered() const { return delivered_; }

private:
    void generate();
    void update_irq();

    sc_core::sc_time word_time_;
    IrqLine* irq_;
    sc_core::sc_event ready_;
    std::uint32_t word_ = 0;
    bool ready_now_ = false;
    std::uint64_t delivered_ = 0;
};

}  // namespace svp

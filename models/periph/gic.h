// The app core's interrupt controller: a GICv2 subset for one CPU (MT3620: "arm,cortex-a7-gic",
// distributor at 0x00101000, CPU interface at 0x00102000; DTSI). Peripheral lines enter as
// shared peripheral interrupts, IRQ id = 32 + SPI number (the DTSI's numbers; which line is
// which id is the variant's interrupt wiring). The output is the core's IRQ line.
//
// Registers (ARM IHI 0048B, GICv2 architecture specification), the subset a single-core OS uses:
//   distributor
//     0x000 GICD_CTLR  bit 0 enable forwarding      0x004 GICD_TYPER  [4:0] ITLinesNumber (RO)
//     0x008 GICD_IIDR  (RO)
//     0x100 GICD_ISENABLERn / 0x180 GICD_ICENABLERn  write 1 to set / clear enables, read enables
//     0x200 GICD_ISPENDRn   / 0x280 GICD_ICPENDRn    set / clear pending (software)
//     0x300 GICD_ISACTIVERn / 0x380 GICD_ICACTIVERn  read active
//     0x400 GICD_IPRIORITYRn  one byte per interrupt (lower is more urgent)
//     0x800 GICD_ITARGETSRn   RO 0x01 per byte (one CPU)
//     0xC00 GICD_ICFGRn       bit 2k+1: interrupt k is edge-triggered (else level)
//   CPU interface
//     0x00 GICC_CTLR  bit 0 enable        0x04 GICC_PMR  priority mask   0x08 GICC_BPR
//     0x0C GICC_IAR   read: acknowledge the highest pending interrupt (1023: none)
//     0x10 GICC_EOIR  write: end of interrupt   0x14 GICC_RPR running priority   0x18 GICC_HPPIR
// Not modelled: SGIs/PPIs (ids 0..31 exist but nothing drives them), groups and security
// extensions, priority grouping (BPR is stored), multiple CPUs.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "models/base/irq.h"
#include "models/base/peripheral.h"

namespace svp {

class Gic : public sc_core::sc_module {
public:
    static constexpr std::uint32_t GICD_CTLR = 0x000, GICD_TYPER = 0x004, GICD_IIDR = 0x008, GICD_ISENABLER = 0x100,
                                   GICD_ICENABLER = 0x180, GICD_ISPENDR = 0x200, GICD_ICPENDR = 0x280,
                                   GICD_ISACTIVER = 0x300, GICD_ICACTIVER = 0x380, GICD_IPRIORITYR = 0x400,
                                   GICD_ITARGETSR = 0x800, GICD_ICFGR = 0xC00;
    static constexpr std::uint32_t GICC_CTLR = 0x00, GICC_PMR = 0x04, GICC_BPR = 0x08, GICC_IAR = 0x0C,
                                   GICC_EOIR = 0x10, GICC_RPR = 0x14, GICC_HPPIR = 0x18;
    static constexpr std::uint32_t kSpurious = 1023, kFirstSpi = 32;

    // `lines`: interrupt ids 0..lines-1 (a multiple of 32, at most 1020). `output`: the core's IRQ.
    Gic(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency, unsigned lines, IrqLine* output);

    // Wires a peripheral's line to interrupt `id` (>= 32). Call before the simulation starts.
    void connect(unsigned id, IrqLine& line, bool edge = false);

    Peripheral& distributor() { return *dist_; }
    Peripheral& cpu_interface() { return *cpu_; }
    bool pending(unsigned id) const;
    bool active(unsigned id) const { return irqs_.at(id).active; }

private:
    struct Irq {
        bool enabled = false, latched = false, active = false, level = false, edge = false;
        std::uint8_t priority = 0;
    };
    void line_changed(unsigned id, bool level);
    unsigned highest_pending() const;  // kSpurious when none can be signalled
    std::uint8_t running_priority() const;
    std::uint32_t acknowledge(bool debug);
    void end_of_interrupt(std::uint32_t id);
    // A bank of one bit per interrupt at `offset` (32 per register).
    void add_bit_bank(const char* name, std::uint32_t offset, std::function<std::uint32_t(unsigned)> read,
                      std::function<void(unsigned, std::uint32_t)> write, Access access = Access::rw);
    void update();

    unsigned lines_;
    IrqLine* output_;
    std::vector<Irq> irqs_;
    std::vector<unsigned> active_stack_;  // nested acknowledges, most recent last
    std::unique_ptr<Peripheral> dist_, cpu_;
    std::map<unsigned, IrqLine*> inputs_;
};

}  // namespace svp

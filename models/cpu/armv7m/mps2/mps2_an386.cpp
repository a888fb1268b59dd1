#include "models/cpu/armv7m/mps2/mps2_an386.h"

#include <fmt/format.h>

#include "common/util/input_error.h"

namespace svp {

Mps2An386::Mps2An386(DeviceContext& device, Options options) : device_(device), options_(std::move(options)) {
    using sc_core::SC_ZERO_TIME;
    bus_ = std::make_unique<Router>("bus", device_, SC_ZERO_TIME);
    // Zero wait states: the FPGA SSRAMs answer in one cycle (AN386 application note).
    ssram1_ = std::make_unique<Memory>("ssram1", device_, 4u << 20, SC_ZERO_TIME, SC_ZERO_TIME);
    ssram23_ = std::make_unique<Memory>("ssram23", device_, 4u << 20, SC_ZERO_TIME, SC_ZERO_TIME);
    psram_ = std::make_unique<Memory>("psram", device_, 16u << 20, SC_ZERO_TIME, SC_ZERO_TIME);
    auto out = options_.output;
    uart0_ = std::make_unique<CmsdkUart>("uart0", device_, [out](char c) { out(1, std::string_view(&c, 1)); });

    armv7m::CoreConfig cfg;
    cfg.name = "cpu";
    cfg.num_irq = 32;         // QEMU mps2-an386: 32 external interrupts
    cfg.priority_bits = 8;    // QEMU's NVIC implements all 8 priority bits
    cfg.bitband = true;       // the AN386 Cortex-M4 has bit-banding
    cfg.clock_hz = 25'000'000;
    cfg.systick_ref_hz = 1'000'000;  // the board's 1 MHz SysTick reference
    cpu_ = std::make_unique<CortexM4Module>("cpu", cfg, BusInitiator(0, "cpu", World::secure, Privilege::privileged),
                                            options_.quantum);
    cpu_->core().set_console(options_.output);
    cpu_->attach_events(device_);
    cpu_->bus.bind(bus_->from_initiators);

    auto attach = [&](const char* name, std::uint64_t base, std::uint64_t size, tlm::tlm_target_socket<>& socket, bool dmi) {
        BusRegion r;
        r.name = name;
        r.base = base;
        r.size = size;
        r.target = bus_->attach(socket);
        r.dmi_allowed = dmi;
        bus_->map(r);
    };
    attach("ssram1", 0x00000000, 4u << 20, ssram1_->socket, true);
    attach("ssram23", 0x20000000, 4u << 20, ssram23_->socket, true);
    attach("psram", 0x60000000, 16u << 20, psram_->socket, true);
    attach("uart0", 0x40004000, 0x1000, uart0_->socket, false);
    cpu_->connect_irq(0, uart0_->rx_irq);
    cpu_->connect_irq(1, uart0_->tx_irq);
}

const armv7m::ElfImage& Mps2An386::load(const std::filesystem::path& elf) {
    image_ = armv7m::read_elf(elf);
    // Loaded host-side, like QEMU's -kernel: bus transactions are not possible before the
    // simulation is elaborated. The core reads its vector table when its thread starts.
    struct Target { std::uint32_t base; Memory* mem; };
    const Target targets[] = {{0x00000000, ssram1_.get()}, {0x20000000, ssram23_.get()}, {0x60000000, psram_.get()}};
    for (const auto& seg : image_.segments) {
        Bytes bytes = seg.data;
        bytes.resize(seg.memsz, 0);
        bool placed = false;
        for (const auto& t : targets) {
            if (seg.paddr >= t.base && std::uint64_t{seg.paddr} + bytes.size() <= t.base + t.mem->size()) {
                t.mem->load(seg.paddr - t.base, bytes);
                placed = true;
            }
        }
        if (!placed)
            throw InputError(elf.string(), 0,
                             fmt::format("segment at 0x{:08x} ({} bytes) does not fit the mps2-an386 memory map "
                                         "(code at 0x00000000, RAM at 0x20000000, 4 MiB each; PSRAM at 0x60000000)",
                                         seg.paddr, seg.memsz));
    }
    return image_;
}

}  // namespace svp

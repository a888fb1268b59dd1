#include "models/periph/spi_master.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "common/util/log.h"

namespace svp {
namespace {

std::uint8_t reverse_bits(std::uint8_t b) {
    b = static_cast<std::uint8_t>((b & 0xF0) >> 4 | (b & 0x0F) << 4);
    b = static_cast<std::uint8_t>((b & 0xCC) >> 2 | (b & 0x33) << 2);
    return static_cast<std::uint8_t>((b & 0xAA) >> 1 | (b & 0x55) << 1);
}

}  // namespace

SpiMaster::SpiMaster(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency,
                     std::uint64_t hclk_hz, SpiBus& bus, IrqLine* irq)
    : Peripheral(name, device, latency), hclk_hz_(hclk_hz), bus_(bus), irq_(irq) {
    regs_.add("STCSR", STCSR, 0, Access::rw, 0xFF1801FFu).on_read([this](bool) -> std::uint32_t {
        return regs_["STCSR"].value() | (busy_ ? SPI_MASTER_BUSY : 0);
    }).on_write([this](std::uint32_t, std::uint32_t v) {
        regs_["STCSR"].clear_bits(SPI_MASTER_START);  // self-clearing
        if (v & SPI_MASTER_START) start_frame();
    });
    regs_.add("SOAR", SOAR);
    for (unsigned i = 0; i < 8; ++i) sdor_[i] = &regs_.add(fmt::format("SDOR{}", i), SDOR0 + 4 * i);
    regs_.add("SMMR", SMMR, 0, Access::rw, 0xFFFF063Cu).on_write([this](std::uint32_t, std::uint32_t) { update_irq(); });
    regs_.add("SMBCR", SMBCR, 0, Access::rw, 0x3F1FF1FFu);
    regs_.add("SCSR", SCSR, 0, Access::ro).on_read([this](bool debug) -> std::uint32_t {
        const std::uint32_t v = regs_["SCSR"].value();
        if (!debug && irq_pending_) {  // reading the status acknowledges the interrupt (Codethink SPIMaster_IRQ)
            irq_pending_ = false;
            update_irq();
        }
        return v;
    });
    regs_.add("CSPOL", CSPOL, 0, Access::rw, 0xFF1FFu);
    regs_.add("DATAPORT", DATAPORT, 0, Access::wo).on_write([this](std::uint32_t, std::uint32_t) {
        log::get("unimp")->warn("{}: unimplemented: DMA configuration through DATAPORT; program the registers", this->name());
    });
    for (unsigned i = 0; i < 8; ++i) sdir_[i] = &regs_.add(fmt::format("SDIR{}", i), SDIR0 + 4 * i, 0, Access::ro);

    sc_core::sc_spawn(
        [this] {
            for (;;) {
                while (!busy_) sc_core::wait(start_);
                run_frame();
            }
        },
        sc_core::sc_gen_unique_name((std::string(basename()) + "_wire").c_str()));
}

void SpiMaster::reset() {
    Peripheral::reset();
    ++generation_;
    busy_ = irq_pending_ = false;
    update_irq();
}

sc_core::sc_time SpiMaster::sck_period() {
    const std::uint64_t div = ((regs_["SMMR"].value() >> RS_CLK_SEL_SHIFT) & 0xFFF) + 2;
    return sc_core::sc_time(static_cast<double>(div * 1'000'000'000'000ull / hclk_hz_), sc_core::SC_PS);
}

void SpiMaster::start_frame() {
    if (busy_) {
        regs_.report_guest_error("SPI_MASTER_START while a frame is on the wire; ignored");
        return;
    }
    const std::uint32_t bc = regs_["SMBCR"].value();
    const unsigned mosi = bc & 0x1FF, miso = (bc >> 12) & 0x1FF, cmd = (bc >> 24) & 0x3F;
    if (mosi % 8 || miso % 8 || cmd % 8) {
        regs_.report_guest_error(fmt::format("SMBCR bit counts mosi {} miso {} cmd {} are not whole bytes; frame not started",
                                             mosi, miso, cmd));
        return;
    }
    const bool duplex = regs_["SMMR"].value() & BOTH_DIRECTIONAL;
    const unsigned limit = duplex ? kFullDuplexBytes : kHalfDuplexBytes;
    if (mosi / 8 > limit || miso / 8 > limit || cmd > 32 || (!duplex && (mosi + miso) / 8 > kHalfDuplexBytes)) {
        regs_.report_guest_error(fmt::format("SMBCR asks for more than the {}-byte buffer; frame not started", limit));
        return;
    }
    busy_ = true;
    regs_["SCSR"].set(0);
    start_.notify(sc_core::SC_ZERO_TIME);
}

void SpiMaster::run_frame() {
    const std::uint64_t gen = generation_;
    const sc_core::sc_time sck = sck_period();
    const std::uint32_t smmr = regs_["SMMR"].value(), bc = regs_["SMBCR"].value(), soar = regs_["SOAR"].value();
    const unsigned mosi = (bc & 0x1FF) / 8, miso = ((bc >> 12) & 0x1FF) / 8, cmd = ((bc >> 24) & 0x3F) / 8;
    const bool duplex = smmr & BOTH_DIRECTIONAL, lsb_first = smmr & LSB_FIRST;
    const unsigned cs = smmr >> RS_SLAVE_SEL_SHIFT;
    SpiTarget* target = cs == kNoChipSelect ? nullptr : bus_.find(cs);

    std::array<std::uint8_t, 32> out{}, in{};
    in.fill(0xFF);  // nothing driving MISO reads as the pull-up's 1s (assumed)
    for (unsigned i = 0; i < 32; ++i) out[i] = static_cast<std::uint8_t>(sdor_[i / 4]->value() >> (8 * (i % 4)));
    const auto wire = [&](std::uint8_t b) { return lsb_first ? reverse_bits(b) : b; };
    const auto exchange = [&](std::uint8_t b) -> std::optional<std::uint8_t> {
        sc_core::wait(sck * 8.0);
        if (gen != generation_) return std::nullopt;
        return target ? wire(target->exchange(wire(b))) : std::uint8_t{0xFF};
    };

    sc_core::wait(sck);  // chip-select set-up
    if (gen != generation_) return;
    if (target) target->select(true);
    unsigned bytes = 0;
    for (unsigned k = 0; k < cmd; ++k, ++bytes)
        if (!exchange(static_cast<std::uint8_t>(soar >> (8 * (cmd - 1 - k))))) return;
    if (duplex) {
        for (unsigned i = 0; i < std::max(mosi, miso); ++i, ++bytes) {
            const auto r = exchange(out[i]);
            if (!r) return;
            in[i] = *r;
        }
    } else {
        for (unsigned i = 0; i < mosi; ++i, ++bytes)
            if (!exchange(out[i])) return;
        for (unsigned i = 0; i < miso; ++i, ++bytes) {
            const auto r = exchange(0xFF);
            if (!r) return;
            in[i] = *r;
        }
    }
    sc_core::wait(sck);  // chip-select hold
    if (gen != generation_) return;
    if (target) target->select(false);

    for (unsigned w = 0; w < 8; ++w)
        sdir_[w]->set(static_cast<std::uint32_t>(in[4 * w]) | in[4 * w + 1] << 8 | in[4 * w + 2] << 16 |
                      static_cast<std::uint32_t>(in[4 * w + 3]) << 24);
    busy_ = false;
    regs_["SCSR"].set(SPI_OK | (mosi || cmd ? SPI_WRITE_OK : 0) | (miso ? SPI_READ_OK : 0));
    irq_pending_ = true;
    update_irq();
    device_.emit(ev::spi_transfer, {{"spi", name()},
                                    {"cs", cs},
                                    {"bytes", bytes},
                                    {"result", target ? "ok" : "no-target"}});
}

void SpiMaster::update_irq() {
    if (irq_) irq_->set(irq_pending_ && (regs_["SMMR"].value() & INT_EN));
}

}  // namespace svp

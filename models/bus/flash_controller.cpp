#include "models/bus/flash_controller.h"

#include <cstring>

#include <fmt/format.h>

namespace svp {

FlashController::FlashController(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency,
                                 NorFlash& flash, IrqLine* irq)
    : Peripheral(name, device, latency), flash_(flash), irq_(irq) {
    auto idle = [this] { return !(regs_["FC_STATUS"].value() & STATUS_BUSY); };
    regs_.add("FC_CMD", FC_CMD, 0, Access::wo, 0x3)
        .writable_if(idle, "a command is in progress")
        .on_write([this](std::uint32_t, std::uint32_t v) {
            regs_["FC_CMD"].set(0);
            auto& status = regs_["FC_STATUS"];
            status.clear_bits(STATUS_ERR);
            if (!flash_.powered()) {
                status.set_bits(STATUS_POWER_LOST);
                regs_.report_guest_error("FC_CMD while the flash has no power");
                return finish(0, INT_ERR);
            }
            if (!validate(v)) return finish(STATUS_ERR, INT_ERR);
            pending_ = v;
            status.set_bits(STATUS_BUSY);
            start_.notify(sc_core::SC_ZERO_TIME);
        });
    regs_.add("FC_ADDR", FC_ADDR).writable_if(idle, "a command is in progress");
    regs_.add("FC_LEN", FC_LEN, 0, Access::rw, 0x1FF).writable_if(idle, "a command is in progress");
    regs_.add("FC_STATUS", FC_STATUS, 0, Access::ro);
    regs_.add("FC_INT_STS", FC_INT_STS, 0, Access::w1c, INT_DONE | INT_ERR).on_write([this](std::uint32_t, std::uint32_t) {
        update_irq();
    });
    regs_.add("FC_INT_EN", FC_INT_EN, 0, Access::rw, INT_DONE | INT_ERR).on_write([this](std::uint32_t, std::uint32_t) {
        update_irq();
    });
    regs_.add("FC_OPS", FC_OPS, 0, Access::ro).on_read([this](bool) { return static_cast<std::uint32_t>(flash_.operations()); });
    for (std::uint32_t i = 0; i < kPageSize; i += 4) {
        regs_.add(fmt::format("FC_BUF{}", i / 4), FC_BUF + i)
            .writable_if(idle, "a command is in progress")
            .on_read([this, i](bool) {
                std::uint32_t v;
                std::memcpy(&v, buffer_.data() + i, 4);
                return v;
            })
            .on_write([this, i](std::uint32_t, std::uint32_t v) { std::memcpy(buffer_.data() + i, &v, 4); });
    }
    SC_HAS_PROCESS(FlashController);
    SC_THREAD(run);
}

bool FlashController::validate(std::uint32_t cmd) {
    const std::uint64_t addr = regs_["FC_ADDR"].value();
    const std::uint32_t len = regs_["FC_LEN"].value();
    if (cmd != CMD_ERASE_SECTOR && cmd != CMD_PROGRAM) {
        regs_.report_guest_error(fmt::format("FC_CMD {} is not a command", cmd));
        return false;
    }
    if (addr >= flash_.size()) {
        regs_.report_guest_error(fmt::format("FC_ADDR 0x{:x} is past the end of the flash (0x{:x})", addr, flash_.size()));
        return false;
    }
    if (cmd == CMD_PROGRAM && (len == 0 || len > kPageSize || (addr % kPageSize) + len > kPageSize)) {
        regs_.report_guest_error(fmt::format("PROGRAM of {} bytes at 0x{:x} crosses a {}-byte page or is empty", len, addr, kPageSize));
        return false;
    }
    return true;
}

void FlashController::run() {
    for (;;) {
        wait(start_);
        const std::uint64_t addr = regs_["FC_ADDR"].value();
        const std::uint32_t len = regs_["FC_LEN"].value();
        const bool erase = pending_ == CMD_ERASE_SECTOR;
        // The cells change while the command runs; the result is there when BUSY drops.
        wait(erase ? flash_.erase_time() : flash_.program_time(len));
        try {
            if (erase)
                flash_.erase_sector(addr);
            else
                flash_.program(addr, ByteView(buffer_.data(), len));
        } catch (const FlashPowerLost&) {
            finish(STATUS_POWER_LOST, INT_ERR);
            continue;
        }
        ++done_;
        finish(flash_.powered() ? 0 : STATUS_POWER_LOST, flash_.powered() ? INT_DONE : INT_ERR);
    }
}

void FlashController::finish(std::uint32_t status_bits, std::uint32_t int_bits) {
    auto& status = regs_["FC_STATUS"];
    status.clear_bits(STATUS_BUSY);
    status.set_bits(status_bits);
    regs_["FC_INT_STS"].set_bits(int_bits);
    update_irq();
}

void FlashController::update_irq() {
    if (irq_) irq_->set((regs_["FC_INT_STS"].value() & regs_["FC_INT_EN"].value()) != 0);
}

void FlashController::reset() {
    regs_.reset();
    buffer_.fill(0);
    update_irq();
}

}  // namespace svp

#include "models/bus/otp.h"

#include <stdexcept>

#include <fmt/format.h>

namespace svp {

OtpFuses::OtpFuses(sc_core::sc_module_name name, DeviceContext& device, sc_core::sc_time latency,
                   std::vector<OtpRow> rows, sc_core::sc_time program_time, IrqLine* irq)
    : Peripheral(name, device, latency), rows_(std::move(rows)), program_time_(program_time), irq_(irq) {
    std::uint32_t next = 0;
    for (auto& r : rows_) {
        r.first_word = next;
        next += r.words;
    }
    if (rows_.size() > kMaxRows || next > kMaxWords)
        throw std::invalid_argument(fmt::format("{}: {} rows of {} words; at most {} rows and {} words", this->name(),
                                                rows_.size(), next, kMaxRows, kMaxWords));
    fuses_.assign(next, 0);

    auto idle = [this] { return !(regs_["OTP_STATUS"].value() & STATUS_BUSY); };
    regs_.add("OTP_ID", OTP_ID, next | static_cast<std::uint32_t>(rows_.size()) << 16, Access::ro);
    regs_.add("OTP_CTRL", OTP_CTRL, 0, Access::wo, CTRL_PROGRAM | CTRL_LOCK_ROW | CTRL_LATCH)
        .writable_if(idle, "the fuse controller is busy")
        .on_write([this](std::uint32_t, std::uint32_t v) {
            regs_["OTP_CTRL"].set(0);
            if (v == CTRL_LATCH) {  // immediate: no fuse is blown
                latch();
                return;
            }
            if (v != CTRL_PROGRAM && v != CTRL_LOCK_ROW) {
                regs_.report_guest_error(fmt::format("OTP_CTRL: 0x{:x} is not one command", v));
                return;
            }
            pending_ = v;
            regs_["OTP_STATUS"].set((regs_["OTP_STATUS"].value() & STATUS_LATCHED) | STATUS_BUSY);
            start_.notify(sc_core::SC_ZERO_TIME);
        });
    regs_.add("OTP_ADDR", OTP_ADDR, 0, Access::rw, 0xFFFF).writable_if(idle, "the fuse controller is busy");
    regs_.add("OTP_WDATA", OTP_WDATA).writable_if(idle, "the fuse controller is busy");
    regs_.add("OTP_STATUS", OTP_STATUS, 0, Access::ro);
    regs_.add("OTP_INT_STS", OTP_INT_STS, 0, Access::w1c, INT_DONE | INT_ERROR).on_write([this](std::uint32_t, std::uint32_t) {
        update_irq();
    });
    regs_.add("OTP_INT_EN", OTP_INT_EN, 0, Access::rw, INT_DONE | INT_ERROR).on_write([this](std::uint32_t, std::uint32_t) {
        update_irq();
    });
    regs_.add("OTP_ROW_LOCK", OTP_ROW_LOCK, 0, Access::ro).on_read([this](bool) { return row_locks_; });
    for (std::size_t ri = 0; ri < rows_.size(); ++ri) {
        const auto& r = rows_[ri];
        for (std::uint32_t i = 0; i < r.words; ++i) {
            const std::size_t w = r.first_word + i;
            auto& reg = regs_.add(fmt::format("OTP_DATA{}", w), OTP_DATA + static_cast<std::uint32_t>(4 * w), 0, Access::ro)
                            .on_read([this, w](bool) { return fuses_[w]; });
            if (!r.secret) continue;
            // Secret rows: the secure world only, and nobody once latched (debuggers included).
            reg.guard([this, ri, w](const tlm::tlm_generic_payload& tx, bool debug) -> std::string {
                const auto* who = initiator_of(tx);
                std::string why;
                if (latched_)
                    why = "latched until reset";
                else if (!who || who->world != World::secure)
                    why = "secret row, secure world only";
                if (!why.empty() && !debug)
                    device_.emit(ev::otp_access_denied, {{"initiator", std::string(initiator_name(tx))},
                                                         {"row", rows_[ri].name},
                                                         {"word", w},
                                                         {"reason", why}});
                return why;
            });
        }
    }
    SC_HAS_PROCESS(OtpFuses);
    SC_THREAD(run);
}

const OtpRow& OtpFuses::row(const std::string& name) const {
    for (const auto& r : rows_)
        if (r.name == name) return r;
    throw std::out_of_range(fmt::format("{}: no fuse row named '{}'", this->name(), name));
}

std::size_t OtpFuses::row_index_of(std::size_t word) const {
    for (std::size_t i = 0; i < rows_.size(); ++i)
        if (word >= rows_[i].first_word && word < rows_[i].first_word + rows_[i].words) return i;
    return rows_.size();
}

bool OtpFuses::program(std::size_t index, std::uint32_t bits) {
    const auto ri = row_index_of(index);
    if (ri == rows_.size() || ((row_locks_ >> ri) & 1)) return false;
    fuses_[index] |= bits;  // a fuse, once blown, stays blown
    return true;
}

bool OtpFuses::program_row(const std::string& name, ByteView bytes) {
    const auto& r = row(name);
    if (bytes.size() > r.words * 4u) return false;
    for (std::size_t i = 0; i < bytes.size(); ++i)
        if (!program(r.first_word + i / 4, static_cast<std::uint32_t>(bytes[i]) << (8 * (i % 4)))) return false;
    return true;
}

Bytes OtpFuses::read_row(const std::string& name) const {
    const auto& r = row(name);
    Bytes out;
    for (std::uint32_t i = 0; i < r.words; ++i)
        for (int b = 0; b < 4; ++b) out.push_back(static_cast<std::uint8_t>(fuses_[r.first_word + i] >> (8 * b)));
    return out;
}

void OtpFuses::lock_row(const std::string& name) {
    const auto& r = row(name);
    const auto ri = static_cast<std::size_t>(&r - rows_.data());
    if (!((row_locks_ >> ri) & 1)) device_.emit(ev::otp_row_locked, {{"row", name}});
    row_locks_ |= 1u << ri;
}

bool OtpFuses::row_locked(const std::string& name) const {
    const auto& r = row(name);
    return (row_locks_ >> (&r - rows_.data())) & 1;
}

void OtpFuses::latch() {
    if (!latched_) device_.emit(ev::otp_latched, {});
    latched_ = true;
    regs_["OTP_STATUS"].set_bits(STATUS_LATCHED);
}

void OtpFuses::reset() {
    latched_ = false;
    regs_.reset();
    update_irq();
}

void OtpFuses::run() {
    for (;;) {
        wait(start_);
        wait(program_time_);  // the fuse is blown (or the row-lock fuse is) over this time
        execute(pending_);
    }
}

void OtpFuses::execute(std::uint32_t command) {
    const std::size_t address = regs_["OTP_ADDR"].value();
    const auto ri = row_index_of(address);
    auto& status = regs_["OTP_STATUS"];
    status.clear_bits(STATUS_ERR_LOCKED | STATUS_ERR_RANGE);
    if (ri == rows_.size()) {
        status.set_bits(STATUS_ERR_RANGE);
        regs_.report_guest_error(fmt::format("OTP_ADDR {} is past the last fuse word ({})", address, fuses_.size()));
        return finish(true);
    }
    if (command == CTRL_LOCK_ROW) {
        lock_row(rows_[ri].name);
        return finish(false);
    }
    const auto bits = regs_["OTP_WDATA"].value();
    if (!program(address, bits)) {
        status.set_bits(STATUS_ERR_LOCKED);
        device_.emit(ev::otp_program_refused, {{"row", rows_[ri].name}, {"word", address}, {"reason", "row locked"}});
        return finish(true);
    }
    device_.emit(ev::otp_programmed, {{"row", rows_[ri].name}, {"word", address}});
    finish(false);
}

void OtpFuses::finish(bool error) {
    regs_["OTP_STATUS"].clear_bits(STATUS_BUSY);
    regs_["OTP_INT_STS"].set_bits(error ? INT_ERROR : INT_DONE);
    update_irq();
}

void OtpFuses::update_irq() {
    if (irq_) irq_->set((regs_["OTP_INT_STS"].value() & regs_["OTP_INT_EN"].value()) != 0);
}

}  // namespace svp

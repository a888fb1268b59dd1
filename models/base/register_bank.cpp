#include "models/base/register_bank.h"

#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "common/util/log.h"

namespace svp {

Register::Register(std::string name, std::uint32_t offset, std::uint32_t reset, Access access,
                   std::uint32_t write_mask)
    : name_(std::move(name)), offset_(offset), reset_(reset), access_(access),
      write_mask_(write_mask), value_(reset) {}

Register& RegisterBank::add(std::string name, std::uint32_t offset, std::uint32_t reset,
                            Access access, std::uint32_t write_mask) {
    if (offset % 4 != 0)
        throw std::logic_error(fmt::format("{}: register {} at misaligned offset 0x{:x}", device_, name, offset));
    auto [it, inserted] =
        by_offset_.emplace(offset, std::make_unique<Register>(name, offset, reset, access, write_mask));
    if (!inserted)
        throw std::logic_error(fmt::format("{}: register {} overlaps {} at 0x{:x}", device_, name,
                                           it->second->name(), offset));
    return *it->second;
}

Register* RegisterBank::find(std::uint32_t offset) {
    auto it = by_offset_.find(offset);
    return it == by_offset_.end() ? nullptr : it->second.get();
}

Register& RegisterBank::operator[](const std::string& name) {
    for (auto& [off, r] : by_offset_)
        if (r->name() == name) return *r;
    throw std::logic_error(device_ + ": no register named " + name);
}

std::vector<const Register*> RegisterBank::all() const {
    std::vector<const Register*> out;
    for (const auto& [off, r] : by_offset_) out.push_back(r.get());
    return out;
}

void RegisterBank::reset() {
    for (auto& [off, r] : by_offset_) r->reset();
}

void RegisterBank::guest_error(const tlm::tlm_generic_payload& tx, const std::string& what) {
    ++guest_errors_;
    static auto logger = log::get("guest");
    logger->warn("guest error: {} offset 0x{:x} ({} {} bytes by {}): {}", device_, tx.get_address(),
                 tx.is_read() ? "read" : "write", tx.get_data_length(), initiator_name(tx), what);
}

void RegisterBank::report_guest_error(const std::string& what) {
    ++guest_errors_;
    log::get("guest")->warn("guest error: {}: {}", device_, what);
}

void RegisterBank::access(tlm::tlm_generic_payload& tx, bool debug) {
    const auto addr = static_cast<std::uint32_t>(tx.get_address());
    const auto len = tx.get_data_length();
    const auto lane = addr & 3u;
    if ((len != 1 && len != 2 && len != 4) || lane + len > 4 || tx.get_byte_enable_ptr()) {
        guest_error(tx, "unsupported access size or alignment");
        tx.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
        return;
    }
    Register* reg = find(addr & ~3u);
    if (!reg) {
        guest_error(tx, "no register at this offset");
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    if (const auto* who = initiator_of(tx); who && !debug) {
        if ((reg->secure_only_ && who->world != World::secure) ||
            (reg->privileged_only_ && who->privilege != Privilege::privileged)) {
            guest_error(tx, "register " + reg->name() + " refuses this world or privilege");
            tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
            return;
        }
    }
    if (reg->guard_fn_) {
        if (auto why = reg->guard_fn_(tx, debug); !why.empty()) {
            if (!debug) guest_error(tx, "register " + reg->name() + " refused: " + why);
            tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
            return;
        }
    }
    const std::uint32_t lane_mask = (len == 4 ? 0xFFFFFFFFu : ((1u << (8 * len)) - 1)) << (8 * lane);
    if (tx.is_read()) {
        std::uint32_t v = 0;
        if (reg->access() == Access::wo) {
            if (!debug) guest_error(tx, "read of write-only register " + reg->name());
        } else {
            v = reg->read_fn_ ? reg->read_fn_(debug) : reg->value_;
        }
        v = (v & lane_mask) >> (8 * lane);
        std::memcpy(tx.get_data_ptr(), &v, len);  // host is little-endian like the bus
    } else if (tx.is_write()) {
        if (reg->access() == Access::ro) {
            guest_error(tx, "write to read-only register " + reg->name());
            tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
            return;
        }
        if (reg->writable_fn_ && !reg->writable_fn_()) {
            if (!debug) guest_error(tx, "register " + reg->name() + " is not writable now: " + reg->not_writable_why_);
            tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
            return;
        }
        std::uint32_t in = 0;
        std::memcpy(&in, tx.get_data_ptr(), len);
        in <<= 8 * lane;
        const std::uint32_t old = reg->value_;
        const std::uint32_t mask = lane_mask & reg->write_mask_;
        if (reg->access() == Access::w1c)
            reg->value_ = old & ~(in & mask);
        else
            reg->value_ = (old & ~mask) | (in & mask);
        if (reg->write_fn_ && !debug) reg->write_fn_(old, reg->value_);
    }
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace svp

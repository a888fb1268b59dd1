// Rule 6 of the design: registers read like the datasheet. A peripheral declares each
// register by name, offset, reset value, access and field mask, and hangs behaviour on
// callbacks. Disallowed accesses become TLM error responses here, so handlers hold behaviour
// only; an unmapped offset is a bus error plus a "guest error" log line naming the device.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <tlm>

#include "models/base/bus_extension.h"

namespace svp {

enum class Access : std::uint8_t {
    rw,   // read/write
    ro,   // read-only; writes are a guest error and a bus error
    wo,   // write-only; reads return 0 and log a guest error
    w1c,  // read/write-one-to-clear (status bits)
};

class Register {
public:
    Register(std::string name, std::uint32_t offset, std::uint32_t reset, Access access,
             std::uint32_t write_mask);

    // Computes the value a read returns (FIFO pops, live counters). `debug` reads (debuggers,
    // loaders) must not have side effects.
    Register& on_read(std::function<std::uint32_t(bool debug)> fn) { read_fn_ = std::move(fn); return *this; }
    // Called after a write changed the stored value: (old value, new value).
    Register& on_write(std::function<void(std::uint32_t old_value, std::uint32_t new_value)> fn) {
        write_fn_ = std::move(fn);
        return *this;
    }
    // Writes are refused (a guest error and a TLM command error) while `fn` says no: lock
    // bits, registers that only take a value while a block is idle. `why` names the reason.
    Register& writable_if(std::function<bool()> fn, std::string why) {
        writable_fn_ = std::move(fn);
        not_writable_why_ = std::move(why);
        return *this;
    }
    // A per-access decision beyond world and privilege (who may read a fuse row, whether a
    // latch has closed it): returns "" to allow, else the reason; a refusal is a guest error
    // and a TLM command error. Debug accesses are decided too (`debug` true): a debugger must
    // not read what the guest may not.
    using Guard = std::function<std::string(const tlm::tlm_generic_payload& tx, bool debug)>;
    Register& guard(Guard fn) { guard_fn_ = std::move(fn); return *this; }
    Register& secure_only() { secure_only_ = true; return *this; }
    Register& privileged_only() { privileged_only_ = true; return *this; }

    const std::string& name() const { return name_; }
    std::uint32_t offset() const { return offset_; }
    Access access() const { return access_; }
    std::uint32_t value() const { return value_; }
    std::uint32_t reset_value() const { return reset_; }
    // Sets the stored value from the model's side (status bits, received data) — no callbacks.
    void set(std::uint32_t v) { value_ = v; }
    void set_bits(std::uint32_t bits) { value_ |= bits; }
    void clear_bits(std::uint32_t bits) { value_ &= ~bits; }
    void reset() { value_ = reset_; }

private:
    friend class RegisterBank;
    std::string name_;
    std::uint32_t offset_, reset_;
    Access access_;
    std::uint32_t write_mask_;
    std::uint32_t value_;
    bool secure_only_ = false, privileged_only_ = false;
    std::function<std::uint32_t(bool)> read_fn_;
    std::function<void(std::uint32_t, std::uint32_t)> write_fn_;
    std::function<bool()> writable_fn_;
    Guard guard_fn_;
    std::string not_writable_why_;
};

class RegisterBank {
public:
    explicit RegisterBank(std::string device) : device_(std::move(device)) {}

    // Declares a 32-bit register at `offset` (word aligned). Throws std::logic_error on a
    // duplicate or misaligned offset: that is a model bug, not user input.
    Register& add(std::string name, std::uint32_t offset, std::uint32_t reset = 0,
                  Access access = Access::rw, std::uint32_t write_mask = 0xFFFFFFFFu);

    // Performs a bus access of 1, 2 or 4 bytes inside one register; sets the response status.
    void access(tlm::tlm_generic_payload& tx, bool debug = false);
    void reset();

    Register* find(std::uint32_t offset);
    // Every register, in offset order (tests walk a bank to check reset values).
    std::vector<const Register*> all() const;
    Register& operator[](const std::string& name);
    const std::string& device() const { return device_; }
    std::uint64_t guest_errors() const { return guest_errors_; }
    // For behaviour a register callback refuses (a push into a full FIFO): logged and counted
    // like every other guest error of this device.
    void report_guest_error(const std::string& what);

private:
    void guest_error(const tlm::tlm_generic_payload& tx, const std::string& what);
    std::string device_;
    std::map<std::uint32_t, std::unique_ptr<Register>> by_offset_;
    std::uint64_t guest_errors_ = 0;
};

}  // namespace svp

// The wire between an I2C master and the devices on its bus: a target answers its 7-bit
// address, ACKs or NAKs each byte written to it and supplies each byte read from it. The
// master (models/periph/i2c_master.h) calls these at the simulated time the byte crosses the
// wire, so a target whose state depends on time (a sensor that is still measuring) sees it.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

namespace svp {

class I2cTarget {
public:
    virtual ~I2cTarget() = default;
    // A START (or repeated START) with this target's address; `read` is the R/W bit. Returns
    // true to ACK the address, false to NAK it.
    virtual bool start(bool read) = 0;
    // A byte written by the master; true = ACK, false = NAK (the master then ends with STOP).
    virtual bool write(std::uint8_t byte) = 0;
    // A byte the master clocks out of the target; `master_acks` is false on the last byte.
    virtual std::uint8_t read(bool master_acks) = 0;
    // STOP: the master released the bus.
    virtual void stop() = 0;
};

// Which target answers which 7-bit address. An address nobody answers is NAKed on the wire.
class I2cBus {
public:
    void attach(std::uint8_t address, I2cTarget& target) {
        if (address > 0x7F) throw std::invalid_argument("I2C address " + std::to_string(address) + " is not 7-bit");
        if (!targets_.emplace(address, &target).second)
            throw std::invalid_argument("I2C address " + std::to_string(address) + " already has a target");
    }
    I2cTarget* find(std::uint8_t address) const {
        const auto it = targets_.find(address);
        return it == targets_.end() ? nullptr : it->second;
    }

private:
    std::map<std::uint8_t, I2cTarget*> targets_;
};

}  // namespace svp

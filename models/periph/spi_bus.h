// The wire between an SPI master and its targets: one target per chip-select line. A frame is
// select(true), a run of full-duplex byte exchanges (MSB first on the wire; the master turns
// LSB-first bytes around itself), then select(false). The master calls these at the simulated
// time each byte crosses the wire, so a target that is busy (a flash programming a page) sees
// time pass.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

namespace svp {

class SpiTarget {
public:
    virtual ~SpiTarget() = default;
    // Chip select asserted (true) or released (false).
    virtual void select(bool active) = 0;
    // One byte each way: `mosi` from the master; the return value is what the target drives on MISO.
    virtual std::uint8_t exchange(std::uint8_t mosi) = 0;
};

class SpiBus {
public:
    void attach(unsigned chip_select, SpiTarget& target) {
        if (!targets_.emplace(chip_select, &target).second)
            throw std::invalid_argument("SPI chip select " + std::to_string(chip_select) + " already has a target");
    }
    SpiTarget* find(unsigned chip_select) const {
        const auto it = targets_.find(chip_select);
        return it == targets_.end() ? nullptr : it->second;
    }

private:
    std::map<unsigned, SpiTarget*> targets_;
};

}  // namespace svp

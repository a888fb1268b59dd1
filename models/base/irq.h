// An interrupt line: a SystemC signal (so --vcd can trace it) with raise/lower for the device
// that drives it and events for the core that listens.
#pragma once

#include <string>
#include <systemc>

namespace svp {

class IrqLine {
public:
    explicit IrqLine(const std::string& name) : signal_(name.c_str(), false), name_(name) {}

    void raise() { signal_.write(true); }
    void lower() { signal_.write(false); }
    void set(bool level) { signal_.write(level); }
    bool level() const { return signal_.read(); }

    const sc_core::sc_event& rising() const { return signal_.posedge_event(); }
    const sc_core::sc_event& changed() const { return signal_.value_changed_event(); }
    const std::string& name() const { return name_; }
    sc_core::sc_signal<bool, sc_core::SC_MANY_WRITERS>& signal() { return signal_; }

private:
    // Several processes drive a line (the device sets it, a core's W1C write clears it).
    sc_core::sc_signal<bool, sc_core::SC_MANY_WRITERS> signal_;
    std::string name_;
};

}  // namespace svp

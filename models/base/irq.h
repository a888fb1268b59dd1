// An interrupt line: a SystemC signal (so --vcd can trace it) with raise/lower for the device
// that drives it and events for the core that listens.
//
// Several processes set a line (a device's own timer process raises it, a core's W1C write in
// its thread lowers it), sometimes in the same delta cycle, which a plain sc_signal refuses
// (E115, "more than one driver"). So set() only records the wanted level and wakes the line's
// own driver process, which is the one writer of the signal. The level is visible one delta
// later, as with a direct signal write.
#pragma once

#include <string>
#include <systemc>

namespace svp {

class IrqLine {
public:
    explicit IrqLine(const std::string& name) : signal_(name.c_str(), false), name_(name) {
        sc_core::sc_spawn_options o;
        o.spawn_method();
        o.dont_initialize();
        o.set_sensitivity(&request_);
        sc_core::sc_spawn([this] { signal_.write(wanted_); }, sc_core::sc_gen_unique_name((name + "_driver").c_str()), &o);
    }
    IrqLine(const IrqLine&) = delete;
    IrqLine& operator=(const IrqLine&) = delete;

    void raise() { set(true); }
    void lower() { set(false); }
    void set(bool level) {
        wanted_ = level;
        if (sc_core::sc_is_running())
            request_.notify();  // immediate: the driver writes in this same delta
        else
            signal_.write(level);  // elaboration: the initial value
    }
    bool level() const { return signal_.read(); }

    const sc_core::sc_event& rising() const { return signal_.posedge_event(); }
    const sc_core::sc_event& changed() const { return signal_.value_changed_event(); }
    const std::string& name() const { return name_; }
    sc_core::sc_signal<bool, sc_core::SC_MANY_WRITERS>& signal() { return signal_; }

private:
    sc_core::sc_signal<bool, sc_core::SC_MANY_WRITERS> signal_;
    sc_core::sc_event request_;
    bool wanted_ = false;
    std::string name_;
};

}  // namespace svp

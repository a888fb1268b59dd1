// The initiator side of the bus for host-compiled models (the app core's OS, the security
// core's runtime, DMA engines): one TLM initiator socket stamped with who is asking (rule 5),
// DMI for memory (with invalidation), and plain b_transport for everything else.
// Every access returns its TLM status; the caller decides what a refusal means (EFAULT for
// the OS, a BusFault for a CPU).
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "models/base/bus_extension.h"

namespace svp {

class BusMaster : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<BusMaster> socket;

    BusMaster(sc_core::sc_module_name name, BusInitiator who);

    // Blocking accesses; the access time is added to `delay` (the caller owns syncing).
    tlm::tlm_response_status read(std::uint64_t address, void* data, std::size_t length, sc_core::sc_time& delay);
    tlm::tlm_response_status write(std::uint64_t address, const void* data, std::size_t length,
                                   sc_core::sc_time& delay);
    // Zero-time accesses with no side effects on timing (loaders, debuggers, measurements).
    bool debug_read(std::uint64_t address, void* data, std::size_t length);
    bool debug_write(std::uint64_t address, const void* data, std::size_t length);

    const BusInitiator& who() const { return who_; }
    void invalidate_all() { dmi_.clear(); }
    // A DMI pointer was granted to the old identity: a change drops them all, so a pointer
    // obtained while privileged cannot be used to bypass a privileged-only rule afterwards.
    void set_privilege(Privilege p) {
        if (p != who_.privilege) dmi_.clear();
        who_.privilege = p;
    }

private:
    tlm::tlm_response_status access(tlm::tlm_command cmd, std::uint64_t address, std::uint8_t* data,
                                    std::size_t length, sc_core::sc_time& delay);
    const tlm::tlm_dmi* dmi_for(std::uint64_t address, std::size_t length, bool write) const;
    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);

    BusInitiator who_;
    std::vector<tlm::tlm_dmi> dmi_;
};

}  // namespace svp

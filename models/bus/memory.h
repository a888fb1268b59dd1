// RAM, ROM and TCM: a byte array behind a TLM target with fixed read/write latencies and DMI.
// A read-only memory refuses bus writes (the loader uses debug transport or load()).
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "common/util/bytes.h"
#include "models/base/device_context.h"

namespace svp {

class Memory : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<Memory> socket;

    Memory(sc_core::sc_module_name name, DeviceContext& device, std::uint64_t size,
           sc_core::sc_time read_latency, sc_core::sc_time write_latency, bool read_only = false,
           std::uint8_t fill = 0);

    // Host-side access for loaders, snapshots and tests (no latency, no events).
    void load(std::uint64_t offset, ByteView bytes);
    Bytes dump(std::uint64_t offset, std::uint64_t length) const;
    std::uint64_t size() const { return data_.size(); }
    std::uint8_t* data() { return data_.data(); }

protected:
    virtual void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    virtual bool get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
    unsigned transport_dbg(tlm::tlm_generic_payload& tx);
    bool in_range(const tlm::tlm_generic_payload& tx) const;

    DeviceContext& device_;
    std::vector<std::uint8_t> data_;
    sc_core::sc_time read_latency_, write_latency_;
    bool read_only_;
};

}  // namespace svp

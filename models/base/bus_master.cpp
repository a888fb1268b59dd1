#include "models/base/bus_master.h"

#include <cstring>

namespace svp {

namespace {
// The extension lives on our stack: detach it before the payload is destroyed, even when a
// target throws, or the payload's destructor would free() it.
struct ExtensionGuard {
    ExtensionGuard(tlm::tlm_generic_payload& tx, BusInitiator& ext) : tx(tx), ext(ext) { tx.set_extension(&ext); }
    ~ExtensionGuard() { tx.clear_extension(&ext); }
    tlm::tlm_generic_payload& tx;
    BusInitiator& ext;
};
}  // namespace

BusMaster::BusMaster(sc_core::sc_module_name name, BusInitiator who)
    : sc_module(name), socket("socket"), who_(who) {
    socket.register_invalidate_direct_mem_ptr(this, &BusMaster::invalidate_direct_mem_ptr);
}

const tlm::tlm_dmi* BusMaster::dmi_for(std::uint64_t address, std::size_t length, bool write) const {
    for (const auto& d : dmi_)
        if (address >= d.get_start_address() && address + length - 1 <= d.get_end_address() &&
            (write ? d.is_write_allowed() : d.is_read_allowed()))
            return &d;
    return nullptr;
}

tlm::tlm_response_status BusMaster::access(tlm::tlm_command cmd, std::uint64_t address, std::uint8_t* data,
                                           std::size_t length, sc_core::sc_time& delay) {
    const bool is_write = cmd == tlm::TLM_WRITE_COMMAND;
    if (const auto* d = dmi_for(address, length, is_write)) {
        auto* p = d->get_dmi_ptr() + (address - d->get_start_address());
        if (is_write)
            std::memcpy(p, data, length);
        else
            std::memcpy(data, p, length);
        delay += is_write ? d->get_write_latency() : d->get_read_latency();
        return tlm::TLM_OK_RESPONSE;
    }
    tlm::tlm_generic_payload tx;
    BusInitiator ext = who_;
    ExtensionGuard guard(tx, ext);
    tx.set_command(cmd);
    tx.set_address(address);
    tx.set_data_ptr(data);
    tx.set_data_length(static_cast<unsigned>(length));
    tx.set_streaming_width(static_cast<unsigned>(length));
    tx.set_byte_enable_ptr(nullptr);
    tx.set_dmi_allowed(false);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(tx, delay);
    const auto status = tx.get_response_status();
    if (status == tlm::TLM_OK_RESPONSE && tx.is_dmi_allowed()) {
        tlm::tlm_dmi dmi;
        tx.set_address(address);
        if (socket->get_direct_mem_ptr(tx, dmi)) dmi_.push_back(dmi);
    }
    return status;
}

tlm::tlm_response_status BusMaster::read(std::uint64_t address, void* data, std::size_t length,
                                         sc_core::sc_time& delay) {
    return access(tlm::TLM_READ_COMMAND, address, static_cast<std::uint8_t*>(data), length, delay);
}

tlm::tlm_response_status BusMaster::write(std::uint64_t address, const void* data, std::size_t length,
                                          sc_core::sc_time& delay) {
    return access(tlm::TLM_WRITE_COMMAND, address, static_cast<std::uint8_t*>(const_cast<void*>(data)), length,
                  delay);
}

static bool debug_access(tlm_utils::simple_initiator_socket<BusMaster>& socket, const BusInitiator& who,
                         tlm::tlm_command cmd, std::uint64_t address, void* data, std::size_t length) {
    tlm::tlm_generic_payload tx;
    BusInitiator ext = who;
    ExtensionGuard guard(tx, ext);
    tx.set_command(cmd);
    tx.set_address(address);
    tx.set_data_ptr(static_cast<std::uint8_t*>(data));
    tx.set_data_length(static_cast<unsigned>(length));
    tx.set_streaming_width(static_cast<unsigned>(length));
    return socket->transport_dbg(tx) == length;
}

bool BusMaster::debug_read(std::uint64_t address, void* data, std::size_t length) {
    return debug_access(socket, who_, tlm::TLM_READ_COMMAND, address, data, length);
}

bool BusMaster::debug_write(std::uint64_t address, const void* data, std::size_t length) {
    return debug_access(socket, who_, tlm::TLM_WRITE_COMMAND, address, const_cast<void*>(data), length);
}

void BusMaster::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
    std::erase_if(dmi_, [&](const tlm::tlm_dmi& d) {
        return d.get_start_address() <= end && start <= d.get_end_address();
    });
}

}  // namespace svp

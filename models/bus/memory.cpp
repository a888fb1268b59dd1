#include "models/bus/memory.h"

#include <cstring>
#include <stdexcept>

namespace svp {

Memory::Memory(sc_core::sc_module_name name, DeviceContext& device, std::uint64_t size,
               sc_core::sc_time read_latency, sc_core::sc_time write_latency, bool read_only,
               std::uint8_t fill)
    : sc_module(name), socket("socket"), device_(device), data_(size, fill),
      read_latency_(read_latency), write_latency_(write_latency), read_only_(read_only) {
    socket.register_b_transport(this, &Memory::b_transport);
    socket.register_get_direct_mem_ptr(this, &Memory::get_direct_mem_ptr);
    socket.register_transport_dbg(this, &Memory::transport_dbg);
}

void Memory::load(std::uint64_t offset, ByteView bytes) {
    if (offset + bytes.size() > data_.size())
        throw std::out_of_range(std::string(name()) + ": load past the end of memory");
    std::memcpy(data_.data() + offset, bytes.data(), bytes.size());
}

Bytes Memory::dump(std::uint64_t offset, std::uint64_t length) const {
    if (offset + length > data_.size())
        throw std::out_of_range(std::string(name()) + ": dump past the end of memory");
    return Bytes(data_.begin() + static_cast<std::ptrdiff_t>(offset),
                 data_.begin() + static_cast<std::ptrdiff_t>(offset + length));
}

bool Memory::in_range(const tlm::tlm_generic_payload& tx) const {
    return tx.get_address() + tx.get_data_length() <= data_.size() && !tx.get_byte_enable_ptr();
}

void Memory::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    if (!in_range(tx)) {
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    auto* p = data_.data() + tx.get_address();
    if (tx.is_read()) {
        std::memcpy(tx.get_data_ptr(), p, tx.get_data_length());
        delay += read_latency_;
    } else if (tx.is_write()) {
        if (read_only_) {
            tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
            return;
        }
        std::memcpy(p, tx.get_data_ptr(), tx.get_data_length());
        delay += write_latency_;
    }
    tx.set_dmi_allowed(true);
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

bool Memory::get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
    dmi.set_dmi_ptr(data_.data());
    dmi.set_start_address(0);
    dmi.set_end_address(data_.size() - 1);
    dmi.set_read_latency(read_latency_);
    dmi.set_write_latency(write_latency_);
    dmi.allow_read();
    if (!read_only_) dmi.allow_read_write();
    return !(tx.is_write() && read_only_);
}

unsigned Memory::transport_dbg(tlm::tlm_generic_payload& tx) {
    if (!in_range(tx)) return 0;
    auto* p = data_.data() + tx.get_address();
    if (tx.is_read())
        std::memcpy(tx.get_data_ptr(), p, tx.get_data_length());
    else
        std::memcpy(p, tx.get_data_ptr(), tx.get_data_length());
    return tx.get_data_length();
}

}  // namespace svp

#include "os-sim/drivers/storage_driver.h"

namespace svp::os {

bool SecureFlashBackend::read(std::uint64_t offset, std::span<std::uint8_t> out) {
    if (offset + out.size() > size_) return false;
    try {
        hw_.read(base_ + offset, out.data(), out.size());
    } catch (const BusError&) {
        return false;
    }
    return true;
}

bool SecureFlashBackend::erase_sector(std::uint64_t offset) {
    if (offset >= size_) return false;
    ++operations_;
    return call_(secproto::storage_erase, {{"offset", offset}}).ok();
}

bool SecureFlashBackend::program(std::uint64_t offset, ByteView bytes) {
    if (offset + bytes.size() > size_) return false;
    for (std::size_t done = 0; done < bytes.size();) {
        const auto n = std::min<std::size_t>(secproto::kMaxStorageWrite, bytes.size() - done);
        ++operations_;
        auto reply = call_(secproto::storage_write,
                           {{"offset", offset + done},
                            {"data", nlohmann::json::binary(std::vector<std::uint8_t>(bytes.begin() + done, bytes.begin() + done + n))}});
        if (!reply.ok()) return false;
        done += n;
    }
    return true;
}

}  // namespace svp::os

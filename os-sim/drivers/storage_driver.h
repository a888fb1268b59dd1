// The flash underneath the OS's storage (/mnt/config, app storage, queues): reads come straight
// from the execute-in-place window over the bus; erases and programs are security-subsystem
// commands (reference §3: "all flash writes go through the SM"), limited by the subsystem to
// the OS's storage partition.
#pragma once

#include <functional>

#include "os-sim/drivers/security_driver.h"
#include "os-sim/kernel/flash_store.h"

namespace svp::os {

class SecureFlashBackend : public FlashBackend {
public:
    using Call = std::function<SecurityDriver::Reply(secproto::Command, const nlohmann::json&)>;
    SecureFlashBackend(Hw& hw, std::uint64_t base, std::uint64_t size, std::uint32_t sector_size, Call call)
        : hw_(hw), base_(base), size_(size), sector_(sector_size), call_(std::move(call)) {}

    std::uint64_t size() const override { return size_; }
    std::uint32_t sector_size() const override { return sector_; }
    bool read(std::uint64_t offset, std::span<std::uint8_t> out) override;
    bool erase_sector(std::uint64_t offset) override;
    bool program(std::uint64_t offset, ByteView bytes) override;
    std::uint64_t operations() const { return operations_; }

private:
    Hw& hw_;
    std::uint64_t base_, size_;
    std::uint32_t sector_;
    Call call_;
    std::uint64_t operations_ = 0;
};

}  // namespace svp::os

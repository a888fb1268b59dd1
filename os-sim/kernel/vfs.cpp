#include "os-sim/kernel/vfs.h"

#include <algorithm>
#include <cstring>

namespace svp::os {

long TextFile::read(Process&, std::span<std::uint8_t> out) {
    const auto n = std::min(out.size(), text_.size() - std::min(position_, text_.size()));
    std::memcpy(out.data(), text_.data() + position_, n);
    position_ += n;
    return static_cast<long>(n);
}

long TextFile::seek(std::int64_t offset) {
    if (offset < 0) return -EINVAL;
    position_ = static_cast<std::size_t>(offset);
    return offset;
}

int FdTable::install(FileRef file) {
    for (int fd = 0; fd < kMaxFds; ++fd)
        if (!fds_.count(fd)) {
            fds_[fd] = std::move(file);
            return fd;
        }
    return -EMFILE;
}

FileRef FdTable::get(int fd) const {
    auto it = fds_.find(fd);
    return it == fds_.end() ? nullptr : it->second;
}

FileRef FdTable::take(int fd) {
    auto it = fds_.find(fd);
    if (it == fds_.end()) return nullptr;
    auto f = std::move(it->second);
    fds_.erase(it);
    return f;
}

}  // namespace svp::os

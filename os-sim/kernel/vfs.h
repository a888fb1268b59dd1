// Files and file descriptors. Everything a process opens — a device node, a /proc file, a
// file in flash storage, a socket — is a File behind a small integer in its descriptor table.
// Operations return a count or a negative errno, as Linux system calls do.
#pragma once

#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "common/util/bytes.h"

namespace svp::os {

struct Process;

// open() flags (Linux values).
enum OpenFlags : int {
    o_rdonly = 0, o_wronly = 1, o_rdwr = 2, o_accmode = 3,
    o_creat = 0100, o_trunc = 01000, o_append = 02000, o_nonblock = 04000,
};
inline bool wants_read(int flags) { return (flags & o_accmode) != o_wronly; }
inline bool wants_write(int flags) { return (flags & o_accmode) != o_rdonly; }

class File {
public:
    virtual ~File() = default;
    virtual long read(Process&, std::span<std::uint8_t>) { return -EBADF; }
    virtual long write(Process&, ByteView) { return -EBADF; }
    // `arg` is the caller's argument buffer, in and out (a scalar is its first bytes, LE).
    virtual long ioctl(Process&, std::uint32_t /*request*/, std::span<std::uint8_t> /*arg*/) { return -ENOTTY; }
    virtual long seek(std::int64_t /*offset*/) { return -ESPIPE; }
    // The last close of the file (flushes, releases what it holds); an error is reported.
    virtual int release(Process&) { return 0; }
    virtual std::string describe() const = 0;  // "/dev/gpio5", "socket:[3]"

    int flags = 0;
};
using FileRef = std::shared_ptr<File>;

// A file whose whole content is produced at open (a /proc file).
class TextFile : public File {
public:
    TextFile(std::string name, std::string text) : name_(std::move(name)), text_(std::move(text)) {}
    long read(Process&, std::span<std::uint8_t> out) override;
    long seek(std::int64_t offset) override;
    std::string describe() const override { return name_; }

private:
    std::string name_, text_;
    std::size_t position_ = 0;
};

class FdTable {
public:
    static constexpr int kMaxFds = 64;  // RLIMIT_NOFILE of an app (assumed)
    int install(FileRef file);          // the lowest free descriptor, or -EMFILE
    FileRef get(int fd) const;          // null when not open
    FileRef take(int fd);               // removes and returns (null when not open)
    std::map<int, FileRef>& all() { return fds_; }

private:
    std::map<int, FileRef> fds_;
};

}  // namespace svp::os

// ARM semihosting (ARM IHI 0069, "Semihosting for AArch32 and AArch64"), reached through
// BKPT 0xAB on M profile: r0 = operation, r1 = parameter (block); the result goes in r0.
// Only the console (":tt") and the feature file exist: a guest program cannot touch host files.
#include <cstring>

#include <fmt/format.h>

#include "models/cpu/armv7m/cortex_m4.h"

namespace svp::armv7m {

namespace {
enum : u32 {
    SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITEC = 0x03, SYS_WRITE0 = 0x04, SYS_WRITE = 0x05,
    SYS_READ = 0x06, SYS_READC = 0x07, SYS_ISERROR = 0x08, SYS_ISTTY = 0x09, SYS_SEEK = 0x0A,
    SYS_FLEN = 0x0C, SYS_TMPNAM = 0x0D, SYS_REMOVE = 0x0E, SYS_RENAME = 0x0F, SYS_CLOCK = 0x10,
    SYS_TIME = 0x11, SYS_SYSTEM = 0x12, SYS_ERRNO = 0x13, SYS_GET_CMDLINE = 0x15,
    SYS_HEAPINFO = 0x16, SYS_EXIT = 0x18, SYS_EXIT_EXTENDED = 0x20, SYS_ELAPSED = 0x30,
    SYS_TICKFREQ = 0x31,
};
constexpr u32 kApplicationExit = 0x20026;  // ADP_Stopped_ApplicationExit
// ":semihosting-features": magic and feature byte 0 (EXIT_EXTENDED | STDOUT_STDERR).
constexpr u8 kFeatures[] = {'S', 'H', 'F', 'B', 0x03};
constexpr int kFeatureFile = 3;
constexpr u32 kEnoent = 2, kEbadf = 9;
}  // namespace

std::string CortexM4::read_guest_string(u32 address, std::size_t max) {
    std::string out;
    u8 c = 0;
    while (out.size() < max && read_memory(address + static_cast<u32>(out.size()), &c, 1) == 1 && c != 0)
        out.push_back(static_cast<char>(c));
    return out;
}

bool CortexM4::semihosting_call() {
    const u32 op = s_.r[0], param = s_.r[1];
    auto arg = [&](unsigned i) {
        u8 b[4] = {};
        read_memory(param + 4 * i, b, 4);
        u32 v;
        std::memcpy(&v, b, 4);
        return v;
    };
    auto handle_of = [&](u32 h) -> int {
        if (h == 0 || h > open_files_.size()) return -1;
        return open_files_[h - 1];
    };
    u32 result = 0;
    switch (op) {
    case SYS_OPEN: {
        const std::string name = read_guest_string(arg(0), arg(2) + 1);
        const u32 mode = arg(1);
        int target = -1;
        if (name == ":tt") target = mode < 4 ? 0 : (mode < 8 ? 1 : 2);
        else if (name == ":semihosting-features") { target = kFeatureFile; feature_file_pos_ = 0; }
        if (target < 0) {
            semihost_errno_ = kEnoent;
            result = 0xFFFFFFFFu;
            break;
        }
        open_files_.push_back(target);
        result = static_cast<u32>(open_files_.size());
        break;
    }
    case SYS_CLOSE: {
        const u32 h = arg(0);
        if (handle_of(h) < 0) { semihost_errno_ = kEbadf; result = 0xFFFFFFFFu; break; }
        open_files_[h - 1] = -1;
        result = 0;
        break;
    }
    case SYS_WRITEC: {
        u8 c = 0;
        read_memory(param, &c, 1);
        console_(1, std::string_view(reinterpret_cast<const char*>(&c), 1));
        break;
    }
    case SYS_WRITE0: console_(1, read_guest_string(param, 1u << 20)); break;
    case SYS_WRITE: {
        const int fd = handle_of(arg(0));
        const u32 buf = arg(1), len = arg(2);
        if (fd != 1 && fd != 2) { semihost_errno_ = kEbadf; result = len; break; }
        std::string text(len, '\0');
        const unsigned got = read_memory(buf, reinterpret_cast<u8*>(text.data()), len);
        text.resize(got);
        console_(fd, text);
        result = len - got;  // bytes not written
        break;
    }
    case SYS_READ: {
        const int fd = handle_of(arg(0));
        const u32 buf = arg(1), len = arg(2);
        std::string data;
        if (fd == kFeatureFile) {
            while (data.size() < len && feature_file_pos_ < sizeof(kFeatures)) data.push_back(static_cast<char>(kFeatures[feature_file_pos_++]));
        } else if (fd == 0) {
            while (data.size() < len && console_in_) {
                const int c = console_in_();
                if (c < 0) break;
                data.push_back(static_cast<char>(c));
                if (c == '\n') break;
            }
        } else {
            semihost_errno_ = kEbadf;
            result = 0xFFFFFFFFu;
            break;
        }
        write_memory(buf, reinterpret_cast<const u8*>(data.data()), static_cast<unsigned>(data.size()));
        result = len - static_cast<u32>(data.size());
        break;
    }
    case SYS_READC: result = console_in_ ? static_cast<u32>(console_in_()) : 0xFFFFFFFFu; break;
    case SYS_ISERROR: result = static_cast<s32>(arg(0)) < 0 ? 1 : 0; break;
    case SYS_ISTTY: { const int fd = handle_of(arg(0)); result = fd >= 0 && fd <= 2 ? 1 : 0; break; }
    case SYS_SEEK: {
        const int fd = handle_of(arg(0));
        if (fd == kFeatureFile) { feature_file_pos_ = arg(1); result = 0; }
        else { semihost_errno_ = kEbadf; result = 0xFFFFFFFFu; }
        break;
    }
    case SYS_FLEN: {
        const int fd = handle_of(arg(0));
        result = fd == kFeatureFile ? sizeof(kFeatures) : (fd >= 0 ? 0 : 0xFFFFFFFFu);
        break;
    }
    case SYS_TMPNAM: case SYS_REMOVE: case SYS_RENAME: case SYS_SYSTEM:
        semihost_errno_ = kEnoent;
        result = 0xFFFFFFFFu;
        break;
    // Time comes from the simulated clock only (rule 1): the epoch is the start of simulation.
    case SYS_CLOCK: result = static_cast<u32>(cycles_ * 100 / config_.clock_hz); break;
    case SYS_TIME: result = static_cast<u32>(cycles_ / config_.clock_hz); break;
    case SYS_ERRNO: result = semihost_errno_; break;
    case SYS_GET_CMDLINE: {
        const u32 buf = arg(0), len = arg(1);
        const char empty = 0;
        if (len < 1) { result = 0xFFFFFFFFu; break; }
        write_memory(buf, reinterpret_cast<const u8*>(&empty), 1);
        u8 zero[4] = {};
        write_memory(param + 4, zero, 4);
        result = 0;
        break;
    }
    case SYS_HEAPINFO: {
        // Unknown (zeros): picolibc's crt0 takes the heap and stack from its linker script.
        const u32 block = arg(0);
        u8 zeros[16] = {};
        write_memory(block, zeros, 16);
        break;
    }
    case SYS_EXIT:
        halt_ = HaltReason::exit;
        exit_code_ = param == kApplicationExit ? 0 : 1;
        attention();
        return false;
    case SYS_EXIT_EXTENDED: {
        const u32 reason = arg(0), code = arg(1);
        halt_ = HaltReason::exit;
        exit_code_ = reason == kApplicationExit ? static_cast<int>(code & 0xFF) : 1;
        attention();
        return false;
    }
    case SYS_ELAPSED: {
        u8 b[8];
        std::memcpy(b, &cycles_, 8);
        write_memory(param, b, 8);
        result = 0;
        break;
    }
    case SYS_TICKFREQ: result = static_cast<u32>(config_.clock_hz); break;
    default:
        semihost_errno_ = kEnoent;
        result = 0xFFFFFFFFu;
        break;
    }
    s_.r[0] = result;
    return true;
}

}  // namespace svp::armv7m

// The clock file: how a scenario runner tells the cloud stub what time it is (DESIGN.md,
// "Where the real world meets simulated time"). 16 bytes, little-endian:
//
//   offset 0  int64   epoch_unix_ns   the scenario's epoch (the device RTC starts there too)
//   offset 8  uint64  sim_ns          simulated time since the epoch
//
// service time = epoch_unix_ns + sim_ns. The runner updates the file in place (never by
// rename: the stub maps it once) before it delivers bytes to the stub, so every request is
// judged at the simulated moment it arrives. Each field is one aligned 8-byte word, written
// and read atomically.
#pragma once

#include <cstdint>
#include <filesystem>

namespace svp::cloud {

inline constexpr std::size_t kClockFileSize = 16;

struct ClockReading {
    std::int64_t epoch_unix_ns = 0;
    std::uint64_t sim_ns = 0;
    std::int64_t unix_ns() const { return epoch_unix_ns + static_cast<std::int64_t>(sim_ns); }
};

// Read-only view of a clock file (the stub's side). Throws InputError naming the path when
// the file is missing or shorter than 16 bytes.
class ClockFileReader {
public:
    explicit ClockFileReader(const std::filesystem::path& path);
    ~ClockFileReader();
    ClockFileReader(const ClockFileReader&) = delete;
    ClockFileReader& operator=(const ClockFileReader&) = delete;
    ClockReading read() const;

private:
    const void* map_ = nullptr;
};

// Writable view (the runner's side, and tests). Creates or resizes the file to 16 bytes.
class ClockFileWriter {
public:
    explicit ClockFileWriter(const std::filesystem::path& path);
    ~ClockFileWriter();
    ClockFileWriter(const ClockFileWriter&) = delete;
    ClockFileWriter& operator=(const ClockFileWriter&) = delete;
    void set_epoch(std::int64_t epoch_unix_ns);
    void set_sim_ns(std::uint64_t sim_ns);
    ClockReading read() const;

private:
    void* map_ = nullptr;
};

}  // namespace svp::cloud

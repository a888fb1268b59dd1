#include "cloud-stub/clock_file.h"

#include <endian.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/util/input_error.h"

namespace svp::cloud {
namespace {

std::uint64_t load_word(const void* map, std::size_t offset) {
    const auto* p = static_cast<const std::uint64_t*>(map) + offset / 8;
    return le64toh(__atomic_load_n(p, __ATOMIC_ACQUIRE));
}

void store_word(void* map, std::size_t offset, std::uint64_t value) {
    auto* p = static_cast<std::uint64_t*>(map) + offset / 8;
    __atomic_store_n(p, htole64(value), __ATOMIC_RELEASE);
}

ClockReading read_map(const void* map) {
    return {static_cast<std::int64_t>(load_word(map, 0)), load_word(map, 8)};
}

}  // namespace

ClockFileReader::ClockFileReader(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw InputError(path.string(), 0, std::string("cannot open clock file: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(kClockFileSize)) {
        ::close(fd);
        throw InputError(path.string(), 0,
                         "clock file must be 16 bytes (int64 epoch_unix_ns, uint64 sim_ns, little-endian)");
    }
    map_ = ::mmap(nullptr, kClockFileSize, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);  // the mapping keeps the file
    if (map_ == MAP_FAILED) {
        map_ = nullptr;
        throw InputError(path.string(), 0, std::string("cannot map clock file: ") + std::strerror(errno));
    }
}

ClockFileReader::~ClockFileReader() {
    if (map_) ::munmap(const_cast<void*>(map_), kClockFileSize);
}

ClockReading ClockFileReader::read() const { return read_map(map_); }

ClockFileWriter::ClockFileWriter(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error(path.string() + ": cannot create clock file: " + std::strerror(errno));
    if (::ftruncate(fd, kClockFileSize) != 0) {
        ::close(fd);
        throw std::runtime_error(path.string() + ": cannot size clock file: " + std::strerror(errno));
    }
    map_ = ::mmap(nullptr, kClockFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    if (map_ == MAP_FAILED) {
        map_ = nullptr;
        throw std::runtime_error(path.string() + ": cannot map clock file: " + std::strerror(errno));
    }
}

ClockFileWriter::~ClockFileWriter() {
    if (map_) ::munmap(map_, kClockFileSize);
}

void ClockFileWriter::set_epoch(std::int64_t epoch_unix_ns) { store_word(map_, 0, static_cast<std::uint64_t>(epoch_unix_ns)); }
void ClockFileWriter::set_sim_ns(std::uint64_t sim_ns) { store_word(map_, 8, sim_ns); }
ClockReading ClockFileWriter::read() const { return read_map(map_); }

}  // namespace svp::cloud

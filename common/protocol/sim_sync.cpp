#include "common/protocol/sim_sync.h"

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/util/input_error.h"

namespace svp::protocol {
namespace {

constexpr std::size_t kHeader = 24;
constexpr std::size_t kFileSize = kHeader + SimSync::kMaxConnections * sizeof(SimSync::Connection);

void* map_file(const std::filesystem::path& path, bool create, std::size_t& size) {
    int fd = ::open(path.c_str(), create ? (O_RDWR | O_CREAT | O_TRUNC) : O_RDWR, 0600);
    if (fd < 0) throw InputError(path.string(), 0, std::string("cannot open sync file: ") + std::strerror(errno));
    if (create && ::ftruncate(fd, static_cast<off_t>(kFileSize)) != 0) {
        ::close(fd);
        throw std::runtime_error(path.string() + ": cannot size sync file");
    }
    off_t end = ::lseek(fd, 0, SEEK_END);
    if (end < static_cast<off_t>(kFileSize)) {
        ::close(fd);
        throw InputError(path.string(), 0, "not a spherevp sync file (too short)");
    }
    void* base = ::mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    if (base == MAP_FAILED) throw std::runtime_error(path.string() + ": cannot map sync file");
    size = kFileSize;
    return base;
}

template <class T>
std::atomic_ref<T> field(T& x) {
    return std::atomic_ref<T>(x);
}

}  // namespace

SimSync::SimSync(void* base, std::size_t size) : base_(base), size_(size) {}

SimSync::SimSync(SimSync&& other) noexcept : base_(other.base_), size_(other.size_) { other.base_ = nullptr; }

SimSync::~SimSync() {
    if (base_) ::munmap(base_, size_);
}

SimSync SimSync::create(const std::filesystem::path& path, std::int64_t epoch_unix_ns) {
    std::size_t size = 0;
    void* base = map_file(path, true, size);
    std::memset(base, 0, size);
    auto* b = static_cast<std::uint8_t*>(base);
    std::memcpy(b, &epoch_unix_ns, 8);
    const std::uint32_t magic = kMagic, version = 1;
    std::memcpy(b + 16, &magic, 4);
    std::memcpy(b + 20, &version, 4);
    return SimSync(base, size);
}

SimSync SimSync::open(const std::filesystem::path& path) {
    std::size_t size = 0;
    void* base = map_file(path, false, size);
    std::uint32_t magic = 0;
    std::memcpy(&magic, static_cast<std::uint8_t*>(base) + 16, 4);
    if (magic != kMagic) {
        ::munmap(base, size);
        throw InputError(path.string(), 0, "not a spherevp sync file (bad magic)");
    }
    return SimSync(base, size);
}

std::optional<SimSync> SimSync::try_open(const std::filesystem::path& path) {
    std::error_code ec;
    if (std::filesystem::file_size(path, ec) < kFileSize || ec) return std::nullopt;
    try {
        return open(path);
    } catch (const InputError&) {
        return std::nullopt;
    }
}

std::atomic_ref<std::uint64_t> SimSync::u64(std::size_t offset) const {
    return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(static_cast<std::uint8_t*>(base_) + offset));
}

SimSync::Connection* SimSync::slot(int i) const {
    return reinterpret_cast<Connection*>(static_cast<std::uint8_t*>(base_) + kHeader) + i;
}

void SimSync::set_sim_ns(std::uint64_t sim_ns) { u64(8).store(sim_ns, std::memory_order_release); }
std::uint64_t SimSync::sim_ns() const { return u64(8).load(std::memory_order_acquire); }
std::int64_t SimSync::epoch_unix_ns() const { return static_cast<std::int64_t>(u64(0).load(std::memory_order_acquire)); }

int SimSync::service_open(std::uint16_t remote_port) {
    // Several services (a cloud and a spoofed one) may share the table: a slot is claimed by
    // moving its state with compare-and-swap. Prefer the slot of an older connection from the
    // same port, then a free one, then a closed one.
    constexpr std::uint32_t kClaimed = 3;
    auto claim = [&](int i, std::uint32_t from) {
        std::uint32_t expected = from;
        return field(slot(i)->state).compare_exchange_strong(expected, kClaimed);
    };
    int chosen = -1;
    for (int i = 0; i < static_cast<int>(kMaxConnections) && chosen < 0; ++i) {
        const auto state = field(slot(i)->state).load();
        if (state != 0 && state != kClaimed && field(slot(i)->remote_port).load() == remote_port && claim(i, state)) chosen = i;
    }
    for (int i = 0; i < static_cast<int>(kMaxConnections) && chosen < 0; ++i)
        if (claim(i, 0)) chosen = i;
    for (int i = 0; i < static_cast<int>(kMaxConnections) && chosen < 0; ++i)
        if (claim(i, static_cast<std::uint32_t>(ConnState::closed))) chosen = i;
    if (chosen < 0) return -1;
    auto* c = slot(chosen);
    field(c->bytes_read).store(0);
    field(c->bytes_written).store(0);
    field(c->idle).store(0);
    field(c->remote_port).store(remote_port);
    field(c->generation).fetch_add(1);
    field(c->state).store(static_cast<std::uint32_t>(ConnState::open), std::memory_order_release);
    return chosen;
}

void SimSync::service_read(int s, std::uint64_t n) {
    if (s < 0) return;
    // Not idle from here on; published before the count so a waiter that sees the new count
    // cannot see a stale "idle" from before the read.
    field(slot(s)->idle).store(0, std::memory_order_release);
    field(slot(s)->bytes_read).fetch_add(n, std::memory_order_release);
}
void SimSync::service_wrote(int s, std::uint64_t n) {
    if (s >= 0) field(slot(s)->bytes_written).fetch_add(n, std::memory_order_release);
}
void SimSync::service_idle(int s, bool idle) {
    if (s >= 0) field(slot(s)->idle).store(idle ? 1 : 0, std::memory_order_release);
}
void SimSync::service_closed(int s) {
    if (s >= 0) field(slot(s)->state).store(static_cast<std::uint32_t>(ConnState::closed), std::memory_order_release);
}

std::optional<SimSync::Quiescence> SimSync::wait_quiescent(std::uint16_t remote_port, std::uint64_t bytes_sent,
                                                           int wall_timeout_ms, bool new_connection) const {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::milliseconds(wall_timeout_ms);
    auto pause = std::chrono::microseconds(5);
    for (;;) {
        for (int i = 0; i < static_cast<int>(kMaxConnections); ++i) {
            auto* c = slot(i);
            auto state = field(c->state).load(std::memory_order_acquire);
            if (state == 0 || field(c->remote_port).load() != remote_port) continue;
            // A new connection must not be mistaken for an earlier one from the same port.
            if (new_connection && (state != static_cast<std::uint32_t>(ConnState::open) ||
                                   field(c->bytes_read).load(std::memory_order_acquire) != 0))
                continue;
            if (state == static_cast<std::uint32_t>(ConnState::closed))
                return Quiescence{field(c->bytes_written).load(std::memory_order_acquire), true};
            if (field(c->bytes_read).load(std::memory_order_acquire) >= bytes_sent &&
                field(c->idle).load(std::memory_order_acquire))
                return Quiescence{field(c->bytes_written).load(std::memory_order_acquire), false};
        }
        if (clock::now() >= deadline) return std::nullopt;
        // Host-side wait for another process; simulated time is held meanwhile.
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::microseconds(200));
    }
}

}  // namespace svp::protocol

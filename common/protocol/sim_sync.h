// The out-of-band channel between a simulation and the host services it talks to (rule 2 of
// the design: host speed never leaks into simulated time).
//
// It is a small file both processes memory-map. The simulation writes the service clock; the
// service (the cloud stub) publishes, per connection, how many bytes it has read and written
// and whether it is idle (waiting for more input with nothing in flight). After the network
// bridge delivers bytes to the host it waits, holding simulated time, until the service has
// read them all and gone idle; then it knows exactly how many reply bytes exist. So the
// service's clock readings, its order of random draws and the reply bytes the device sees
// are all fixed by simulated time alone.
//
// Layout (little-endian, fixed size):
//   0  int64  epoch_unix_ns   service time = epoch + sim
//   8  uint64 sim_ns          simulated time of the latest delivery
//  16  uint32 magic "SVPY", 20 uint32 version = 1
//  24  Connection[kMaxConnections]
// The first 16 bytes alone are the "clock file" a service reads for its time.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>

namespace svp::protocol {

class SimSync {
public:
    static constexpr std::uint32_t kMagic = 0x59505653;  // "SVPY"
    static constexpr std::size_t kMaxConnections = 512;

    enum class ConnState : std::uint32_t { free = 0, open = 1, closed = 2 };

    struct Connection {
        std::uint32_t state;        // ConnState
        std::uint32_t remote_port;  // the client's (bridge's) local port, as the service sees it
        std::uint64_t bytes_read;   // by the service, from the socket
        std::uint64_t bytes_written;
        std::uint32_t idle;         // 1 = a read is pending and nothing else is in flight
        std::uint32_t generation;   // bumped when a slot is reused
    };

    // The simulation side creates (or truncates) the file.
    static SimSync create(const std::filesystem::path& path, std::int64_t epoch_unix_ns);
    // The service side maps an existing file; throws InputError when it is not one.
    static SimSync open(const std::filesystem::path& path);
    // The same, or std::nullopt when the file is only a clock file (16 bytes) or not ours.
    static std::optional<SimSync> try_open(const std::filesystem::path& path);

    SimSync(SimSync&&) noexcept;
    SimSync& operator=(SimSync&&) = delete;
    ~SimSync();

    // ---- clock ----------------------------------------------------------------------------
    void set_sim_ns(std::uint64_t sim_ns);
    std::uint64_t sim_ns() const;
    std::int64_t epoch_unix_ns() const;
    std::int64_t service_unix_ns() const { return epoch_unix_ns() + static_cast<std::int64_t>(sim_ns()); }

    // ---- service side ---------------------------------------------------------------------
    // Protocol: service_open on accept; service_idle(true) each time it starts waiting for input
    // with nothing else in flight; service_read after each socket read (this also clears idle);
    // service_wrote after each socket write completes; service_closed when the socket closes.
    // Registers an accepted connection (idle = 0 until the service first waits for input).
    // Returns the slot, or -1 when the table is full (the connection then runs unsynchronised).
    int service_open(std::uint16_t remote_port);
    void service_read(int slot, std::uint64_t n);
    void service_wrote(int slot, std::uint64_t n);
    void service_idle(int slot, bool idle);
    void service_closed(int slot);

    // ---- bridge side ----------------------------------------------------------------------
    struct Quiescence {
        std::uint64_t bytes_written;  // total the service has written on the connection
        bool closed;
    };
    // Waits (in wall time) until the service has read `bytes_sent` bytes from the connection
    // from `remote_port` and is idle or closed. Returns std::nullopt when `wall_timeout_ms`
    // passes first (the service is not cooperating or is dead). With `new_connection`, waits
    // for the service to register a fresh connection from that port and go idle.
    std::optional<Quiescence> wait_quiescent(std::uint16_t remote_port, std::uint64_t bytes_sent,
                                             int wall_timeout_ms, bool new_connection = false) const;

private:
    SimSync(void* base, std::size_t size);
    std::atomic_ref<std::uint64_t> u64(std::size_t offset) const;
    Connection* slot(int i) const;
    void* base_;
    std::size_t size_;
};

}  // namespace svp::protocol

// Simulated bus transactions per host second through the router, with and without the
// contention model: three initiators hammer non-DMI registers and memory, each syncing with
// the kernel once per 1 us quantum (DESIGN.md: one sync per quantum). Prints figures only.
//   bench_bus_throughput [transactions-per-initiator] [contention|none] [ns between accesses]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "models/base/bus_master.h"
#include "models/base/event_log.h"
#include "models/base/sim_control.h"
#include "models/bus/memory.h"
#include "models/bus/router.h"
#include "models/periph/uart.h"

using namespace svp;
using sc_core::sc_time;

int sc_main(int argc, char** argv) {
    const std::uint64_t per_initiator = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
    const bool contention = argc > 2 && std::string(argv[2]) == "contention";
    const double gap_ns = argc > 3 ? std::strtod(argv[3], nullptr) : 2.0;
    EventLog log;
    DeviceContext ctx("dev0", log, 1);
    Router bus("bus", ctx, sc_time(4, sc_core::SC_NS));
    Memory ram("ram", ctx, 0x10000, sc_time(6, sc_core::SC_NS), sc_time(6, sc_core::SC_NS));
    Uart uart("uart", ctx, sc_time(16, sc_core::SC_NS), 26'000'000, nullptr);
    BusRegion r{"ram", 0x80000000, 0x10000, bus.attach(ram.socket)};
    r.dmi_allowed = false;  // every access through the router
    r.read_wait_states = 1;
    bus.map(r);
    BusRegion u{"uart", 0x38070500, 0x100, bus.attach(uart.socket)};
    u.dmi_allowed = false;
    bus.map(u);
    bus.set_initiator_clocks({ClockDomain(500'000'000), ClockDomain(197'600'000), ClockDomain(200'000'000)});
    if (contention) bus.set_contention({200'000'000, 4, 1});
    std::vector<std::unique_ptr<BusMaster>> masters;
    const char* names[] = {"a7", "rt0", "sec"};
    for (std::uint16_t i = 0; i < 3; ++i) {
        masters.push_back(std::make_unique<BusMaster>(names[i], BusInitiator(i, names[i], World::normal, Privilege::privileged)));
        masters.back()->socket.bind(bus.from_initiators);
    }
    SimulationControl control;
    int finished = 0;
    for (auto& m : masters) {
        sc_core::sc_spawn([&, mp = m.get()] {
            sc_time local;
            const sc_time quantum(1, sc_core::SC_US);
            std::uint32_t v = 0;
            for (std::uint64_t n = 0; n < per_initiator; ++n) {
                const std::uint64_t a = (n & 1) ? 0x80000000 + ((n * 4) & 0xFFFC) : 0x38070500 + Uart::SCR;
                if (n & 2)
                    mp->read(a, &v, 4, local);
                else
                    mp->write(a, &v, 4, local);
                local += sc_time(gap_ns, sc_core::SC_NS);  // the instructions between accesses
                if (local >= quantum) {
                    sc_core::wait(local);
                    local = sc_core::SC_ZERO_TIME;
                }
            }
            if (++finished == 3) control.request_stop();
        });
    }
    const auto t0 = std::chrono::steady_clock::now();
    const auto end = control.run_until(sc_time(1000, sc_core::SC_SEC));
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto& s = bus.stats();
    std::printf("gap %.0f ns, contention %s: %llu transactions in %.3f s host time = %.2f M transactions/s; simulated %.3f ms; "
                "%llu stalled (%.1f%%), %.3f ms waiting\n",
                gap_ns, contention ? "on " : "off", static_cast<unsigned long long>(s.transactions), wall, s.transactions / wall / 1e6,
                end.to_seconds() * 1e3, static_cast<unsigned long long>(s.stalled),
                s.transactions ? 100.0 * s.stalled / s.transactions : 0.0, s.stall_time.to_seconds() * 1e3);
    return 0;
}

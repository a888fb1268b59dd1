// The real-time cores on the assembled mt3620 device, running real cross-compiled firmware
// (firmware/examples): held in reset until started (IO_CORE_CONTROL), their UART, their GPT
// interrupt through the NVIC with the core asleep in WFI in between, their mailbox to the A7,
// and the firewall refusing what they do not own.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "models/base/bus_master.h"
#include "models/cpu/armv7m/elf_loader.h"
#include "models/net/host_bridge.h"
#include "models/periph/mailbox.h"
#include "platform/device.h"
#include "tests/support/sim.h"

using namespace svp;
using sc_core::sc_time;
using sc_core::SC_MS;

namespace {

std::filesystem::path firmware(const std::string& name) { return firmware_dir() / "examples" / (name + ".elf"); }

#define NEED_FIRMWARE(name)                                                  \
    if (!std::filesystem::exists(firmware(name))) {                          \
        WARN("SKIPPED: " << firmware(name) << " not built (no arm-none-eabi toolchain)"); \
        return;                                                              \
    }

struct Mt3620 {
    test::SimContext ctx;
    HostBridge bridge;
    Device device{"dev0", load_variant(find_variant("mt3620")), ctx.device, bridge};
    BusMaster a7{"probe_a7", device.initiator("a7")};
    Mt3620() { a7.socket.bind(device.router().from_initiators); }
    std::vector<Event> events(const std::string& src, const std::string& ev) const {
        std::vector<Event> out;
        for (const auto& e : ctx.log.events())
            if (e.src == src && e.ev == ev) out.push_back(e);
        return out;
    }
    std::uint32_t a7_read(std::uint64_t address) {
        std::uint32_t v = 0;
        sc_time d;
        REQUIRE(a7.read(address, &v, 4, d) == tlm::TLM_OK_RESPONSE);
        return v;
    }
};

}  // namespace

TEST_CASE("An RT core stays in reset until started, then boots its firmware from TCM and prints on its own UART", "[platform][rt]") {
    NEED_FIRMWARE("uart_hello");
    Mt3620 p;
    p.device.load_rt_firmware("rt0", armv7m::read_elf(firmware("uart_hello")), false);
    REQUIRE_RUNS([&] {
        sc_core::wait(sc_time(2, SC_MS));
        CHECK(p.device.rt_core("rt0").in_reset());
        CHECK(p.device.rt_core("rt0").core().instructions() == 0);
        CHECK(p.device.uart("uart_rt0").transcript().empty());
        p.device.start_rt_core("rt0", "test: run");
        sc_core::wait(sc_time(10, SC_MS));
        CHECK_FALSE(p.device.rt_core("rt0").in_reset());
        CHECK(p.device.uart("uart_rt0").transcript() == "Hello from the real-time core\r\n");
        CHECK(p.device.uart("uart_rt1").transcript().empty());  // rt1 was never started
        // IO_CORE_CONTROL stop + run: the image is loaded again and runs from its reset vector
        p.device.stop_rt_core("rt0", "test: stop");
        p.device.start_rt_core("rt0", "test: run again");
        sc_core::wait(sc_time(10, SC_MS));
        CHECK(p.device.uart("uart_rt0").transcript() == "Hello from the real-time core\r\nHello from the real-time core\r\n");
    });
    const auto started = p.events("cpu.core", "started");
    REQUIRE(started.size() == 2);
    CHECK(started[0].field("core") == "rt0");
    CHECK(started[0].field("firmware") == "uart_hello.elf");
    CHECK(started[0].field("entry").starts_with("0x001"));  // in TCM
    CHECK(started[0].field("clock_hz") == "26000000");      // the crystal after reset
    CHECK(started[0].t_ns >= 2'000'000);
    CHECK(p.events("cpu.core", "stopped").size() == 1);
}

TEST_CASE("GPT interrupts reach an RT core through its NVIC, it sleeps in WFI between them and reports to the A7 over the mailbox", "[platform][rt]") {
    NEED_FIRMWARE("gpt_tick");
    Mt3620 p;
    p.device.load_rt_firmware("rt0", armv7m::read_elf(firmware("gpt_tick")), false);
    std::vector<std::uint32_t> received;
    REQUIRE_RUNS([&] {
        p.device.start_rt_core("rt0", "test: run");
        sc_core::wait(sc_time(80, SC_MS));  // 50 ticks of ~1.007 ms, then the timer stops
        const std::uint64_t mbox = 0x31010000;  // the A7's side of the rt0 mailbox
        while (p.a7_read(mbox + MailboxSide::FIFO_POP_CNT) > 0) {
            received.push_back(p.a7_read(mbox + MailboxSide::DATA_POP));
            p.a7_read(mbox + MailboxSide::CMD_POP);
        }
    });
    auto& rt0 = p.device.rt_core("rt0");
    const std::string uart = p.device.uart("uart_rt0").transcript();
    CHECK(uart.find("gpt-tick: 1 kHz timer") != std::string::npos);
    CHECK(uart.find("tick 0x00000032\r\n") != std::string::npos);
    CHECK(received == std::vector<std::uint32_t>{10, 20, 30, 40, 50});
    // The firmware switched to the PLL through IO_CM4_RGU.
    const auto clock = p.events("cpu.core", "clock.changed");
    REQUIRE(clock.size() == 1);
    CHECK(clock[0].field("hz") == "197600000");
    CHECK(rt0.clock().hz() == 197'600'000);
    // Asleep between interrupts: 80 ms at 197.6 MHz is ~15.8 M cycles; the core executes only
    // while it polls the UART for its six lines (~10 ms of the 80), so far fewer instructions.
    CHECK(rt0.core().cycles() > 10'000'000);
    CHECK(rt0.core().instructions() * 10 < rt0.core().cycles());
    // One latency figure per interrupt, from the line's rising edge to the handler.
    auto lat = rt0.irq_latencies();
    REQUIRE(lat.size() == 50);
    CHECK(std::all_of(lat.begin(), lat.end(), [](const auto& l) { return l.irq == 1; }));
    CHECK(p.events("cpu.irq", "entered").size() == 50);
    std::vector<std::uint64_t> cycles;
    for (const auto& l : lat) cycles.push_back(l.cycles);
    std::sort(cycles.begin(), cycles.end());
    const auto p99 = cycles[(cycles.size() * 99 + 99) / 100 - 1];
    std::printf("rt0 GPT irq latency (cycles at 197.6 MHz): min %llu, median %llu, p99 %llu, max %llu\n",
                static_cast<unsigned long long>(cycles.front()), static_cast<unsigned long long>(cycles[cycles.size() / 2]),
                static_cast<unsigned long long>(p99), static_cast<unsigned long long>(cycles.back()));
    // Cortex-M4: 12 cycles of exception entry at the least; a sleeping core wakes at once,
    // so no interrupt waits for a quantum (1 us = 198 cycles) to end.
    CHECK(cycles.front() >= 12);
    CHECK(cycles.back() < 198);
}

TEST_CASE("A firewall refusal is a precise BusFault on the RT core, a firewall event, and the security core is told", "[platform][rt][firewall]") {
    NEED_FIRMWARE("rogue");
    Mt3620 p;
    p.device.load_rt_firmware("rt0", armv7m::read_elf(firmware("rogue")), false);
    REQUIRE_RUNS([&] {
        p.device.start_rt_core("rt0", "test: run");
        sc_core::wait(sc_time(20, SC_MS));
    });
    const auto violations = p.events("bus.firewall", "violation");
    REQUIRE(violations.size() == 1);
    CHECK(violations[0].field("initiator") == "rt0");
    CHECK(violations[0].field("address") == "0x38070500");
    CHECK(violations[0].field("region") == "uart_a7");
    const auto faults = p.events("cpu.fault", "taken");
    REQUIRE(faults.size() == 1);
    CHECK(faults[0].field("fault") == "BusFault");
    CHECK(faults[0].field("address") == "0x38070500");
    const auto told = p.events("sec.core", "firewall.violation");
    REQUIRE(told.size() == 1);
    CHECK(told[0].field("initiator") == "rt0");
    CHECK(told[0].field("address") == "0x38070500");
    const std::string uart = p.device.uart("uart_rt0").transcript();
    CHECK(uart.find("rogue: BusFault, CFSR=0x00008200 BFAR=0x38070500") != std::string::npos);  // PRECISERR | BFARVALID
    CHECK(uart.find("went through") == std::string::npos);
    CHECK(p.device.uart("uart_a7").transcript().find('X') == std::string::npos);  // the write never arrived
}

TEST_CASE("Firmware with a segment outside the RT core's own memory is refused, naming the file and the segment", "[platform][rt]") {
    NEED_FIRMWARE("uart_hello");
    Mt3620 p;
    auto image = armv7m::read_elf(firmware("uart_hello"));
    image.segments.front().paddr = 0x80000000;  // the A7's SRAM
    try {
        p.device.load_rt_firmware("rt0", image, false);
        FAIL("loaded");
    } catch (const InputError& e) {
        CHECK(std::string(e.what()).find("uart_hello.elf") != std::string::npos);
        CHECK(std::string(e.what()).find("segment 0 [0x80000000") != std::string::npos);
    }
    CHECK_THROWS_WITH(p.device.start_rt_core("rt1"), Catch::Contains("has no firmware"));
    CHECK_THROWS_WITH(p.device.rt_core("rt7"), Catch::Contains("no real-time core 'rt7'"));
}

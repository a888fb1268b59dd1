// The bus trace: what it records (JSON lines, Chrome trace), its filters, and their errors.
#include <catch2/catch.hpp>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/util/bytes.h"
#include "common/util/input_error.h"
#include "models/base/bus_master.h"
#include "models/bus/bus_trace.h"
#include "models/bus/memory.h"
#include "models/bus/router.h"
#include "tests/support/sim.h"

using namespace svp;
using sc_core::sc_time;
using sc_core::SC_NS;
namespace fs = std::filesystem;

TEST_CASE("bus trace filters: initiators and address ranges, and a bad filter is named") {
    BusTraceFilter f;
    CHECK(f.accepts("a7", 0x1234));
    add_bus_trace_filter(f, "initiator=a7,sec");
    add_bus_trace_filter(f, "range=0x38000000-0x38ffffff");
    CHECK(f.accepts("a7", 0x38070500));
    CHECK_FALSE(f.accepts("rt0", 0x38070500));
    CHECK_FALSE(f.accepts("sec", 0x80000000));
    add_bus_trace_filter(f, "range=0x80000000-0x80000fff");  // a second range widens
    CHECK(f.accepts("sec", 0x80000000));
    CHECK_THROWS_WITH(add_bus_trace_filter(f, "cpu=a7"), Catch::Contains("unknown key 'cpu'"));
    CHECK_THROWS_WITH(add_bus_trace_filter(f, "range=0x2000-0x1000"), Catch::Contains("ends before it starts"));
    CHECK_THROWS_WITH(add_bus_trace_filter(f, "range=zz-0x1000"), Catch::Contains("'zz' is not an address"));
    CHECK_THROWS_AS(add_bus_trace_filter(f, "initiator="), InputError);
}

TEST_CASE("bus trace: JSON lines and a Chrome trace of what crossed the router, refusals and decode errors included") {
    const auto dir = fs::temp_directory_path() / ("svp-bus-trace-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    {
        test::SimContext ctx;
        Router bus("bus", ctx.device, sc_time(4, SC_NS));
        Memory ram("ram", ctx.device, 0x100, sc_time(6, SC_NS), sc_time(6, SC_NS));
        BusRegion r{"ram", 0x80000000, 0x100, bus.attach(ram.socket)};
        r.dmi_allowed = false;
        bus.map(r);
        BusMaster a7("a7", BusInitiator(0, "a7", World::normal, Privilege::privileged));
        BusMaster sec("sec", BusInitiator(1, "sec", World::secure, Privilege::privileged));
        a7.socket.bind(bus.from_initiators);
        sec.socket.bind(bus.from_initiators);
        BusTrace lines((dir / "bus.jsonl").string(), BusTrace::Format::json_lines, {}, {"a7", "sec"});
        BusTraceFilter only_sec;
        add_bus_trace_filter(only_sec, "initiator=sec");
        auto chrome = std::make_unique<BusTrace>((dir / "bus.json").string(), BusTrace::format_for("bus.json"), only_sec,
                                                 std::vector<std::string>{"a7", "sec"});
        lines.attach(bus);
        chrome->attach(bus);
        test::run_thread([&] {
            sc_core::wait(sc_time(1, sc_core::SC_US));
            std::uint32_t v = 7;
            sc_time d;
            a7.write(0x80000010, &v, 4, d);
            sec.read(0x80000010, &v, 4, d);
            a7.read(0x10, &v, 4, d);  // unmapped
        });
        CHECK(lines.recorded() == 3);
        CHECK(chrome->recorded() == 1);
        chrome.reset();  // completes the Chrome file
    }
    std::vector<nlohmann::json> rows;
    std::istringstream in(read_text_file(dir / "bus.jsonl"));
    for (std::string line; std::getline(in, line);) rows.push_back(nlohmann::json::parse(line));
    REQUIRE(rows.size() == 3);
    CHECK(rows[0]["t_ps"] == 1'000'000);
    CHECK(rows[0]["dur_ps"] == 10'000);  // hop 4 + write 6 ns
    CHECK(rows[0]["initiator"] == "a7");
    CHECK(rows[0]["cmd"] == "write");
    CHECK(rows[0]["addr"] == "0x80000010");
    CHECK(rows[0]["region"] == "ram");
    CHECK(rows[0]["status"] == "ok");
    CHECK(rows[2]["region"] == "unmapped");
    CHECK(rows[2]["status"] == "address-error");
    const auto chrome = nlohmann::json::parse(read_text_file(dir / "bus.json"));
    std::vector<nlohmann::json> complete;
    for (const auto& e : chrome["traceEvents"])
        if (e["ph"] == "X") complete.push_back(e);
    REQUIRE(complete.size() == 1);
    CHECK(complete[0]["name"] == "read ram");
    CHECK(complete[0]["tid"] == 1);
    CHECK(complete[0]["ts"].get<double>() > 1.0 - 1e-9);  // microseconds
    fs::remove_all(dir);
}

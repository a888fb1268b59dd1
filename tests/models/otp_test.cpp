// The e-fuse block, read like its register description (models/bus/otp.h): bits only ever
// set, rows that lock, secret rows for the secure world only and for nobody once latched.
#include <catch2/catch.hpp>

#include "models/base/bus_master.h"
#include "models/bus/otp.h"
#include "models/bus/router.h"
#include "tests/support/sim.h"

using namespace svp;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

namespace {
struct OtpBench {
    test::SimContext ctx;
    Router bus{"bus", ctx.device, sc_time(2, SC_NS)};
    IrqLine irq{"efuse_irq"};
    // uds: words 0..7 (secret); root_keys: 8..15; config: 16
    OtpFuses otp{"efuse", ctx.device, sc_time(20, SC_NS),
                 {{"uds", 8, true}, {"root_keys", 8, false}, {"config", 1, false}}, sc_time(12, SC_US), &irq};
    BusMaster a7{"a7", BusInitiator(0, "a7", World::normal, Privilege::privileged)};
    BusMaster sec{"sec", BusInitiator(3, "sec", World::secure, Privilege::privileged)};
    static constexpr std::uint64_t kBase = 0x300E0000;
    OtpBench() {
        BusRegion r{"efuse", kBase, 0x1000, bus.attach(otp.socket)};
        r.dmi_allowed = false;
        bus.map(r);
        a7.socket.bind(bus.from_initiators);
        sec.socket.bind(bus.from_initiators);
    }
    static tlm::tlm_response_status wr(BusMaster& m, std::uint32_t off, std::uint32_t v) {
        sc_time d;
        return m.write(kBase + off, &v, 4, d);
    }
    static tlm::tlm_response_status rd(BusMaster& m, std::uint32_t off, std::uint32_t& v) {
        sc_time d;
        return m.read(kBase + off, &v, 4, d);
    }
    // Programs through the registers and waits for DONE/ERROR.
    std::uint32_t program(std::uint32_t word, std::uint32_t bits) {
        wr(sec, OtpFuses::OTP_ADDR, word);
        wr(sec, OtpFuses::OTP_WDATA, bits);
        wr(sec, OtpFuses::OTP_CTRL, OtpFuses::CTRL_PROGRAM);
        sc_core::wait(irq.rising());
        std::uint32_t sts = 0;
        rd(sec, OtpFuses::OTP_INT_STS, sts);
        wr(sec, OtpFuses::OTP_INT_STS, sts);
        sc_core::wait(sc_core::SC_ZERO_TIME);
        return sts;
    }
};
}  // namespace

TEST_CASE("OTP: reset values, and PROGRAM at t sets bits and raises DONE at t + 12 us") {
    OtpBench b;
    test::run_thread([&] {
        std::uint32_t v = 0;
        REQUIRE(OtpBench::rd(b.a7, OtpFuses::OTP_ID, v) == tlm::TLM_OK_RESPONSE);
        CHECK(v == (17u | 3u << 16));
        OtpBench::rd(b.a7, OtpFuses::OTP_STATUS, v);
        CHECK(v == 0);
        OtpBench::rd(b.a7, OtpFuses::OTP_DATA + 4 * 16, v);
        CHECK(v == 0);  // a blank fuse reads 0
        OtpBench::wr(b.sec, OtpFuses::OTP_INT_EN, OtpFuses::INT_DONE | OtpFuses::INT_ERROR);
        OtpBench::wr(b.sec, OtpFuses::OTP_ADDR, 16);
        OtpBench::wr(b.sec, OtpFuses::OTP_WDATA, 0b0101);
        const auto t = sc_core::sc_time_stamp();
        OtpBench::wr(b.sec, OtpFuses::OTP_CTRL, OtpFuses::CTRL_PROGRAM);
        OtpBench::rd(b.sec, OtpFuses::OTP_STATUS, v);
        CHECK(v == OtpFuses::STATUS_BUSY);
        CHECK(OtpBench::wr(b.sec, OtpFuses::OTP_WDATA, 0) == tlm::TLM_COMMAND_ERROR_RESPONSE);  // busy
        sc_core::wait(b.irq.rising());
        CHECK(sc_core::sc_time_stamp() - t == sc_time(12, SC_US));
        OtpBench::rd(b.a7, OtpFuses::OTP_DATA + 4 * 16, v);
        CHECK(v == 0b0101);
        OtpBench::wr(b.sec, OtpFuses::OTP_INT_STS, OtpFuses::INT_DONE);
        // Bits only ever set: programming other bits ORs them in; nothing clears.
        CHECK(b.program(16, 0b0010) == OtpFuses::INT_DONE);
        OtpBench::rd(b.a7, OtpFuses::OTP_DATA + 4 * 16, v);
        CHECK(v == 0b0111);
        CHECK(b.program(16, 0) == OtpFuses::INT_DONE);
        OtpBench::rd(b.a7, OtpFuses::OTP_DATA + 4 * 16, v);
        CHECK(v == 0b0111);
        // The data words are read-only on the bus.
        CHECK(OtpBench::wr(b.sec, OtpFuses::OTP_DATA + 4 * 16, 0) == tlm::TLM_COMMAND_ERROR_RESPONSE);
    });
    CHECK(b.otp.word(16) == 0b0111);
}

TEST_CASE("OTP: a locked row refuses programming with ERROR, and the lock survives reset") {
    OtpBench b;
    test::run_thread([&] {
        OtpBench::wr(b.sec, OtpFuses::OTP_INT_EN, OtpFuses::INT_DONE | OtpFuses::INT_ERROR);
        CHECK(b.program(9, 0xAAAA) == OtpFuses::INT_DONE);
        OtpBench::wr(b.sec, OtpFuses::OTP_ADDR, 12);  // any word of the row
        OtpBench::wr(b.sec, OtpFuses::OTP_CTRL, OtpFuses::CTRL_LOCK_ROW);
        sc_core::wait(b.irq.rising());
        OtpBench::wr(b.sec, OtpFuses::OTP_INT_STS, OtpFuses::INT_DONE);
        std::uint32_t v = 0;
        OtpBench::rd(b.sec, OtpFuses::OTP_ROW_LOCK, v);
        CHECK(v == 0b010);
        CHECK(b.program(9, 0x5555) == OtpFuses::INT_ERROR);
        OtpBench::rd(b.sec, OtpFuses::OTP_STATUS, v);
        CHECK(v == OtpFuses::STATUS_ERR_LOCKED);
        CHECK(b.program(999, 1) == OtpFuses::INT_ERROR);  // past the last word
        OtpBench::rd(b.sec, OtpFuses::OTP_STATUS, v);
        CHECK(v == OtpFuses::STATUS_ERR_RANGE);
    });
    CHECK(b.otp.word(9) == 0xAAAA);
    b.otp.reset();
    CHECK(b.otp.row_locked("root_keys"));
    CHECK_FALSE(b.otp.program(9, 1));
    CHECK(b.ctx.log.count(ev::otp_row_locked) == 1);
    CHECK(b.ctx.log.count(ev::otp_program_refused) == 1);
}

TEST_CASE("OTP: secret rows are for the secure world only, and for nobody once latched, debuggers included") {
    OtpBench b;
    REQUIRE(b.otp.program_row("uds", Bytes(32, 0x5C)));
    test::run_thread([&] {
        std::uint32_t v = 0;
        for (std::uint32_t w = 0; w < 8; ++w) {
            v = 0;
            CHECK(OtpBench::rd(b.a7, OtpFuses::OTP_DATA + 4 * w, v) == tlm::TLM_COMMAND_ERROR_RESPONSE);
            CHECK(v == 0);
            CHECK(OtpBench::rd(b.sec, OtpFuses::OTP_DATA + 4 * w, v) == tlm::TLM_OK_RESPONSE);
            CHECK(v == 0x5C5C5C5C);
        }
        std::uint32_t d = 0;
        CHECK_FALSE(b.a7.debug_read(OtpBench::kBase + OtpFuses::OTP_DATA, &d, 4));
        CHECK(b.sec.debug_read(OtpBench::kBase + OtpFuses::OTP_DATA, &d, 4));
        // Non-secret rows stay readable by everyone.
        CHECK(OtpBench::rd(b.a7, OtpFuses::OTP_DATA + 4 * 8, v) == tlm::TLM_OK_RESPONSE);
        // LATCH (the UDS lock): now not even the security core reads the secret.
        OtpBench::wr(b.sec, OtpFuses::OTP_CTRL, OtpFuses::CTRL_LATCH);
        OtpBench::rd(b.sec, OtpFuses::OTP_STATUS, v);
        CHECK(v == OtpFuses::STATUS_LATCHED);
        v = 0;
        CHECK(OtpBench::rd(b.sec, OtpFuses::OTP_DATA, v) == tlm::TLM_COMMAND_ERROR_RESPONSE);
        CHECK(v == 0);
        CHECK_FALSE(b.sec.debug_read(OtpBench::kBase + OtpFuses::OTP_DATA, &d, 4));
    });
    CHECK(b.ctx.log.count(ev::otp_latched) == 1);
    REQUIRE(b.ctx.log.count(ev::otp_access_denied) == 9);
    CHECK(b.ctx.log.first(ev::otp_access_denied)->field("initiator") == "a7");
    CHECK(b.ctx.log.first(ev::otp_access_denied)->field("row") == "uds");
    CHECK(b.ctx.log.events().back().field("reason") == "latched until reset");
    // A reset opens the latch again (the next boot reads its secret once more).
    b.otp.reset();
    CHECK_FALSE(b.otp.latched());
}

// NOR flash at its worst moments (STYLE.md, MCUboot's simulator): power cut after every single
// operation of a write sequence, clean and torn; and the flash controller that lets software
// erase and program it through the bus, read like its register description.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "models/base/bus_master.h"
#include "models/bus/flash_controller.h"
#include "models/bus/nor_flash.h"
#include "models/bus/router.h"
#include "tests/support/sim.h"

using namespace svp;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;
using sc_core::SC_MS;

namespace {

constexpr std::uint32_t kSector = 4096;

// One step of a firmware update as the flash sees it.
struct Op {
    bool erase;
    std::uint64_t offset;
    Bytes data;
};

// An update of two sectors: erase each, then program it page by page with a known pattern.
std::vector<Op> update_sequence() {
    std::vector<Op> ops;
    for (std::uint64_t s = 0; s < 2; ++s) {
        ops.push_back({true, s * kSector, {}});
        for (std::uint64_t page = 0; page < 4; ++page) {
            Bytes data(256);
            for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(0x10 * s + page + i * 7);
            ops.push_back({false, s * kSector + page * 256, data});
        }
    }
    return ops;
}

// The oracle: what the flash must hold after `ops`, the last one possibly half done.
Bytes expected_after(Bytes image, const std::vector<Op>& ops, std::size_t count, bool last_torn) {
    for (std::size_t k = 0; k < count; ++k) {
        const auto& op = ops[k];
        const bool half = last_torn && k + 1 == count;
        if (op.erase) {
            std::fill_n(image.begin() + static_cast<std::ptrdiff_t>(op.offset), half ? kSector / 2 : kSector, 0xFF);
        } else {
            const std::size_t n = half ? op.data.size() / 2 : op.data.size();
            for (std::size_t i = 0; i < n; ++i) image[op.offset + i] &= op.data[i];
        }
    }
    return image;
}

}  // namespace

TEST_CASE("NOR flash: a power cut after every operation of an update, clean and torn, leaves exactly what was done") {
    test::SimContext ctx;
    const auto ops = update_sequence();
    // The flash starts with an old image: all bytes 0x5A.
    const Bytes old_image(4 * kSector, 0x5A);
    std::size_t cases = 0;
    for (bool torn : {false, true}) {
        for (std::size_t cut_at = 1; cut_at <= ops.size(); ++cut_at) {
            INFO((torn ? "torn" : "clean") << " cut at operation " << cut_at);
            NorFlash flash(fmt::format("flash_{}_{}", torn, cut_at).c_str(), ctx.device, old_image.size(), kSector, NorFlashTiming{});
            flash.load(0, old_image);
            int told = 0;
            flash.on_power_cut([&] { ++told; });
            flash.schedule_power_cut({cut_at, torn});
            std::size_t done = 0;
            for (const auto& op : ops) {
                try {
                    if (op.erase)
                        flash.erase_sector(op.offset);
                    else
                        flash.program(op.offset, op.data);
                    ++done;
                } catch (const FlashPowerLost&) {
                    break;
                }
            }
            CHECK(done == cut_at);  // the cut operation itself returns; the next one finds no power
            CHECK_FALSE(flash.powered());
            CHECK(told == 1);
            CHECK(flash.dump(0, old_image.size()) == expected_after(old_image, ops, cut_at, torn));
            // Wear counts what was started, torn erases included.
            const auto erases_started = static_cast<std::uint32_t>(std::count_if(
                ops.begin(), ops.begin() + static_cast<std::ptrdiff_t>(cut_at), [](const Op& o) { return o.erase && o.offset == 0; }));
            CHECK(flash.erase_count(0) == erases_started);
            // Power comes back: the update can be redone from the start and completes.
            flash.power_on();
            for (const auto& op : ops) op.erase ? (void)flash.erase_sector(op.offset) : (void)flash.program(op.offset, op.data);
            CHECK(flash.dump(0, old_image.size()) == expected_after(old_image, ops, ops.size(), false));
            ++cases;
        }
    }
    CHECK(cases == 2 * ops.size());
    CHECK(ctx.log.count(ev::flash_power_cut) == cases);
    sc_core::sc_stop();
}

TEST_CASE("NOR flash: a torn program leaves a half-programmed page, a torn erase a half-erased sector") {
    test::SimContext ctx;
    NorFlash flash("flash", ctx.device, 2 * kSector, kSector, NorFlashTiming{});
    flash.load(0, Bytes(2 * kSector, 0x00));
    flash.schedule_power_cut({1, true});
    const auto t = flash.erase_sector(kSector + 10);
    CHECK(t == sc_time(22.5, SC_MS));  // stopped half way
    CHECK(flash.dump(kSector, kSector / 2) == Bytes(kSector / 2, 0xFF));
    CHECK(flash.dump(kSector + kSector / 2, kSector / 2) == Bytes(kSector / 2, 0x00));
    CHECK_THROWS_AS(flash.program(0, Bytes{1}), FlashPowerLost);
    flash.power_on();
    flash.erase_sector(0);
    flash.schedule_power_cut({1, true});
    flash.program(0, Bytes(256, 0x00));
    CHECK(flash.dump(0, 128) == Bytes(128, 0x00));
    CHECK(flash.dump(128, 128) == Bytes(128, 0xFF));
    REQUIRE(ctx.log.count(ev::flash_power_cut) == 2);
    const auto& last = ctx.log.events().back();
    CHECK(last.field("kind") == "program");
    CHECK(last.field("torn") == "true");
    CHECK(last.field("operation") == "3");
    sc_core::sc_stop();
}

namespace {
struct FlashBench {
    test::SimContext ctx;
    Router bus{"bus", ctx.device, sc_time(2, SC_NS)};
    NorFlash flash{"flash", ctx.device, 16 * kSector, kSector, NorFlashTiming{}};
    IrqLine irq{"flash_irq"};
    FlashController fc{"flash_ctrl", ctx.device, sc_time(20, SC_NS), flash, &irq};
    BusMaster cpu{"sec", BusInitiator(3, "sec", World::secure, Privilege::privileged)};
    static constexpr std::uint64_t kFlash = 0x90000000, kCtrl = 0x30080000;
    FlashBench() {
        BusRegion f{"flash", kFlash, flash.size(), bus.attach(flash.socket)};
        bus.map(f);
        BusRegion c{"flash_ctrl", kCtrl, 0x1000, bus.attach(fc.socket)};
        c.dmi_allowed = false;
        bus.map(c);
        cpu.socket.bind(bus.from_initiators);
    }
    tlm::tlm_response_status wr(std::uint32_t off, std::uint32_t v) {
        sc_time d;
        return cpu.write(kCtrl + off, &v, 4, d);
    }
    std::uint32_t rd(std::uint32_t off) {
        std::uint32_t v = 0;
        sc_time d;
        cpu.read(kCtrl + off, &v, 4, d);
        return v;
    }
};
}  // namespace

TEST_CASE("flash controller: PROGRAM at t raises DONE at t + one page time, and the bytes read back through XIP") {
    FlashBench b;
    test::run_thread([&] {
        for (std::uint32_t i = 0; i < 64; ++i) b.wr(FlashController::FC_BUF + 4 * i, 0xA0B0C000 + i);
        b.wr(FlashController::FC_INT_EN, FlashController::INT_DONE);
        b.wr(FlashController::FC_ADDR, 0x1000);
        b.wr(FlashController::FC_LEN, 256);
        const auto t = sc_core::sc_time_stamp();
        CHECK(b.wr(FlashController::FC_CMD, FlashController::CMD_PROGRAM) == tlm::TLM_OK_RESPONSE);
        CHECK(b.rd(FlashController::FC_STATUS) & FlashController::STATUS_BUSY);
        // Busy: the page buffer and the command refuse writes with a bus error.
        CHECK(b.wr(FlashController::FC_BUF, 0) == tlm::TLM_COMMAND_ERROR_RESPONSE);
        CHECK(b.wr(FlashController::FC_CMD, FlashController::CMD_ERASE_SECTOR) == tlm::TLM_COMMAND_ERROR_RESPONSE);
        sc_core::wait(b.irq.rising());
        CHECK(sc_core::sc_time_stamp() - t == sc_time(700, SC_US));  // NorFlashTiming: 700 us per page
        CHECK_FALSE(b.rd(FlashController::FC_STATUS) & FlashController::STATUS_BUSY);
        CHECK(b.rd(FlashController::FC_INT_STS) == FlashController::INT_DONE);
        b.wr(FlashController::FC_INT_STS, FlashController::INT_DONE);  // W1C
        sc_core::wait(sc_core::SC_ZERO_TIME);
        CHECK_FALSE(b.irq.level());
        std::uint32_t v = 0;
        sc_time d;
        REQUIRE(b.cpu.read(FlashBench::kFlash + 0x1004, &v, 4, d) == tlm::TLM_OK_RESPONSE);
        CHECK(v == 0xA0B0C001);
        CHECK(b.rd(FlashController::FC_OPS) == 1);
        // ERASE_SECTOR at t raises DONE at t + 45 ms and the sector reads 0xFF again.
        const auto t2 = sc_core::sc_time_stamp();
        b.wr(FlashController::FC_CMD, FlashController::CMD_ERASE_SECTOR);
        sc_core::wait(b.irq.rising());
        CHECK(sc_core::sc_time_stamp() - t2 == sc_time(45, SC_MS));
        b.cpu.read(FlashBench::kFlash + 0x1004, &v, 4, d);
        CHECK(v == 0xFFFFFFFF);
    });
    CHECK(b.flash.erase_count(1) == 1);
}

TEST_CASE("flash controller: a program across a page, past the end or of 0 bytes is ERR, and the XIP window refuses writes") {
    FlashBench b;
    test::run_thread([&] {
        b.wr(FlashController::FC_ADDR, 0x10F0);
        b.wr(FlashController::FC_LEN, 32);
        b.wr(FlashController::FC_CMD, FlashController::CMD_PROGRAM);
        CHECK(b.rd(FlashController::FC_STATUS) == FlashController::STATUS_ERR);
        CHECK(b.rd(FlashController::FC_INT_STS) == FlashController::INT_ERR);
        b.wr(FlashController::FC_ADDR, 16 * kSector);
        b.wr(FlashController::FC_CMD, FlashController::CMD_ERASE_SECTOR);
        CHECK(b.rd(FlashController::FC_STATUS) == FlashController::STATUS_ERR);
        b.wr(FlashController::FC_ADDR, 0);
        b.wr(FlashController::FC_LEN, 0);
        b.wr(FlashController::FC_CMD, FlashController::CMD_PROGRAM);
        CHECK(b.rd(FlashController::FC_STATUS) == FlashController::STATUS_ERR);
        std::uint32_t v = 0;
        sc_time d;
        CHECK(b.cpu.write(FlashBench::kFlash, &v, 4, d) == tlm::TLM_COMMAND_ERROR_RESPONSE);
        // An unmapped controller offset is a bus error plus a guest error.
        const auto errors = b.fc.registers().guest_errors();
        CHECK(b.cpu.read(FlashBench::kCtrl + 0x0FC, &v, 4, d) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        CHECK(b.fc.registers().guest_errors() == errors + 1);
    });
    CHECK(b.flash.operations() == 0);
}

TEST_CASE("flash controller: a power cut during PROGRAM ends it with POWER_LOST and a half-programmed page") {
    FlashBench b;
    b.flash.schedule_power_cut({1, true});
    test::run_thread([&] {
        for (std::uint32_t i = 0; i < 64; ++i) b.wr(FlashController::FC_BUF + 4 * i, 0);
        b.wr(FlashController::FC_INT_EN, FlashController::INT_DONE | FlashController::INT_ERR);
        b.wr(FlashController::FC_ADDR, 0);
        b.wr(FlashController::FC_LEN, 256);
        b.wr(FlashController::FC_CMD, FlashController::CMD_PROGRAM);
        sc_core::wait(b.irq.rising());
        CHECK(b.rd(FlashController::FC_STATUS) == FlashController::STATUS_POWER_LOST);
        CHECK(b.rd(FlashController::FC_INT_STS) == FlashController::INT_ERR);
        std::uint32_t v = 0;
        sc_time d;
        CHECK(b.cpu.read(FlashBench::kFlash, &v, 4, d) == tlm::TLM_GENERIC_ERROR_RESPONSE);  // no power, no reads
    });
    CHECK(b.flash.dump(0, 128) == Bytes(128, 0x00));
    CHECK(b.flash.dump(128, 128) == Bytes(128, 0xFF));
}

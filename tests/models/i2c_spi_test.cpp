// The ISU I2C and SPI masters and the devices on their wires, read like their datasheets:
// reset values, a transfer started at t and its interrupt at t + N bus clocks, W1C and
// read-to-clear status, NAK on an address nobody answers, the sensor's and the flash's own
// timing (a measurement that is not ready yet, a page program that keeps the flash busy).
#include <algorithm>
#include <utility>

#include <catch2/catch.hpp>

#include "models/periph/i2c_master.h"
#include "models/periph/sht3x.h"
#include "models/periph/spi_master.h"
#include "models/periph/spi_nor.h"
#include "tests/support/periph_bench.h"

using namespace svp;
using sc_core::sc_time;
using sc_core::SC_MS;
using sc_core::SC_NS;
using sc_core::SC_PS;
using sc_core::SC_US;

namespace {
constexpr std::uint64_t kI2c = 0x38070200, kSpi = 0x38080300;  // ISU0 as I2C, ISU1 as SPI
constexpr std::uint64_t kSourceHz = 26'000'000, kHclkHz = 79'040'000;

struct I2cRig {
    test::PeriphBench b;
    IrqLine irq{"i2c_irq"};
    I2cBus wire;
    Sht3x sensor{b.ctx.device};
    I2cMaster i2c{"isu0_i2c", b.ctx.device, sc_time(10, SC_NS), kSourceHz, wire, &irq};
    I2cRig() {
        b.attach("isu0_i2c", i2c.socket, kI2c, 0x100);
        wire.attach(Sht3x::kAddress, sensor);
        sensor.set_noise(0, 0);
    }
    void open() {  // what a driver does first: master mode, completion interrupt
        b.wr(kI2c + I2cMaster::MM_CON0, I2cMaster::MASTER_EN);
        b.wr(kI2c + I2cMaster::INT_CTRL, I2cMaster::MM_INT_EN);
    }
    // Queues one transfer of up to three packets {read?, length} to `addr` and starts it.
    void start(std::uint8_t addr, std::initializer_list<std::pair<bool, std::uint32_t>> packets,
               std::initializer_list<std::uint8_t> tx = {}) {
        for (auto byte : tx) b.wr(kI2c + I2cMaster::MM_FIFO_DATA, byte);
        b.wr(kI2c + I2cMaster::MM_SLAVE_ID, addr);
        std::uint32_t pack = static_cast<std::uint32_t>(packets.size() - 1) << 4;
        unsigned i = 0;
        for (auto [read, len] : packets) {
            if (read) pack |= 1u << i;
            b.wr(kI2c + I2cMaster::MM_CNT_BYTE_VAL_PK0 + 4 * i, len);
            ++i;
        }
        b.wr(kI2c + I2cMaster::MM_PACK_CON0, pack);
        b.wr(kI2c + I2cMaster::MM_CON0, I2cMaster::MASTER_EN | I2cMaster::MM_START_EN);
    }
    void finish() {  // waits for the interrupt and acknowledges it (W1C)
        sc_core::wait(irq.rising());
        b.wr(kI2c + I2cMaster::INT_CTRL, I2cMaster::MM_INT_EN | I2cMaster::MM_INT_STA);
    }
    std::vector<std::uint8_t> drain() {
        std::vector<std::uint8_t> out;
        while (!(b.rd(kI2c + I2cMaster::MM_FIFO_STATUS) & I2cMaster::RX_EMP))
            out.push_back(static_cast<std::uint8_t>(b.rd(kI2c + I2cMaster::MM_FIFO_DATA)));
        return out;
    }
};

// SCL periods of 10 us: the reset phases 65+65+65+65 = 260 cycles of 26 MHz (100 kHz).
sc_time scl100k(unsigned periods) { return sc_time(10, SC_US) * static_cast<double>(periods); }

}  // namespace

TEST_CASE("I2C master: reset values, and unmapped offsets are bus errors") {
    I2cRig r;
    REQUIRE_RUNS([&] {
        CHECK(r.b.rd(kI2c + I2cMaster::MM_CNT_VAL_PHL) == 0x4141);
        CHECK(r.b.rd(kI2c + I2cMaster::MM_STATUS) == I2cMaster::MM_START_READY);
        CHECK(r.b.rd(kI2c + I2cMaster::MM_FIFO_STATUS) == (I2cMaster::RX_EMP | I2cMaster::TX_EMP));
        for (const Register* reg : r.i2c.registers().all()) {
            if (reg->offset() == I2cMaster::MM_FIFO_DATA) continue;  // a read pops (and underflows) the RX FIFO
            INFO(reg->name());
            CHECK(r.b.rd(kI2c + reg->offset()) == reg->reset_value());
        }
        CHECK(r.b.unmapped_is_bus_error(r.i2c, kI2c + 0x04));
        CHECK(r.b.unmapped_is_bus_error(r.i2c, kI2c + 0x4C));  // res_19_20
        CHECK(r.b.unmapped_is_bus_error(r.i2c, kI2c + 0xF0));  // S_FIFO_DATA: subordinate mode not modelled
        CHECK(r.b.wr(kI2c + I2cMaster::MM_ACK_VAL, 1) == tlm::TLM_COMMAND_ERROR_RESPONSE);  // RO
    });
}

TEST_CASE("I2C master at 100 kHz: a 2-byte write started at t interrupts at t + 29 SCL periods") {
    I2cRig r;
    REQUIRE_RUNS([&] {
        r.open();
        sc_core::wait(sc_time(1, SC_MS));
        const auto t = r.b.now();
        r.start(Sht3x::kAddress, {{false, 2}}, {0x24, 0x00});  // single shot, high repeatability
        CHECK(r.b.rd(kI2c + I2cMaster::MM_STATUS) == I2cMaster::BUS_BUSY);
        sc_core::wait(r.irq.rising());
        // START + address (9) + 2 bytes (18) + STOP
        CHECK(r.b.now() - t == scl100k(1 + 9 + 18 + 1));
        CHECK(r.b.rd(kI2c + I2cMaster::INT_CTRL) == (I2cMaster::MM_INT_EN | I2cMaster::MM_INT_STA));
        CHECK(r.b.rd(kI2c + I2cMaster::MM_ACK_VAL) == 0);
        CHECK(r.b.rd(kI2c + I2cMaster::MM_STATUS) == I2cMaster::MM_START_READY);
        CHECK(r.b.rd(kI2c + I2cMaster::MM_FIFO_STATUS) == (I2cMaster::RX_EMP | I2cMaster::TX_EMP));
        CHECK(r.sensor.measurements() == 1);
        r.b.wr(kI2c + I2cMaster::INT_CTRL, I2cMaster::MM_INT_EN | I2cMaster::MM_INT_STA);  // W1C, enable kept
        sc_core::wait(sc_core::SC_ZERO_TIME);
        CHECK_FALSE(r.irq.level());
        CHECK(r.b.rd(kI2c + I2cMaster::INT_CTRL) == I2cMaster::MM_INT_EN);
    });
    const Event* e = r.b.ctx.log.first(ev::i2c_transfer);
    REQUIRE(e);
    CHECK(e->field("addr") == "0x44");
    CHECK(e->field("result") == "ok");
    CHECK(e->fields["wrote"] == 2);
}

TEST_CASE("I2C master: the interrupt is masked by MM_INT_MSK and absent without MM_INT_EN, but MM_INT_STA still sets") {
    I2cRig r;
    REQUIRE_RUNS([&] {
        r.b.wr(kI2c + I2cMaster::MM_CON0, I2cMaster::MASTER_EN);
        r.b.wr(kI2c + I2cMaster::INT_CTRL, I2cMaster::MM_INT_EN | I2cMaster::MM_INT_MSK);
        r.start(0x50, {{false, 0}});
        sc_core::wait(scl100k(20));
        CHECK_FALSE(r.irq.level());
        CHECK(r.b.rd(kI2c + I2cMaster::INT_CTRL) & I2cMaster::MM_INT_STA);
        r.b.wr(kI2c + I2cMaster::INT_CTRL, I2cMaster::MM_INT_EN);  // unmask: the pending status raises the line
        sc_core::wait(sc_core::SC_ZERO_TIME);
        CHECK(r.irq.level());
    });
}

TEST_CASE("I2C master: an address nobody answers is NAKed and the transfer ends after the address byte") {
    I2cRig r;
    REQUIRE_RUNS([&] {
        r.open();
        const auto t = r.b.now();
        r.start(0x50, {{false, 2}, {true, 4}}, {0xAA, 0xBB});
        sc_core::wait(r.irq.rising());
        CHECK(r.b.now() - t == scl100k(1 + 9 + 1));  // START, address + NAK, STOP
        CHECK(r.b.rd(kI2c + I2cMaster::MM_ACK_VAL) == 1u << 8);  // packet 0's address
        CHECK((r.b.rd(kI2c + I2cMaster::MM_FIFO_STATUS) & I2cMaster::TX_EMP) == 0);  // the data never left
    });
    CHECK(r.b.ctx.log.first(ev::i2c_transfer)->field("result") == "address-nak");
}

TEST_CASE("SHT3x over I2C: a read while measuring is NAKed, 15 ms later six bytes decode to the room the host set") {
    I2cRig r;
    r.sensor.set_temperature(23.5);
    r.sensor.set_humidity(61.25);
    REQUIRE_RUNS([&] {
        r.open();
        r.start(Sht3x::kAddress, {{false, 2}}, {0x24, 0x00});
        r.finish();
        const auto measured_at = r.b.now();
        r.start(Sht3x::kAddress, {{true, 6}});
        r.finish();
        CHECK(r.b.rd(kI2c + I2cMaster::MM_ACK_VAL) == 1u << 8);
        CHECK(r.drain().empty());
        sc_core::wait(measured_at + sc_time(15, SC_MS) - r.b.now());
        r.start(Sht3x::kAddress, {{true, 6}});
        r.finish();
        CHECK(r.b.rd(kI2c + I2cMaster::MM_ACK_VAL) == 0);
        const auto d = r.drain();
        REQUIRE(d.size() == 6);
        CHECK(Sht3x::crc8(&d[0], 2) == d[2]);
        CHECK(Sht3x::crc8(&d[3], 2) == d[5]);
        const std::uint16_t st = static_cast<std::uint16_t>(d[0] << 8 | d[1]), srh = static_cast<std::uint16_t>(d[3] << 8 | d[4]);
        CHECK(st == Sht3x::raw_temperature(23.5));
        CHECK(srh == Sht3x::raw_humidity(61.25));
        CHECK(Sht3x::temperature_of(st) == Approx(23.5).margin(0.002));
        CHECK(Sht3x::humidity_of(srh) == Approx(61.25).margin(0.002));
        // Read out: a second read has nothing and is NAKed.
        r.start(Sht3x::kAddress, {{true, 6}});
        r.finish();
        CHECK(r.b.rd(kI2c + I2cMaster::MM_ACK_VAL) == 1u << 8);
    });
}

TEST_CASE("SHT3x: the datasheet's CRC example, and the conversion formulas at their ends") {
    const std::uint8_t beef[2] = {0xBE, 0xEF};
    CHECK(Sht3x::crc8(beef, 2) == 0x92);  // SHT3x datasheet table 19
    CHECK(Sht3x::raw_temperature(-45) == 0);
    CHECK(Sht3x::raw_temperature(130) == 0xFFFF);
    CHECK(Sht3x::raw_temperature(200) == 0xFFFF);  // clamped to the sensor's range
    CHECK(Sht3x::raw_humidity(100) == 0xFFFF);
}

TEST_CASE("I2C master at 400 kHz: write-then-read with a repeated START reads the SHT3x status register") {
    I2cRig r;
    REQUIRE_RUNS([&] {
        r.open();
        // 26 MHz / 400 kHz = 65 cycles, split as Codethink's I2CMaster_SetBusSpeed does: 16, 16, 16, 17
        r.b.wr(kI2c + I2cMaster::MM_CNT_VAL_PHL, 16 | 16 << 8);
        r.b.wr(kI2c + I2cMaster::MM_CNT_VAL_PHH, 16 | 17 << 8);
        CHECK(r.i2c.scl_period() == sc_time(2500, SC_NS));
        const auto t = r.b.now();
        r.start(Sht3x::kAddress, {{false, 2}, {true, 3}}, {0xF3, 0x2D});
        sc_core::wait(r.irq.rising());
        CHECK(r.b.now() - t == sc_time(2500, SC_NS) * static_cast<double>((1 + 9 + 18) + (1 + 9 + 27) + 1));
        const auto d = r.drain();
        REQUIRE(d.size() == 3);
        CHECK((d[0] << 8 | d[1]) == Sht3x::kStatusReset);  // after power-up: the reset-detected bit
        CHECK(Sht3x::crc8(d.data(), 2) == d[2]);
    });
}

TEST_CASE("I2C master: START without MASTER_EN, or while busy, is a guest error and starts nothing") {
    I2cRig r;
    REQUIRE_RUNS([&] {
        const auto before = r.i2c.registers().guest_errors();
        r.b.wr(kI2c + I2cMaster::MM_CON0, I2cMaster::MM_START_EN);
        CHECK(r.i2c.registers().guest_errors() == before + 1);
        CHECK_FALSE(r.i2c.busy());
        r.open();
        r.start(Sht3x::kAddress, {{false, 2}}, {0x24, 0x00});
        r.b.wr(kI2c + I2cMaster::MM_CON0, I2cMaster::MASTER_EN | I2cMaster::MM_START_EN);
        CHECK(r.i2c.registers().guest_errors() == before + 2);
        r.finish();
        CHECK(r.sensor.measurements() == 1);
    });
}

TEST_CASE("I2C master: the TX FIFO holds 8 bytes, a 9th sets TX_OVF, TX_FIFO_CLR empties it, popping an empty RX FIFO sets RX_UDR") {
    I2cRig r;
    REQUIRE_RUNS([&] {
        for (int i = 0; i < 8; ++i) r.b.wr(kI2c + I2cMaster::MM_FIFO_DATA, i);
        CHECK(r.b.rd(kI2c + I2cMaster::MM_FIFO_STATUS) == (I2cMaster::RX_EMP | I2cMaster::TX_FULL));
        CHECK(r.b.rd(kI2c + I2cMaster::MM_FIFO_PTR) == 8u << 12);
        const auto before = r.i2c.registers().guest_errors();
        r.b.wr(kI2c + I2cMaster::MM_FIFO_DATA, 9);
        CHECK(r.i2c.registers().guest_errors() == before + 1);
        CHECK(r.b.rd(kI2c + I2cMaster::MM_FIFO_STATUS) & I2cMaster::TX_OVF);
        r.b.wr(kI2c + I2cMaster::MM_FIFO_CON0, I2cMaster::TX_FIFO_CLR);
        CHECK(r.b.rd(kI2c + I2cMaster::MM_FIFO_STATUS) == (I2cMaster::RX_EMP | I2cMaster::TX_EMP));
        CHECK(r.b.rd(kI2c + I2cMaster::MM_FIFO_CON0) == 0);  // self-clearing
        r.b.rd(kI2c + I2cMaster::MM_FIFO_DATA);
        CHECK(r.b.rd(kI2c + I2cMaster::MM_FIFO_STATUS) & I2cMaster::RX_UDR);
    });
}

TEST_CASE("SHT3x: the same seed gives the same noisy readings, another seed other ones") {
    test::SimContext a, b2, c;
    DeviceContext dc{"dev2", c.log, 2};
    Sht3x s1(a.device), s2(b2.device), s3(dc);
    const auto measure = [](Sht3x& s) {
        s.start(false);
        s.write(0x24);
        s.write(0x00);
        s.stop();
        sc_core::wait(sc_time(15, SC_MS));
        CHECK(s.start(true));
        std::vector<std::uint8_t> d;
        for (int i = 0; i < 6; ++i) d.push_back(s.read(i < 5));
        s.stop();
        return d;
    };
    REQUIRE_RUNS([&] {
        std::vector<std::vector<std::uint8_t>> r1, r2, r3;
        for (int i = 0; i < 4; ++i) {
            r1.push_back(measure(s1));
            r2.push_back(measure(s2));
            r3.push_back(measure(s3));
        }
        CHECK(r1 == r2);
        CHECK(r1 != r3);
        for (const auto& d : r1) {  // within the default noise (0.04 C, 0.08 %RH) of 22 C / 45 %RH
            CHECK(Sht3x::temperature_of(static_cast<std::uint16_t>(d[0] << 8 | d[1])) == Approx(22.0).margin(0.045));
            CHECK(Sht3x::humidity_of(static_cast<std::uint16_t>(d[3] << 8 | d[4])) == Approx(45.0).margin(0.085));
        }
    });
}

// ---- SPI -------------------------------------------------------------------------------

namespace {

struct SpiRig {
    test::PeriphBench b;
    IrqLine irq{"spi_irq"};
    SpiBus wire;
    SpiNorFlash flash{2 * 1024 * 1024};
    SpiMaster spi{"isu1_spi", b.ctx.device, sc_time(10, SC_NS), kHclkHz, wire, &irq};
    // 2 MHz requested as Codethink's SPIMaster_Configure does: ceil(79.04 MHz / 2 MHz) - 2 = 38
    static constexpr std::uint32_t kClkSel = 38;
    SpiRig() {
        b.attach("isu1_spi", spi.socket, kSpi, 0x100);
        wire.attach(0, flash);
    }
    static sc_time sck() { return sc_time(static_cast<double>((kClkSel + 2) * 1'000'000'000'000ull / kHclkHz), SC_PS); }
    // One frame: `cmd` bytes of command (from SOAR), then write `out` and/or read `in_len` bytes.
    void frame(unsigned cmd_bytes, std::uint32_t soar, std::vector<std::uint8_t> out, unsigned in_len,
               bool duplex = false, unsigned cs = 0, std::uint32_t extra_smmr = 0) {
        b.wr(kSpi + SpiMaster::SMMR, SpiMaster::INT_EN | kClkSel << SpiMaster::RS_CLK_SEL_SHIFT |
                                         cs << SpiMaster::RS_SLAVE_SEL_SHIFT | (duplex ? SpiMaster::BOTH_DIRECTIONAL : 0) |
                                         extra_smmr);
        b.wr(kSpi + SpiMaster::SOAR, soar);
        const unsigned out_len = static_cast<unsigned>(out.size());
        out.resize(32, 0xFF);
        for (unsigned w = 0; w < 8; ++w)
            b.wr(kSpi + SpiMaster::SDOR0 + 4 * w, static_cast<std::uint32_t>(out[4 * w]) | out[4 * w + 1] << 8 |
                                                      out[4 * w + 2] << 16 | static_cast<std::uint32_t>(out[4 * w + 3]) << 24);
        b.wr(kSpi + SpiMaster::SMBCR, (cmd_bytes * 8) << 24 | (in_len * 8) << 12 | out_len * 8);
        b.wr(kSpi + SpiMaster::STCSR, SpiMaster::SPI_MASTER_START);
    }
    std::vector<std::uint8_t> sdir(unsigned n) {
        std::vector<std::uint8_t> out;
        for (unsigned i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(b.rd(kSpi + SpiMaster::SDIR0 + 4 * (i / 4)) >> (8 * (i % 4))));
        return out;
    }
    void finish() {
        sc_core::wait(irq.rising());
        b.rd(kSpi + SpiMaster::SCSR);  // acknowledges
    }
};

}  // namespace

TEST_CASE("SPI master: reset values, and unmapped offsets are bus errors") {
    SpiRig r;
    REQUIRE_RUNS([&] {
        for (const Register* reg : r.spi.registers().all()) {
            if (reg->access() == Access::wo) continue;
            INFO(reg->name());
            CHECK(r.b.rd(kSpi + reg->offset()) == reg->reset_value());
        }
        CHECK(r.b.unmapped_is_bus_error(r.spi, kSpi + 0x30));  // rsv
        CHECK(r.b.unmapped_is_bus_error(r.spi, kSpi + 0x3C));  // res_15
        CHECK(r.b.unmapped_is_bus_error(r.spi, kSpi + 0x44));  // res_17
        CHECK(r.b.unmapped_is_bus_error(r.spi, kSpi + 0x68));  // past SDIR7
        CHECK(r.b.wr(kSpi + SpiMaster::SDIR0, 1) == tlm::TLM_COMMAND_ERROR_RESPONSE);  // RO
    });
}

TEST_CASE("SPI master at 1.976 MHz: a JEDEC ID read started at t interrupts at t + 34 SCK periods, reading SCSR clears it") {
    SpiRig r;
    REQUIRE_RUNS([&] {
        sc_core::wait(sc_time(1, SC_MS));
        const auto t = r.b.now();
        r.frame(1, SpiNorFlash::kReadId, {}, 3);
        CHECK(r.b.rd(kSpi + SpiMaster::STCSR) == SpiMaster::SPI_MASTER_BUSY);
        sc_core::wait(r.irq.rising());
        // chip-select set-up, 1 command byte + 3 data bytes of 8 SCK each, hold
        CHECK(r.b.now() - t == r.sck() * 34.0);
        CHECK(r.b.rd(kSpi + SpiMaster::STCSR) == 0);
        CHECK(r.sdir(3) == std::vector<std::uint8_t>{0xEF, 0x40, 0x15});  // Winbond, 2 MiB = 2^21
        CHECK(r.irq.level());
        CHECK(r.b.rd(kSpi + SpiMaster::SCSR) == (SpiMaster::SPI_OK | SpiMaster::SPI_WRITE_OK | SpiMaster::SPI_READ_OK));
        sc_core::wait(sc_core::SC_ZERO_TIME);
        CHECK_FALSE(r.irq.level());
    });
    const Event* e = r.b.ctx.log.first(ev::spi_transfer);
    REQUIRE(e);
    CHECK(e->fields["bytes"] == 4);
    CHECK(e->field("result") == "ok");
}

TEST_CASE("SPI flash: write enable, page program (busy 0.4 ms), then the bytes read back, without WEL nothing is written") {
    SpiRig r;
    REQUIRE_RUNS([&] {
        // Without write enable: ignored.
        r.frame(4, std::uint32_t{SpiNorFlash::kPageProgram} << 24 | 0x000100, {1, 2, 3, 4}, 0);
        r.finish();
        CHECK(r.flash.contents()[0x100] == 0xFF);
        r.frame(1, SpiNorFlash::kWriteEnable, {}, 0);
        r.finish();
        r.frame(1, SpiNorFlash::kReadStatus, {}, 1);
        r.finish();
        CHECK(r.sdir(1)[0] == SpiNorFlash::kWel);
        r.frame(4, std::uint32_t{SpiNorFlash::kPageProgram} << 24 | 0x0001FE, {0xAA, 0xBB, 0xCC, 0xDD}, 0);
        r.finish();
        const auto programmed = r.b.now();  // chip select rose as the frame ended
        r.frame(1, SpiNorFlash::kReadStatus, {}, 1);
        r.finish();
        CHECK(r.sdir(1)[0] == SpiNorFlash::kBusy);  // WEL cleared by the program
        sc_core::wait(programmed + sc_time(400, SC_US) - r.b.now());
        r.frame(1, SpiNorFlash::kReadStatus, {}, 1);
        r.finish();
        CHECK(r.sdir(1)[0] == 0);
        // The address wrapped inside its page: 0x1FE, 0x1FF, then 0x100, 0x101.
        r.frame(4, std::uint32_t{SpiNorFlash::kRead} << 24 | 0x0001FE, {}, 2);
        r.finish();
        CHECK(r.sdir(2) == std::vector<std::uint8_t>{0xAA, 0xBB});
        r.frame(4, std::uint32_t{SpiNorFlash::kFastRead} << 24 | 0x000100, {0x00}, 2);  // + dummy byte
        r.finish();
        CHECK(r.sdir(2) == std::vector<std::uint8_t>{0xCC, 0xDD});
    });
    CHECK(r.flash.contents()[0x1FE] == 0xAA);
    CHECK(r.flash.contents()[0x101] == 0xDD);
    CHECK(r.flash.contents()[0x102] == 0xFF);
}

TEST_CASE("SPI flash: sector erase sets 4 KiB back to 0xFF and keeps the flash busy for 45 ms") {
    SpiRig r;
    r.flash.load(0x1000, std::vector<std::uint8_t>(0x2000, 0x00));
    REQUIRE_RUNS([&] {
        r.frame(1, SpiNorFlash::kWriteEnable, {}, 0);
        r.finish();
        r.frame(4, std::uint32_t{SpiNorFlash::kSectorErase} << 24 | 0x001234, {}, 0);
        r.finish();
        CHECK(r.flash.busy());
        sc_core::wait(sc_time(44, SC_MS));
        CHECK(r.flash.busy());
        r.frame(1, SpiNorFlash::kReadId, {}, 3);  // ignored while busy
        r.finish();
        CHECK(r.sdir(3) == std::vector<std::uint8_t>{0xFF, 0xFF, 0xFF});
        sc_core::wait(sc_time(1, SC_MS));
        CHECK_FALSE(r.flash.busy());
    });
    CHECK(r.flash.contents()[0x1000] == 0xFF);
    CHECK(r.flash.contents()[0x1FFF] == 0xFF);
    CHECK(r.flash.contents()[0x2000] == 0x00);  // the next sector is untouched
}

namespace {
// A test double on the wire: answers each byte with the previous one it received (a shift register).
struct Echo : SpiTarget {
    std::vector<std::uint8_t> seen;
    std::vector<bool> selects;
    std::uint8_t last = 0x5A;
    void select(bool active) override { selects.push_back(active); }
    std::uint8_t exchange(std::uint8_t mosi) override {
        seen.push_back(mosi);
        return std::exchange(last, mosi);
    }
};
}  // namespace

TEST_CASE("SPI master: full duplex exchanges SDOR and SDIR byte for byte inside one chip-select frame, LSB first turns bytes around") {
    SpiRig r;
    Echo echo;
    r.wire.attach(1, echo);
    REQUIRE_RUNS([&] {
        r.frame(2, 0xC1C2, {0x10, 0x20, 0x30}, 3, /*duplex=*/true, /*cs=*/1);
        r.finish();
        CHECK(echo.seen == std::vector<std::uint8_t>{0xC1, 0xC2, 0x10, 0x20, 0x30});  // command first, MSB byte first
        CHECK(echo.selects == std::vector<bool>{true, false});
        CHECK(r.sdir(3) == std::vector<std::uint8_t>{0xC2, 0x10, 0x20});
        r.frame(0, 0, {0x01}, 0, false, 1, SpiMaster::LSB_FIRST);
        r.finish();
        CHECK(echo.seen.back() == 0x80);
    });
}

TEST_CASE("SPI master: no target on the chip select reads 0xFF, a bit count that is not whole bytes starts nothing") {
    SpiRig r;
    REQUIRE_RUNS([&] {
        r.frame(1, SpiNorFlash::kReadId, {}, 2, false, /*cs=*/1);
        r.finish();
        CHECK(r.sdir(2) == std::vector<std::uint8_t>{0xFF, 0xFF});
        const auto before = r.spi.registers().guest_errors();
        r.b.wr(kSpi + SpiMaster::SMBCR, 12);  // 12 MOSI bits
        r.b.wr(kSpi + SpiMaster::STCSR, SpiMaster::SPI_MASTER_START);
        CHECK(r.spi.registers().guest_errors() == before + 1);
        CHECK_FALSE(r.spi.busy());
    });
    CHECK(r.b.ctx.log.first(ev::spi_transfer)->field("result") == "no-target");
}

// The I2cMaster, SpiMaster, Adc and Pwm capabilities on a provisioned mt3620: an app granted one
// reaches the real block through its /dev node (the sensor on ISU2's wire, the flash on ISU1's,
// the ADC's inputs, a PWM channel's pin), and the firewall gives the block to the app core
// alone; an app not granted one gets EPERM and a capability-denied event; one owner per
// resource.
#include <catch2/catch.hpp>

#include "models/periph/sht3x.h"
#include "tests/os/os_rig.h"

using namespace svp;
using namespace svp::test;
using os::AppContext;

TEST_CASE("I2cMaster ISU2: an app reads the SHT3x on the wire, NAKs are ENXIO, ISU2's windows go to the app core alone") {
    long measure = 0, early = 0, late = 0, nobody = 0, speed = 0;
    std::uint8_t data[6] = {};
    register_app("/test/i2c", [&](AppContext& c) {
        const int fd = c.open("/dev/i2c-isu2", os::o_rdwr);
        std::uint8_t hz[4] = {0x80, 0x1A, 0x06, 0x00};  // 400000
        speed = c.ioctl(fd, os::ioctl::i2c_set_speed, hz);
        const std::uint8_t cmd[2] = {0x24, 0x00};       // single shot, high repeatability
        measure = c.i2c_write_then_read(fd, Sht3x::kAddress, cmd, {});
        early = c.i2c_write_then_read(fd, Sht3x::kAddress, {}, data);  // still measuring: NAK
        c.sleep(ms(15));
        late = c.i2c_write_then_read(fd, Sht3x::kAddress, {}, data);
        nobody = c.i2c_write_then_read(fd, 0x50, cmd, {});
        return idle(c);
    });
    OsRigOptions o;
    o.apps = {{manifest("sensor", "/test/i2c", {{"I2cMaster", {"ISU2"}}})}};
    OsRig rig(o);
    // Left open to rt0 as well before the OS boots (as a previous owner might have left it): the
    // assignment must take that away.
    sc_core::sc_spawn([&] { rig.share_region_at_reset("i2c_isu2", "rt0"); });
    auto& sensor = rig.device.sht3x("i2c_isu2", Sht3x::kAddress);
    sensor.set_temperature(24.25);
    sensor.set_humidity(38.5);
    sensor.set_noise(0, 0);
    run_for(s(1));
    CHECK(speed == 0);
    CHECK(measure == 2);
    CHECK(early == -ENXIO);
    CHECK(late == 6);
    CHECK((data[0] << 8 | data[1]) == Sht3x::raw_temperature(24.25));
    CHECK((data[3] << 8 | data[4]) == Sht3x::raw_humidity(38.5));
    CHECK(Sht3x::crc8(data, 2) == data[2]);
    CHECK(nobody == -ENXIO);
    CHECK(rig.count(ev::os_security_firewall, {{"action", "assign"}, {"resource", "ISU2"}, {"status", "assigned"}}) == 1);
    CHECK(rig.firewall_owners("i2c_isu2") == "a7");
    CHECK(rig.firewall_owners("spi_isu2") == "a7");
    CHECK(rig.firewall_owners("gpio_isu2") == "a7");
    CHECK(rig.count(ev::i2c_transfer, {{"i2c", "dev0.i2c_isu2"}, {"result", "ok"}}) >= 2);
}

TEST_CASE("SpiMaster ISU1: an app reads the serial flash's JEDEC ID and the bytes the factory put there") {
    long id_rc = 0, read_rc = 0, bad_cs = 0;
    std::uint8_t id[3] = {}, bytes[4] = {};
    register_app("/test/spi", [&](AppContext& c) {
        const int fd = c.open("/dev/spi-isu1", os::o_rdwr);
        const std::uint8_t rdid[1] = {0x9F}, read[4] = {0x03, 0x00, 0x10, 0x00};
        id_rc = c.spi_write_then_read(fd, 0, rdid, id);
        read_rc = c.spi_write_then_read(fd, 0, read, bytes);
        bad_cs = c.spi_write_then_read(fd, 2, rdid, id);
        return idle(c);
    });
    OsRigOptions o;
    o.apps = {{manifest("flash-reader", "/test/spi", {{"SpiMaster", {"ISU1"}}})}};
    OsRig rig(o);
    rig.device.spi_flash("spi_isu1", 0).load(0x1000, {0xDE, 0xAD, 0xBE, 0xEF});
    run_for(s(1));
    CHECK(id_rc == 4);
    CHECK(std::vector<std::uint8_t>(id, id + 3) == std::vector<std::uint8_t>{0xEF, 0x40, 0x15});
    CHECK(read_rc == 8);
    CHECK(std::vector<std::uint8_t>(bytes, bytes + 4) == std::vector<std::uint8_t>{0xDE, 0xAD, 0xBE, 0xEF});
    CHECK(bad_cs == -EINVAL);
    CHECK(rig.firewall_owners("spi_isu1") == "a7");
}

TEST_CASE("Adc ADC-CONTROLLER-0: an app samples the voltages the host put on the inputs, at either reference") {
    long half = 0, full = 0, at_1v8 = 0, bad = 0;
    register_app("/test/adc", [&](AppContext& c) {
        const int fd = c.open("/dev/adc0", os::o_rdwr);
        half = c.adc_poll(fd, 2);
        full = c.adc_poll(fd, 7);
        std::uint8_t mv[4] = {0x08, 0x07, 0, 0};  // 1800
        c.ioctl(fd, os::ioctl::adc_set_reference, mv);
        at_1v8 = c.adc_poll(fd, 2);
        bad = c.adc_poll(fd, 8);
        return idle(c);
    });
    OsRigOptions o;
    o.apps = {{manifest("meter", "/test/adc", {{"Adc", {"ADC-CONTROLLER-0"}}})}};
    OsRig rig(o);
    auto& adc = rig.device.block_as<Adc>("adc");
    adc.set_input_mv(2, 1250);
    adc.set_input_mv(7, 3000);  // above the reference: full scale
    run_for(s(1));
    CHECK(half == 2048);
    CHECK(full == 4095);
    CHECK(at_1v8 == 2844);  // 1250 / 1800 * 4095, rounded
    CHECK(bad == -EINVAL);
    CHECK(rig.firewall_owners("adc") == "a7");
}

TEST_CASE("Pwm PWM-CONTROLLER-1: an app sets a 1 ms, 25 % wave on channel 3 and stops it") {
    long on = 0, too_long = 0;
    Pwm::Output at_kick;
    register_app("/test/pwm", [&](AppContext& c) {
        const int fd = c.open("/dev/pwm1", os::o_rdwr);
        on = c.pwm_apply(fd, 3, 1'000'000, 250'000, false, true);
        c.sleep(ms(5));
        too_long = c.pwm_apply(fd, 3, 100'000'000, 90'000'000, false, true);
        c.sleep(ms(5));
        c.pwm_apply(fd, 3, 1'000'000, 250'000, false, false);
        return idle(c);
    });
    OsRigOptions o;
    o.apps = {{manifest("dimmer", "/test/pwm", {{"Pwm", {"PWM-CONTROLLER-1"}}})}};
    OsRig rig(o);
    auto& pwm = rig.device.block_as<Pwm>("pwm_1");
    rig.device.context().events.on_event([&](const Event& e) {  // the pin as the kick leaves it
        if (e.is(ev::pwm_output) && e.field("enabled") == "true" && !at_kick.running) at_kick = pwm.output(3);
    });
    run_for(s(1));
    CHECK(at_kick.running);
    CHECK(at_kick.period_ns == 1'000'000);
    CHECK(at_kick.duty_permille == 250);
    CHECK(at_kick.level);  // the active (high) part comes first
    CHECK(on == 0);
    CHECK(too_long == -EINVAL);
    CHECK_FALSE(pwm.output(3).running);
    const Event* kicked = rig.first(ev::pwm_output, {{"pwm", "dev0.pwm_1"}, {"channel", "3"}, {"enabled", "true"}});
    REQUIRE(kicked);
    CHECK(kicked->field("period_ns") == "1000000");
    CHECK(kicked->field("duty_permille") == "250");
    CHECK(rig.count(ev::pwm_output, {{"pwm", "dev0.pwm_1"}, {"channel", "3"}, {"enabled", "false"}}) == 1);
    CHECK(rig.firewall_owners("pwm_1") == "a7");
}

TEST_CASE("I2cMaster, SpiMaster, Adc, Pwm not listed: EPERM and a capability-denied event for each") {
    std::map<std::string, int> rc;
    register_app("/test/greedy", [&](AppContext& c) {
        for (const auto* node : {"/dev/i2c-isu2", "/dev/spi-isu1", "/dev/adc0", "/dev/pwm2", "/dev/i2c-isu3"})
            rc[node] = c.open(node, os::o_rdwr);
        return idle(c);
    });
    OsRigOptions o;
    o.apps = {{manifest("greedy", "/test/greedy", {{"I2cMaster", {"ISU3"}}})}};
    OsRig rig(o);
    run_for(s(1));
    CHECK(rc["/dev/i2c-isu2"] == -EPERM);
    CHECK(rc["/dev/spi-isu1"] == -EPERM);
    CHECK(rc["/dev/adc0"] == -EPERM);
    CHECK(rc["/dev/pwm2"] == -EPERM);
    CHECK(rc["/dev/i2c-isu3"] >= 0);  // the one it was granted
    CHECK(rig.count(ev::os_security_capability_denied, {{"app", "greedy"}, {"capability", "I2cMaster"}, {"resource", "ISU2"}}) == 1);
    CHECK(rig.count(ev::os_security_capability_denied, {{"app", "greedy"}, {"capability", "SpiMaster"}, {"resource", "ISU1"}}) == 1);
    CHECK(rig.count(ev::os_security_capability_denied, {{"app", "greedy"}, {"capability", "Adc"}, {"resource", "ADC-CONTROLLER-0"}}) == 1);
    CHECK(rig.count(ev::os_security_capability_denied, {{"app", "greedy"}, {"capability", "Pwm"}, {"resource", "PWM-CONTROLLER-2"}}) == 1);
}

TEST_CASE("one owner per resource: a second app claiming the I2C master's ISU, or the ADC, is refused at start") {
    register_app("/test/idle", idle);
    OsRigOptions o;
    o.apps = {{manifest("first", "/test/idle", {{"I2cMaster", {"ISU2"}}, {"Adc", {"ADC-CONTROLLER-0"}}})},
              {manifest("uart-on-isu2", "/test/idle", {{"Uart", {"ISU2"}}})},
              {manifest("adc-again", "/test/idle", {{"Adc", {"ADC-CONTROLLER-0"}}})},
              {manifest("adc-pin", "/test/idle", {{"Gpio", {44}}})}};
    OsRig rig(o);
    run_for(s(1));
    CHECK(rig.count(ev::os_app_started, {{"app", "first"}}) == 1);
    CHECK(rig.count(ev::os_app_rejected, {{"app", "uart-on-isu2"}, {"reason", "resource-owned"}}) == 1);
    CHECK(rig.count(ev::os_app_rejected, {{"app", "adc-again"}, {"reason", "resource-owned"}}) == 1);
    CHECK(rig.count(ev::os_app_rejected, {{"app", "adc-pin"}, {"reason", "resource-owned"}}) == 1);
}

TEST_CASE("the telemetry app granted ISU2's I2C master measures with the SHT3x on each reading") {
    OsRigOptions o;
    // Every second, three readings (no cloud here: each post is refused, the readings still happen).
    o.apps = {{manifest("telemetry", "/bin/telemetry", {{"I2cMaster", {"ISU2"}}}, {"1", "3"})}};
    OsRig rig(o);
    auto& sensor = rig.device.sht3x("i2c_isu2", Sht3x::kAddress);
    run_for(s(5));
    CHECK(sensor.measurements() == 3);
    // Each reading: the measure command, then the six result bytes 15 ms later.
    CHECK(rig.count(ev::i2c_transfer, {{"i2c", "dev0.i2c_isu2"}, {"addr", "0x44"}, {"wrote", "2"}, {"result", "ok"}}) == 3);
    CHECK(rig.count(ev::i2c_transfer, {{"i2c", "dev0.i2c_isu2"}, {"addr", "0x44"}, {"read", "6"}, {"result", "ok"}}) == 3);
    CHECK_THAT(rig.device.uart("uart_a7").transcript(), Catch::Contains("from the SHT3x"));
}

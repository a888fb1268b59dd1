// Variant files: every shipped one builds, and each kind of mistake gets its own clear
// `file:line: what` error.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

#include "common/util/input_error.h"
#include "models/net/host_bridge.h"
#include "platform/device.h"
#include "tests/support/sim.h"

using namespace svp;
namespace fs = std::filesystem;

namespace {

std::string mt3620_text() { return read_text_file(find_variant("mt3620")); }

// Writes `text` to a temporary variant file and returns the error loading it gives.
std::string error_of(const std::string& text) {
    auto path = fs::temp_directory_path() / ("svp-variant-" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(path) << text;
    try {
        load_variant(path);
    } catch (const InputError& e) {
        fs::remove(path);
        return e.what();
    }
    fs::remove(path);
    return "accepted";
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

int line_of_error(const std::string& message) {
    std::smatch m;
    REQUIRE(std::regex_search(message, m, std::regex(R"(\.yaml:(\d+): )")));
    return std::stoi(m[1]);
}

int line_containing(const std::string& text, const std::string& needle) {
    auto at = text.find(needle);
    REQUIRE(at != std::string::npos);
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

}  // namespace

TEST_CASE("every shipped variant builds into a device the OS can run on") {
    for (const auto& name : shipped_variants()) {
        INFO(name);
        test::SimContext ctx;
        HostBridge bridge;
        Device device(("dev_" + name).c_str(), load_variant(find_variant(name)), ctx.device, bridge);
        auto tree = device.os_device_tree(0);
        CHECK(tree.console_uart != 0);
        CHECK(tree.sec_mailbox != 0);
        CHECK(tree.ram_size > 0);
    }
    CHECK_FALSE(shipped_variants().empty());
}

TEST_CASE("the mt3620 variant has the MT3620 address map") {
    auto v = load_variant(find_variant("mt3620"));
    CHECK(v.memory("sram").base == 0x80000000);
    CHECK(v.memory("sram").size == 4u << 20);
    CHECK(v.flash().base == 0x90000000);
    CHECK(v.flash().size == 16u << 20);
    CHECK(v.core("a7").clock_mhz == 500);
    CHECK(v.initiators().front() == "a7");
}

TEST_CASE("overlapping windows name both and the line of each") {
    const auto text = replace(mt3620_text(), "base: 0x60000000", "base: 0x80001000");
    const auto err = error_of(text);
    CHECK_THAT(err, Catch::Contains("overlaps 'sram'"));
    CHECK(line_of_error(err) == line_containing(text, "base: 0x80001000"));
}

TEST_CASE("an unknown peripheral kind lists the known ones") {
    const auto text = replace(mt3620_text(), "kind: nic", "kind: wifi");
    const auto err = error_of(text);
    CHECK_THAT(err, Catch::Contains("unknown peripheral kind 'wifi'"));
    for (const char* kind : {"uart", "mailbox", "nic", "firewall", "otp", "flash-controller"}) CHECK_THAT(err, Catch::Contains(kind));
    CHECK(line_of_error(err) == line_containing(text, "kind: wifi"));
}

TEST_CASE("an implausible clock is refused at its line") {
    const auto text = replace(mt3620_text(), "a7:  {kind: app-core, clock_mhz: 500}", "a7:  {kind: app-core, clock_mhz: -5}");
    const auto err = error_of(text);
    CHECK_THAT(err, Catch::Contains("not a plausible clock"));
    CHECK(line_of_error(err) == line_containing(text, "clock_mhz: -5"));
}

TEST_CASE("a missing required field is named") {
    const auto text = replace(mt3620_text(), "size: 4MiB, ", "");
    const auto err = error_of(text);
    CHECK_THAT(err, Catch::Contains("missing required key 'size'"));
}

TEST_CASE("a misspelt key is refused rather than defaulted") {
    const auto text = replace(mt3620_text(), "hop_ns: 4", "hop_nss: 4");
    const auto err = error_of(text);
    CHECK_THAT(err, Catch::Contains("unknown key 'hop_nss'"));
    CHECK(line_of_error(err) == line_containing(text, "hop_nss"));
}

TEST_CASE("a boot stage naming a missing partition, and a partition off the end of flash") {
    auto err = error_of(replace(mt3620_text(), "slots: [os_a, os_b]", "slots: [os_a, os_c]"));
    CHECK_THAT(err, Catch::Contains("no flash partition named 'os_c'"));
    err = error_of(replace(mt3620_text(), "{name: config, offset: 0xF77000, size: 512KiB}", "{name: config, offset: 0xF77000, size: 1MiB}"));
    CHECK_THAT(err, Catch::Contains("past the end of the flash"));
}

TEST_CASE("a YAML syntax error reports its line") {
    const auto err = error_of("variant: x\ncores: [\n");
    CHECK_THAT(err, Catch::Contains("YAML syntax"));
}

TEST_CASE("`platform show` describes the resolved map") {
    test::SimContext ctx;
    HostBridge bridge;
    Device device("dev0", load_variant(find_variant("mt3620")), ctx.device, bridge);
    const auto text = device.describe();
    CHECK_THAT(text, Catch::Contains("0x80000000-0x803fffff"));
    CHECK_THAT(text, Catch::Contains("boot chain: security-monitor [sm_a/sm_b] -> os-kernel [os_a/os_b] -> OS"));
}

TEST_CASE("a firewall owner that is not an initiator is refused at its line, naming the initiators") {
    const auto text = replace(mt3620_text(), "firewall: {owners: [a7]}}", "firewall: {owners: [a8]}}");
    const auto err = error_of(text);
    CHECK_THAT(err, Catch::Contains("'a8' is not an initiator"));
    CHECK_THAT(err, Catch::Contains("a7, rt0, rt1, sec, nic"));
    CHECK(line_of_error(err) == line_containing(text, "owners: [a8]"));
}

TEST_CASE("a firewall rule with no firewall block to enforce it, and an unknown firewall mode") {
    auto text = mt3620_text();
    const auto start = text.find("  - {name: firewall, kind: firewall");
    REQUIRE(start != std::string::npos);
    const auto end = text.find("\n  - ", start + 1);
    text.erase(start, end - start + 1);
    auto err = error_of(text);
    CHECK_THAT(err, Catch::Contains("no peripheral of kind firewall enforces it"));
    CHECK(line_of_error(err) == line_containing(text, "firewall: {owners: [a7, sec, nic]}"));
    err = error_of(replace(mt3620_text(), "firewall: {owners: [a7]}}", "firewall: {owners: [a7], mode: silent}}"));
    CHECK_THAT(err, Catch::Contains("expected error (a bus error) or raz-wi"));
}

TEST_CASE("interrupt wiring mistakes: an unknown line, an SPI past the controller, two lines on one SPI, a shared line") {
    auto text = replace(mt3620_text(), "gpt_a7: 32,", "gpt_a7: 32, doorbell: 33,");
    auto err = error_of(text);
    CHECK_THAT(err, Catch::Contains("no peripheral raises an irq named 'doorbell'"));
    CHECK(line_of_error(err) == line_containing(text, "doorbell: 33"));
    text = replace(mt3620_text(), "nic: 111}", "nic: 200}");
    err = error_of(text);
    CHECK_THAT(err, Catch::Contains("SPI 200 is past the controller's 160 interrupt ids"));
    CHECK(line_of_error(err) == line_containing(text, "nic: 200"));
    text = replace(mt3620_text(), "gpt_a7: 32,", "gpt_a7: 24,");
    err = error_of(text);
    CHECK_THAT(err, Catch::Contains("uart_a7 and gpt_a7 are both wired to SPI 24"));
    text = replace(mt3620_text(), "irq: uart_isu1,", "irq: uart_a7,");
    err = error_of(text);
    CHECK_THAT(err, Catch::Contains("irq 'uart_a7' of 'uart_isu1' is already raised by 'uart_a7'"));
    CHECK(line_of_error(err) == line_containing(text, "name: uart_isu1"));
}

TEST_CASE("peripheral mistakes: a watchdog for a core that does not exist, bad GPIO pins, a flash controller without flash") {
    auto text = replace(mt3620_text(), "resets: core, core: rt0}", "resets: core, core: rt7}");
    auto err = error_of(text);
    CHECK_THAT(err, Catch::Contains("'rt7' is not a core of this variant"));
    CHECK(line_of_error(err) == line_containing(text, "core: rt7"));
    text = replace(mt3620_text(), "pins: 0-3,", "pins: 3-0,");
    err = error_of(text);
    CHECK_THAT(err, Catch::Contains("'3-0' is not a pin number or a range"));
    CHECK(line_of_error(err) == line_containing(text, "pins: 3-0"));
    text = replace(mt3620_text(), "flash: flash,", "flash: sram,");
    err = error_of(text);
    CHECK_THAT(err, Catch::Contains("'sram' is not a nor-flash memory"));
    text = replace(mt3620_text(), "clock_hz: 32768", "clock_hz: 0");
    CHECK_THAT(error_of(text), Catch::Contains("not a plausible RTC clock"));
}

TEST_CASE("timing mistakes: an alias outside its memory, contention without a bus clock, absurd wait states") {
    auto err = error_of(replace(mt3620_text(), "aliases: [{base: 0x10000000, size: 16MiB,", "aliases: [{base: 0x10000000, size: 32MiB,"));
    CHECK_THAT(err, Catch::Contains("the alias must lie inside 'flash'"));
    err = error_of(replace(mt3620_text(), "  clock_mhz: 200         # interconnect clock (assumed)\n", ""));
    CHECK_THAT(err, Catch::Contains("the contention model needs the bus clock_mhz"));
    err = error_of(replace(mt3620_text(), "write_ns: 6, wait_states: 1,", "write_ns: 6, wait_states: 100000,"));
    CHECK_THAT(err, Catch::Contains("not a plausible memory"));
}

TEST_CASE("only a test variant may switch a defence off (regression power)") {
    const auto production = mt3620_text() + "defences_off: [boot.signature]\n";
    auto err = error_of(production);
    CHECK_THAT(err, Catch::Contains("only a test variant (test_variant: true) may switch a defence off"));
    CHECK(line_of_error(err) == line_containing(production, "defences_off"));
    CHECK_THAT(error_of(mt3620_text() + "test_variant: true\ndefences_off: [boot.magic]\n"), Catch::Contains("no defence 'boot.magic'"));
    CHECK(error_of(mt3620_text() + "test_variant: true\ndefences_off: [boot.signature]\n") == "accepted");
    for (const auto& name : shipped_variants()) {
        INFO(name);
        const auto v = load_variant(find_variant(name));
        CHECK_FALSE(v.test_variant);
        CHECK(v.defences.all_on());
    }
}

TEST_CASE("crypto-engine cost mistakes: a zero cost, an absurd one, a misspelt figure, a second engine block, each at its line") {
    {
        const auto text = replace(mt3620_text(), "ecdsa_p256_verify_cycles: 1200000", "ecdsa_p256_verify_cycles: 0");
        const auto err = error_of(text);
        CHECK_THAT(err, Catch::Contains("ecdsa_p256_verify_cycles") && Catch::Contains("not a plausible engine cost"));
        CHECK(line_of_error(err) == line_containing(text, "ecdsa_p256_verify_cycles: 0"));
    }
    {
        const auto text = replace(mt3620_text(), "aes_gcm_cycles_per_block: 24", "aes_gcm_cycles_per_block: 5000000000");
        const auto err = error_of(text);
        CHECK_THAT(err, Catch::Contains("5000000000 cycles is not a plausible engine cost"));
        CHECK(line_of_error(err) == line_containing(text, "aes_gcm_cycles_per_block: 5000000000"));
    }
    {
        const auto text = replace(mt3620_text(), "hmac_sha256_cycles_per_block: 80", "hmac_cycles_per_block: 80");
        const auto err = error_of(text);
        CHECK_THAT(err, Catch::Contains("unknown key 'hmac_cycles_per_block'"));
        CHECK(line_of_error(err) == line_containing(text, "hmac_cycles_per_block"));
    }
    {
        const std::string engine = "  - {name: crypto, kind: crypto, base: 0x300B0000, irq: crypto, firewall: {owners: [sec], secure_only: true}}\n";
        const auto text = replace(mt3620_text(), engine, engine + "  - {name: crypto2, kind: crypto, base: 0x300C8000, irq: crypto2}\n");
        const auto err = error_of(text);
        CHECK_THAT(err, Catch::Contains("at most one crypto engine block"));
        CHECK(line_of_error(err) == line_containing(text, "name: crypto2"));
    }
}

TEST_CASE("the shipped variants give their crypto engines different speeds") {
    const auto mt = load_variant(find_variant("mt3620")).crypto;
    const auto lite = load_variant(find_variant("mt3620-lite")).crypto;
    const auto next = load_variant(find_variant("nextgen")).crypto;
    CHECK(lite.sha256_cycles_per_block > mt.sha256_cycles_per_block);
    CHECK(mt.sha256_cycles_per_block > next.sha256_cycles_per_block);
    CHECK(lite.hmac_sha256_cycles_per_block > mt.hmac_sha256_cycles_per_block);
    CHECK(mt.hmac_sha256_cycles_per_block > next.hmac_sha256_cycles_per_block);
    CHECK(lite.aes_gcm_cycles_per_block > mt.aes_gcm_cycles_per_block);
    CHECK(mt.aes_gcm_cycles_per_block > next.aes_gcm_cycles_per_block);
    CHECK(lite.ecdsa_verify_cycles > mt.ecdsa_verify_cycles);
    CHECK(mt.ecdsa_verify_cycles > next.ecdsa_verify_cycles);
}

TEST_CASE("serial masters, ADC and PWM: the mt3620 file puts them at the MT3620 addresses with their wires' devices") {
    auto v = load_variant(find_variant("mt3620"));
    CHECK(v.peripheral("i2c_isu2").windows.front().base == 0x38090200);
    CHECK(v.peripheral("spi_isu1").windows.front().base == 0x38080300);
    CHECK(v.peripheral("adc").windows.front().base == 0x38000100);
    CHECK(v.peripheral("pwm_0").windows.front().base == 0x38011000);
    REQUIRE(v.peripheral("i2c_isu2").devices.size() == 1);
    CHECK(v.peripheral("i2c_isu2").devices.front().kind == "sht3x");
    CHECK(v.peripheral("i2c_isu2").devices.front().address == 0x44);
    CHECK(v.peripheral("spi_isu1").devices.front().size == 2u << 20);
    for (const auto* name : {"i2c_isu1", "spi_isu4", "adc", "pwm_2"}) {
        INFO(name);
        CHECK(v.peripheral(name).windows.front().firewall.has_value());
    }
}

TEST_CASE("serial-master, ADC and PWM mistakes are refused at their line") {
    auto text = replace(mt3620_text(), "devices: [{kind: sht3x, address: 0x44}]", "devices: [{kind: sht3x, address: 0x50}]");
    auto err = error_of(text);
    CHECK_THAT(err, Catch::Contains("an sht3x answers 0x44 or 0x45, not 0x50"));
    CHECK(line_of_error(err) == line_containing(text, "address: 0x50"));
    text = replace(mt3620_text(), "devices: [{kind: sht3x, address: 0x44}]",
                   "devices: [{kind: sht3x, address: 0x44},\n              {kind: sht3x, address: 0x44}]");
    err = error_of(text);
    CHECK_THAT(err, Catch::Contains("address 68 already has a device on this wire"));
    CHECK(line_of_error(err) == line_containing(text, "              {kind: sht3x") );
    text = replace(mt3620_text(), "devices: [{kind: sht3x, address: 0x44}]", "devices: [{kind: bme280, address: 0x76}]");
    CHECK_THAT(error_of(text), Catch::Contains("unknown I2C device kind 'bme280' (expected: sht3x)"));
    text = replace(mt3620_text(), "{kind: spi-nor, cs: 0, size: 2MiB}", "{kind: spi-nor, cs: 2, size: 2MiB}");
    err = error_of(text);
    CHECK_THAT(err, Catch::Contains("chip selects 0 and 1, not 2"));
    CHECK(line_of_error(err) == line_containing(text, "cs: 2"));
    text = replace(mt3620_text(), "{kind: spi-nor, cs: 0, size: 2MiB}", "{kind: spi-nor, cs: 0, size: 3MiB}");
    CHECK_THAT(error_of(text), Catch::Contains("a power of two from 64KiB to 16MiB"));
    text = replace(mt3620_text(), "base: 0x38090200, clock_mhz: 26,", "base: 0x38090200, clock_mhz: -26,");
    err = error_of(text);
    CHECK(line_of_error(err) == line_containing(text, "clock_mhz: -26"));
    text = replace(mt3620_text(), "{name: adc, kind: adc, base: 0x38000100, size: 0x200,",
                   "{name: adc, kind: adc, base: 0x38000100, size: 0x200, inputs_mv: [100, 9000],");
    err = error_of(text);
    CHECK_THAT(err, Catch::Contains("9000 mV is outside 0..5000"));
    CHECK(line_of_error(err) == line_containing(text, "inputs_mv: [100, 9000]"));
    text = replace(mt3620_text(), "{name: pwm_0, kind: pwm, base: 0x38011000,", "{name: pwm_0, kind: pwm, base: 0x38011000, duty: 5,");
    err = error_of(text);
    CHECK_THAT(err, Catch::Contains("unknown key 'duty'"));
    CHECK(line_of_error(err) == line_containing(text, "duty: 5"));
    // The ADC's registers overlap the ADC pins' GPIO block if that keeps its old 0x300 window.
    text = replace(mt3620_text(), "base: 0x38000000, size: 0x100,", "base: 0x38000000, size: 0x300,");
    CHECK_THAT(error_of(text), Catch::Contains("gpio_adc"));
}

TEST_CASE("`platform show` lists the serial masters with what is on their wires") {
    test::SimContext ctx;
    HostBridge bridge;
    Device device("dev_show", load_variant(find_variant("mt3620")), ctx.device, bridge);
    const auto text = device.describe();
    CHECK_THAT(text, Catch::Contains("i2c_isu2           i2c-master        0x38090200-0x380902ff"));
    CHECK_THAT(text, Catch::Contains("adc                adc               0x38000100-0x380002ff"));
    CHECK_THAT(text, Catch::Contains("pwm_0              pwm               0x38011000-0x380111ff"));
    CHECK_THAT(text, Catch::Contains("i2c_isu2            26.00 MHz: sht3x at 0x44"));
    CHECK_THAT(text, Catch::Contains("spi_isu1            79.04 MHz: spi-nor 2 MiB on cs 0"));
    CHECK_THAT(text, Catch::Contains("adc=SPI 103"));
}

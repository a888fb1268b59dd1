// Variant values replaced by --set, and the power figures of a variant file: what is applied,
// and the errors a mistake gets (file:line and what is there instead).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

#include "common/util/bytes.h"
#include "common/util/input_error.h"
#include "platform/variant.h"

using namespace svp;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

const fs::path kMt3620 = fs::path(SVP_SOURCE_DIR) / "platform/variants/mt3620.yaml";

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const InputError& e) {
        return e.what();
    }
    return "no error";
}

// mt3620.yaml with its power: section replaced by `power`.
fs::path variant_with_power(const std::string& power) {
    auto text = read_text_file(kMt3620);
    text = text.substr(0, text.find("\npower:")) + "\n" + power;
    const auto path = fs::temp_directory_path() / ("svp-power-" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(path) << text;
    return path;
}

}  // namespace

TEST_CASE("an override (--set) replaces one value of the variant before it is validated") {
    const auto v = load_variant(kMt3620, {parse_variant_override("cores.a7.clock_mhz=800"),
                                          parse_variant_override("security.crypto.ecdsa_p256_verify_cycles=600000"),
                                          parse_variant_override("memories.flash.wait_states.read=7"),
                                          parse_variant_override("power.nic.active_mw=90")});
    CHECK(v.core("a7").clock_mhz == 800);
    CHECK(v.crypto.ecdsa_verify_cycles == 600000);
    CHECK(v.memory("flash").read_wait_states == 7);
    CHECK(v.power->components.at("nic").active_mw == 90);
    CHECK(v.overrides.size() == 4);
    // The file itself is untouched.
    CHECK(load_variant(kMt3620).core("a7").clock_mhz == 500);
}

TEST_CASE("an override naming nothing in the file says what is there") {
    CHECK_THAT(error_of([] { load_variant(kMt3620, {parse_variant_override("cores.app.clock_mhz=800")}); }),
               Contains("mt3620.yaml:") && Contains("no 'app' in 'cores' (it has: a7, rt0, rt1, sec)"));
    CHECK_THAT(error_of([] { load_variant(kMt3620, {parse_variant_override("memories.nand.read_ns=3")}); }),
               Contains("no 'nand' in 'memories' (it has: sram, flash,"));
    CHECK_THAT(error_of([] { load_variant(kMt3620, {parse_variant_override("memories.flash.wait_states=3")}); }),
               Contains("'wait_states' is a group of values, not one (it has: read, write)"));
    CHECK_THAT(error_of([] { load_variant(kMt3620, {parse_variant_override("cores.a7.clock_mhz.x=1")}); }),
               Contains("goes no deeper"));
    CHECK_THAT(error_of([] { parse_variant_override("cores.a7.clock_mhz"); }), Contains("expected KEY=VALUE"));
    CHECK_THAT(error_of([] { parse_variant_override("=5"); }), Contains("expected KEY=VALUE"));
    // A value of the wrong kind is caught by the variant's own validation.
    CHECK_THAT(error_of([] { load_variant(kMt3620, {parse_variant_override("cores.a7.clock_mhz=fast")}); }),
               Contains("clock_mhz: expected a number"));
}

TEST_CASE("every shipped variant has power figures for the components it simulates") {
    for (const auto& name : shipped_variants()) {
        INFO(name);
        const auto v = load_variant(find_variant(name));
        REQUIRE(v.power);
        CHECK(v.power->components.count("a7"));
        CHECK(v.power->components.count("sec"));
        CHECK(v.power->components.count("crypto"));
        CHECK(v.power->components.count("nic"));
    }
}

TEST_CASE("bad power figures are errors at their line") {
    auto check = [](const std::string& power, const std::string& expected) {
        const auto path = variant_with_power(power);
        const auto text = read_text_file(path);
        const auto message = error_of([&] { load_variant(path); });
        fs::remove(path);
        INFO(message);
        CHECK_THAT(message, Contains(expected));
        // file:line, the line of the power section or below it
        std::smatch m;
        REQUIRE(std::regex_search(message, m, std::regex(":([0-9]+):")));
        const auto power_line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(text.find("\npower:") + 1), '\n');
        CHECK(std::stoi(m[1]) >= power_line);
    };
    check("power:\n  gpu: {active_mw: 5}\n", "'gpu' is not a core, crypto or a nic peripheral");
    check("power:\n  a7: {active_mw: -5}\n", "expected milliwatts from 0");
    check("power:\n  a7: {sleep_mw: 1}\n", "needs active_mw");
    check("power:\n  a7: {active_mw: 1, sleep_mw: 2}\n", "draws more than active");
    check("power:\n  a7: {active_mw: 1, idle_mw: 2}\n", "idle_mw");
    check("power:\n  static_mw: lots\n", "expected a number");
}

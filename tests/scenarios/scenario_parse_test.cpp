// Malformed scenario files: each mistake gives its own message at its own line.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "common/util/input_error.h"
#include "scenarios/engine/scenario.h"
#include "tests/support/cli.h"

using namespace svp;
namespace fs = std::filesystem;

namespace {

const std::string kGood = R"(name: t
variant: mt3620
duration: 1s
product: 7e1c0d4a-5b2f-4c3e-9a61-0f5d2b8c9e01
cloud: none
keys:
  root: {}
images:
  os:
    type: os-kernel
    component: 3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f102
    key: root
device:
  trusted_keys: [root]
  flash:
    os_a: [os]
expect:
  - event: sec.boot/halted
)";

struct Outcome {
    std::string message;
    int line = 0;
};

Outcome load_text(const std::string& text) {
    auto path = fs::temp_directory_path() / ("svp-scn-" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(path) << text;
    try {
        scenario::load(path.string());
    } catch (const InputError& e) {
        fs::remove(path);
        return {e.message(), e.line()};
    }
    fs::remove(path);
    return {"accepted", 0};
}

std::string with(std::string text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("the reference scenario text is valid") { CHECK(load_text(kGood).message == "accepted"); }

TEST_CASE("each malformed scenario gets its own error at its own line") {
    struct Case {
        std::string from, to, expect;
        int line;
    };
    const Case cases[] = {
        {"duration: 1s", "duration: soon", "not a duration", 3},
        {"duration: 1s", "durration: 1s", "unknown key 'durration'", 3},
        {"product: 7e1c0d4a-5b2f-4c3e-9a61-0f5d2b8c9e01", "product: not-a-guid", "is not a GUID", 0},
        {"type: os-kernel", "type: kernel", "unknown image type 'kernel'", 10},
        {"key: root\n", "key: attacker\n", "no key named 'attacker'", 12},
        {"trusted_keys: [root]", "trusted_keys: [nobody]", "no key named 'nobody'", 14},
        {"os_a: [os]", "os_a: [kernel]", "no image named 'kernel'", 16},
        {"- event: sec.boot/halted", "- event: sec.boot/exploded", "no event type 'sec.boot/exploded'", 18},
        {"- event: sec.boot/halted", "- event: halted", "is not SRC/EVENT", 18},
        {"- event: sec.boot/halted", "- event: sec.boot/halted\n    for: 1s", "use 'within:' with 'event:'", 19},
        {"- event: sec.boot/halted", "- {}", "give exactly one of 'event:' or 'never:'", 18},
        {"images:\n", "images: [1, 2]\nunused:\n", "", 0},
        {"expect:\n  - event: sec.boot/halted\n", "expect: []\n", "at least one expectation", 0},
        {"name: t\n", "name: [t\n", "YAML syntax", 0},
    };
    for (const auto& c : cases) {
        INFO(c.to);
        auto out = load_text(with(kGood, c.from, c.to));
        CHECK(out.message != "accepted");
        if (!c.expect.empty()) CHECK_THAT(out.message, Catch::Contains(c.expect));
        if (c.line) CHECK(out.line == c.line);
    }
}

TEST_CASE("a timeline action needs valid bytes and a known action") {
    auto text = kGood + "timeline:\n  - {at: 0s, do: melt-chip}\n";
    CHECK_THAT(load_text(text).message, Catch::Contains("unknown action 'melt-chip'"));
    text = kGood + "timeline:\n  - {at: 0s, do: tamper-flash, partition: os_a, offset: 0, bytes: \"zz\"}\n";
    CHECK_THAT(load_text(text).message, Catch::Contains("not a hex digit"));
    CHECK(load_text(text).line == 20);
}

TEST_CASE("cloud actions need a cloud, and only revoke-device takes a reason") {
    // kGood says cloud: none.
    auto text = kGood + "timeline:\n  - {at: 1s, do: revoke-device}\n";
    CHECK_THAT(load_text(text).message, Catch::Contains("revoke-device needs a cloud"));
    CHECK(load_text(text).line == 20);
    const auto with_cloud = with(kGood, "cloud: none\n", "");
    CHECK(load_text(with_cloud + "timeline:\n  - {at: 1s, do: revoke-device, reason: \"key extracted\"}\n").message == "accepted");
    CHECK(load_text(with_cloud + "timeline:\n  - {at: 1s, do: clone-challenge}\n  - {at: 2s, do: clone-quote}\n").message == "accepted");
    CHECK_THAT(load_text(with_cloud + "timeline:\n  - {at: 1s, do: replay-attestation, reason: x}\n").message,
               Catch::Contains("only revoke-device takes a reason"));
    CHECK_THAT(load_text(with_cloud + "timeline:\n  - {at: 1s, do: revoke-device, device: 2}\n").message,
               Catch::Contains("device"));
}

TEST_CASE("every scenario shipped in scenarios/ parses") {
    for (const auto& file : test::catalogue_files()) {
        INFO(file);
        CHECK_NOTHROW(scenario::load(file));
    }
}

TEST_CASE("an rt-firmware image needs an existing ELF and a core, and RT core actions name a core") {
    const std::string rt = "  rt:\n    type: rt-firmware\n    component: 5b0a7c31-2d4e-4f6a-9b8c-0d1e2f3a4b10\n    key: root\n";
    auto text = with(kGood, "device:\n", rt + "    manifest: {name: x, core: rt0}\ndevice:\n");
    auto out = load_text(text);
    CHECK_THAT(out.message, Catch::Contains("needs elf:"));
    CHECK(out.line == 14);
    text = with(kGood, "device:\n", rt + "    elf: /nonexistent/fw.elf\n    manifest: {name: x, core: rt0}\ndevice:\n");
    out = load_text(text);
    CHECK_THAT(out.message, Catch::Contains("no such file: /nonexistent/fw.elf"));
    CHECK(out.line == 17);
    const auto not_elf = fs::temp_directory_path() / ("svp-not-elf-" + std::to_string(::getpid()));
    std::ofstream(not_elf) << "MZ, not an ELF";
    text = with(kGood, "device:\n", rt + "    elf: " + not_elf.string() + "\n    manifest: {name: x, core: rt0}\ndevice:\n");
    out = load_text(text);
    fs::remove(not_elf);
    CHECK(out.message != "accepted");
    CHECK(out.line == 17);
    text = with(kGood, "type: os-kernel\n", "type: os-kernel\n    elf: /bin/true\n");
    CHECK_THAT(load_text(text).message, Catch::Contains("only an rt-firmware image takes an ELF payload"));
    text = kGood + "timeline:\n  - {at: 0s, do: start-rt-core}\n";
    out = load_text(text);
    CHECK_THAT(out.message, Catch::Contains("core"));
    CHECK(out.line == 20);
}

namespace {

// A scenario and its fragments in a directory of their own.
struct FragmentDir {
    fs::path dir = fs::temp_directory_path() / ("svp-frag-" + std::to_string(::getpid()));
    FragmentDir() { fs::create_directories(dir); }
    ~FragmentDir() { fs::remove_all(dir); }
    void write(const std::string& name, const std::string& text) const { std::ofstream(dir / name) << text; }
    Outcome load(const std::string& name) const {
        try {
            auto s = scenario::load((dir / name).string());
            return {"accepted", 0};
        } catch (const InputError& e) {
            return {e.what(), e.line()};
        }
    }
};

const std::string kFragment = R"(# a fragment
params:
  counter: 1
  slot:
duration: 1s
product: 7e1c0d4a-5b2f-4c3e-9a61-0f5d2b8c9e01
cloud: none
keys:
  root: {}
images:
  os:
    type: os-kernel
    component: 3d9a1c55-0e7b-4f0a-8c2d-51a7e6b0f102
    counter: ${counter}
    key: root
device:
  trusted_keys: [root]
  flash:
    ${slot}: [os]
expect:
  - event: sec.boot/halted
)";

}  // namespace

TEST_CASE("a fragment's parameters are substituted, and the scenario's own keys win") {
    FragmentDir d;
    d.write("frag.yaml", kFragment);
    d.write("s.yaml", "name: s\ninclude:\n  - {file: frag.yaml, with: {counter: 7, slot: os_b}}\nduration: 2s\n"
                      "expect:\n  - never: sec.boot/core.released\n");
    const auto s = scenario::load((d.dir / "s.yaml").string());
    CHECK(s.image("os").counter == 7);
    CHECK(s.device.flash.count("os_b") == 1);
    CHECK(s.duration_ns == 2'000'000'000ull);  // the scenario's own value
    REQUIRE(s.expectations.size() == 2);       // the fragment's, then the scenario's
    CHECK(s.expectations[0].source == (d.dir / "frag.yaml").string());
    CHECK(s.expectations[0].line == 21);
    CHECK(s.expectations[1].source == (d.dir / "s.yaml").string());
    REQUIRE(s.includes.size() == 1);
}

TEST_CASE("fragment mistakes name the right file and line") {
    FragmentDir d;
    d.write("frag.yaml", kFragment);
    // A parameter without a default must be given: the include line is named.
    d.write("missing.yaml", "name: s\ninclude:\n  - frag.yaml\n");
    auto o = d.load("missing.yaml");
    CHECK_THAT(o.message, Catch::Contains("missing.yaml:3") && Catch::Contains("needs a value for 'slot'"));
    // An unknown parameter: the line of its `with:` entry.
    d.write("unknown.yaml", "name: s\ninclude:\n  - file: frag.yaml\n    with:\n      slot: os_a\n      cuonter: 3\n");
    o = d.load("unknown.yaml");
    CHECK_THAT(o.message, Catch::Contains("unknown.yaml:6") && Catch::Contains("no parameter 'cuonter'"));
    // A mistake inside the fragment is reported in the fragment.
    auto bad = kFragment;
    bad.replace(bad.find("type: os-kernel"), 15, "type: os-kernal");
    d.write("bad.yaml", bad);
    d.write("uses-bad.yaml", "name: s\ninclude:\n  - {file: bad.yaml, with: {slot: os_a}}\n");
    o = d.load("uses-bad.yaml");
    CHECK_THAT(o.message, Catch::Contains("bad.yaml:12") && Catch::Contains("unknown image type 'os-kernal'"));
    // An undeclared ${name} in a fragment.
    d.write("undeclared.yaml", "duration: ${nope}\n");
    d.write("uses-undeclared.yaml", "name: s\ninclude: [undeclared.yaml]\n");
    o = d.load("uses-undeclared.yaml");
    CHECK_THAT(o.message, Catch::Contains("undeclared.yaml:1") && Catch::Contains("'${nope}' is not a parameter"));
    // A fragment that includes itself.
    d.write("loop.yaml", "include: [loop.yaml]\n");
    d.write("uses-loop.yaml", "name: s\ninclude: [loop.yaml]\n");
    o = d.load("uses-loop.yaml");
    CHECK_THAT(o.message, Catch::Contains("includes itself"));
    // A missing file.
    d.write("nofile.yaml", "name: s\ninclude: [gone.yaml]\n");
    CHECK_THAT(d.load("nofile.yaml").message, Catch::Contains("nofile.yaml:2") && Catch::Contains("no such fragment"));
    // A reference that nothing defines, made in the scenario: named at the scenario's line.
    d.write("ref.yaml", "name: s\ninclude:\n  - {file: frag.yaml, with: {slot: os_a}}\ndevice:\n  flash:\n    os_b: [ghost]\n");
    CHECK_THAT(d.load("ref.yaml").message, Catch::Contains("ref.yaml:6") && Catch::Contains("no image named 'ghost'"));
}

TEST_CASE("defences: must name known defences") {
    auto o = load_text(kGood + "defences: [boot.signature, boot.magic]\n");
    CHECK_THAT(o.message, Catch::Contains("no defence 'boot.magic'"));
    CHECK(o.line == 1 + static_cast<int>(std::count(kGood.begin(), kGood.end(), '\n')));
    CHECK(load_text(kGood + "defences: [boot.signature]\n").message == "accepted");
}

TEST_CASE("set-sensor and set-adc-input: what they set is checked at the action's line") {
    auto text = kGood + "timeline:\n  - {at: 1s, do: set-sensor, i2c: i2c_isu2, address: 0x44}\n";
    auto out = load_text(text);
    CHECK_THAT(out.message, Catch::Contains("give temperature_c, humidity or both"));
    CHECK(out.line == 20);
    text = kGood + "timeline:\n  - {at: 1s, do: set-sensor, i2c: i2c_isu2, address: 0x44, humidity: 120}\n";
    out = load_text(text);
    CHECK_THAT(out.message, Catch::Contains("0..100 %"));
    CHECK(out.line == 20);
    text = kGood + "timeline:\n  - {at: 1s, do: set-adc-input, adc: adc, channel: 9, mv: 100}\n";
    out = load_text(text);
    CHECK_THAT(out.message, Catch::Contains("channels 0..7"));
    CHECK(out.line == 20);
    text = kGood + "timeline:\n  - {at: 1s, do: set-adc-input, adc: adc, channel: 1, mv: 100, volts: 2}\n";
    CHECK_THAT(load_text(text).message, Catch::Contains("volts"));
    text = kGood + "timeline:\n  - {at: 1s, do: set-sensor, i2c: i2c_isu2, address: 0x44, temperature_c: 30}\n";
    CHECK(load_text(text).message == "accepted");
}

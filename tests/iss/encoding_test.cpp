// One case per encoding class not covered elsewhere: modified immediates and their carry,
// shifted-register operands, bit fields, long multiplies, every addressing mode of the single
// loads/stores, dual and multiple transfers, compare-and-branch and table branch. Each row:
// the encoding (from arm-none-eabi-as), the registers before, the registers after.
#include <catch2/catch.hpp>

#include <optional>

#include "tests/iss/bare_core.h"

using namespace svp::armv7m;
using namespace svp::armv7m::test;

namespace {
struct Row {
    const char* assembly;
    std::vector<u16> code;
    std::vector<std::pair<unsigned, u32>> before;
    std::vector<std::pair<unsigned, u32>> after;
    std::optional<bool> carry = std::nullopt, zero = std::nullopt, negative = std::nullopt;
};
}  // namespace

TEST_CASE("Data-processing encodings: immediates, shifted registers, bit fields, multiplies", "[iss][encoding]") {
    const Row rows[] = {
        {"movs.w r2, #0x80000000 (rotated immediate sets C)", {0xf05f, 0x4200}, {}, {{2, 0x80000000}}, true, false, true},
        {"mvns r2, r0", {0x43c2}, {{0, 0xFFFFFFFF}}, {{2, 0}}, std::nullopt, true},
        {"ands.w r2, r0, #0xff00ff00 (replicated immediate keeps C)", {0xf010, 0x22ff}, {{0, 0x12345678}}, {{2, 0x12005600}}, false},
        {"bics.w r2, r0, r1, lsr #1 (shifter carry-out)", {0xea30, 0x0251}, {{0, 0xFFFFFFFF}, {1, 3}}, {{2, 0xFFFFFFFE}}, true},
        {"orn r2, r0, r1", {0xea60, 0x0201}, {{0, 0x0F}, {1, 0xFFFFFF00}}, {{2, 0xFF}}},
        {"eor.w r2, r0, r1, ror #8", {0xea80, 0x2231}, {{0, 0}, {1, 0x12345678}}, {{2, 0x78123456}}},
        {"rsb r2, r0, #100", {0xf1c0, 0x0264}, {{0, 30}}, {{2, 70}}},
        {"teq r0, r1", {0xea90, 0x0f01}, {{0, 0x80000000}, {1, 0x80000000}}, {}, std::nullopt, true, false},
        {"cmn r0, r1", {0x42c8}, {{0, 0xFFFFFFFF}, {1, 1}}, {}, true, true},
        {"bfi r2, r0, #8, #4", {0xf360, 0x220b}, {{0, 5}, {2, 0xFFFFFFFF}}, {{2, 0xFFFFF5FF}}},
        {"ubfx r2, r0, #4, #8", {0xf3c0, 0x1207}, {{0, 0x12345678}}, {{2, 0x67}}},
        {"sbfx r2, r0, #4, #8", {0xf340, 0x1207}, {{0, 0x00000F80}}, {{2, 0xFFFFFFF8}}},
        {"clz r2, r0", {0xfab0, 0xf280}, {{0, 0x00010000}}, {{2, 15}}},
        {"rev r2, r0", {0xba02}, {{0, 0x12345678}}, {{2, 0x78563412}}},
        {"umull r2, r3, r0, r1", {0xfba0, 0x2301}, {{0, 0xFFFFFFFF}, {1, 0xFFFFFFFF}}, {{2, 1}, {3, 0xFFFFFFFE}}},
        {"smlal r2, r3, r0, r1", {0xfbc0, 0x2301}, {{0, static_cast<u32>(-2)}, {1, 3}, {2, 10}, {3, 0}}, {{2, 4}, {3, 0}}},
        {"mla r2, r0, r1, r2", {0xfb00, 0x2201}, {{0, 7}, {1, 6}, {2, 8}}, {{2, 50}}},
    };
    for (const auto& row : rows) {
        BareCore t;
        std::vector<u16> code = row.code;
        u32 at = kProgram;
        for (u16 hw : code) { t.put16(at, hw); at += 2; }
        t.end = at;
        t.put16(at, 0xE7FE);
        t.core.reset();
        for (auto [r, v] : row.before) t.r(r) = v;
        t.run_program();
        INFO(row.assembly);
        for (auto [r, v] : row.after) CHECK(t.r(r) == v);
        if (row.carry) CHECK(t.c() == *row.carry);
        if (row.zero) CHECK(t.z() == *row.zero);
        if (row.negative) CHECK(t.n() == *row.negative);
    }
}

TEST_CASE("Single, dual and stack transfers in every addressing mode", "[iss][encoding][memory]") {
    constexpr u32 kData = 0x20000200;
    auto fresh = [&](std::initializer_list<u16> code) {
        auto t = std::make_unique<BareCore>();
        t->program(code);
        for (u32 i = 0; i < 16; ++i) t->mem.set_word(kData + 4 * i, 0x11111111u * i);
        t->mem.set_word(kData - 4, 0x000080FF);
        return t;
    };
    {
        auto t = fresh({0xf850, 0x2021});  // ldr.w r2, [r0, r1, lsl #2]
        t->r(0) = kData; t->r(1) = 3;
        t->run_program();
        CHECK(t->r(2) == 0x33333333);
    }
    {
        auto t = fresh({0xf910, 0x2c01});  // ldrsb.w r2, [r0, #-1]
        t->r(0) = kData - 2;               // r0 - 1 holds the byte 0x80
        t->run_program();
        CHECK(t->r(2) == 0xFFFFFF80);
    }
    {
        auto t = fresh({0xf830, 0x2b02});  // ldrh.w r2, [r0], #2
        t->r(0) = kData + 4;
        t->run_program();
        CHECK(t->r(2) == 0x1111);
        CHECK(t->r(0) == kData + 6);       // post-indexed: written back after
    }
    {
        auto t = fresh({0xf800, 0x1f03});  // strb.w r1, [r0, #3]!
        t->r(0) = kData; t->r(1) = 0xAB;
        t->run_program();
        CHECK(t->r(0) == kData + 3);       // pre-indexed
        CHECK(t->mem.word(kData) == 0xAB000000);
    }
    {
        auto t = fresh({0xe9d0, 0x2302});  // ldrd r2, r3, [r0, #8]
        t->r(0) = kData;
        t->run_program();
        CHECK(t->r(2) == 0x22222222);
        CHECK(t->r(3) == 0x33333333);
    }
    {
        auto t = fresh({0xe960, 0x2302});  // strd r2, r3, [r0, #-8]!
        t->r(0) = kData + 16; t->r(2) = 0xA; t->r(3) = 0xB;
        t->run_program();
        CHECK(t->r(0) == kData + 8);
        CHECK(t->mem.word(kData + 8) == 0xA);
        CHECK(t->mem.word(kData + 12) == 0xB);
    }
    {
        auto t = fresh({0xb503, 0xbc1c});  // push {r0, r1, lr}; pop {r2, r3, r4}
        t->r(0) = 1; t->r(1) = 2; t->r(14) = 0x1235;
        const u32 sp = t->r(13);
        t->run_program();
        CHECK(t->r(2) == 1);
        CHECK(t->r(3) == 2);
        CHECK(t->r(4) == 0x1235);
        CHECK(t->r(13) == sp);
    }
}

TEST_CASE("CBZ and TBB branch by register contents", "[iss][encoding][branch]") {
    {
        BareCore t;
        t.program({0xb100, 0x2209, 0xbf00});  // cbz r0, 1f; movs r2, #9; 1: nop
        t.r(0) = 0; t.r(2) = 0;
        t.run_program();
        CHECK(t.r(2) == 0);
        t.program({0xb100, 0x2209, 0xbf00});
        t.r(0) = 1;
        t.run_program();
        CHECK(t.r(2) == 9);
    }
    for (u32 index : {0u, 1u}) {
        // tbb [pc, r0]; .byte 1, 2; movs r2, #1; movs r3, #1
        BareCore t;
        t.program({0xe8df, 0xf000, 0x0201, 0x2201, 0x2301});
        t.r(0) = index; t.r(2) = 0; t.r(3) = 0;
        t.run_program();
        CHECK(t.r(2) == (index == 0 ? 1u : 0u));
        CHECK(t.r(3) == 1);
    }
}

TEST_CASE("The cycle table is applied: load pipelining, branch refill, LDM 1+N", "[iss][timing]") {
    const CycleTable table = CycleTable::cortex_m4();
    auto cycles_of = [](std::initializer_list<u16> code) {
        BareCore t;
        t.program(code);
        t.r(0) = 0x20000000;
        t.run_for(1000);  // ends asleep in the WFI (nothing to wake it)
        REQUIRE(t.core.sleeping());
        return t.core.cycles();
    };
    const u64 wfi = table.row(TimingClass::sleep).cycles;
    // ldr r2, [r0]; ldr r3, [r0, #4]; wfi: the second load pipelines behind the first.
    CHECK(cycles_of({0x6802, 0x6843, 0xbf30}) == 2 + 1 + wfi);
    // b 2f; nop; 2: nop; wfi: a taken branch is 1 + P.
    CHECK(cycles_of({0xe000, 0xbf00, 0xbf00, 0xbf30}) == 1 + table.refill + 1 + wfi);
    // ldmia.w r0, {r1, r2, r3, r4}; wfi: 1 + N.
    CHECK(cycles_of({0xe890, 0x001e, 0xbf30}) == 1 + 4 + wfi);
}

TEST_CASE("An architect can change a row of the cycle table by name", "[iss][timing]") {
    CoreConfig cfg;
    REQUIRE(cfg.cycles.set("load", 4));
    cfg.cycles.pipeline_load_store = false;
    CHECK_FALSE(cfg.cycles.set("no_such_class", 1));
    BareCore t(cfg);
    t.program({0x6802, 0x6843, 0xbf30});  // ldr; ldr; wfi
    t.r(0) = 0x20000000;
    t.run_for(1000);
    CHECK(t.core.cycles() == 4 + 4 + cfg.cycles.row(TimingClass::sleep).cycles);
}

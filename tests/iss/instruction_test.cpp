// Instruction tests, one encoding class at a time, with the flag edge cases of the ARM ARM
// pseudocode. Encodings come from arm-none-eabi-as; the assembly is in the comment.
#include <catch2/catch.hpp>

#include <random>

#include "tests/iss/bare_core.h"

using namespace svp::armv7m;
using namespace svp::armv7m::test;

namespace {
struct Flags { bool n, z, c, v; };
Flags flags(BareCore& t) { return {t.n(), t.z(), t.c(), t.v()}; }
}  // namespace

TEST_CASE("ADDS sets carry on unsigned and overflow on signed wrap-around", "[iss][alu]") {
    struct Case { u32 a, b, result; Flags f; };
    const Case cases[] = {
        {0x7FFFFFFF, 1, 0x80000000, {true, false, false, true}},    // signed overflow
        {0xFFFFFFFF, 1, 0x00000000, {false, true, true, false}},    // carry, zero
        {0x80000000, 0x80000000, 0, {false, true, true, true}},     // both
        {1, 2, 3, {false, false, false, false}},
    };
    for (const auto& c : cases) {
        BareCore t;
        t.program({0x1842});  // adds r2, r0, r1
        t.r(0) = c.a;
        t.r(1) = c.b;
        t.run_program();
        CHECK(t.r(2) == c.result);
        const Flags f = flags(t);
        CHECK(f.n == c.f.n);
        CHECK(f.z == c.f.z);
        CHECK(f.c == c.f.c);
        CHECK(f.v == c.f.v);
    }
}

TEST_CASE("SUBS: carry means no borrow", "[iss][alu]") {
    BareCore t;
    t.program({0x1a42});  // subs r2, r0, r1
    t.r(0) = 0;
    t.r(1) = 1;
    t.run_program();
    CHECK(t.r(2) == 0xFFFFFFFF);
    CHECK(t.n());
    CHECK_FALSE(t.c());  // borrow
    t.program({0x1a42});
    t.r(0) = 0x80000000;
    t.r(1) = 1;
    t.run_program();
    CHECK(t.r(2) == 0x7FFFFFFF);
    CHECK(t.c());
    CHECK(t.v());  // most negative minus one overflows
}

TEST_CASE("ADCS and SBCS take the carry in", "[iss][alu]") {
    BareCore t;
    t.program({0x4148});  // adcs r0, r1
    t.r(0) = 0xFFFFFFFF;
    t.r(1) = 0;
    t.s().cf = 1;
    t.run_program();
    CHECK(t.r(0) == 0);
    CHECK(t.c());
    CHECK(t.z());
    t.program({0x4188});  // sbcs r0, r1: r0 - r1 - NOT(C)
    t.r(0) = 5;
    t.r(1) = 5;
    t.s().cf = 0;
    t.run_program();
    CHECK(t.r(0) == 0xFFFFFFFF);
    CHECK_FALSE(t.c());
}

TEST_CASE("Register-specified shifts by 0, 32 and more than 32", "[iss][alu][shift]") {
    struct Case { u16 insn; u32 value, amount, result; bool carry; };
    const Case cases[] = {
        {0x4088, 0x80000001, 0, 0x80000001, true},   // lsls by 0: carry unchanged (set before)
        {0x4088, 0x00000001, 32, 0, true},           // lsls by 32: carry = bit 0
        {0x4088, 0x00000001, 33, 0, false},          // lsls by 33: all gone
        {0x40c8, 0x80000000, 32, 0, true},           // lsrs by 32: carry = bit 31
        {0x40c8, 0x80000000, 40, 0, false},
        {0x4108, 0x80000000, 200, 0xFFFFFFFF, true}, // asrs by >32 fills with the sign
        {0x41c8, 0x80000001, 32, 0x80000001, true},  // rors by 32: value kept, carry = bit 31
        {0x41c8, 0x00000003, 1, 0x80000001, true},
        {0x4088, 0x00000001, 0x101, 2, false},       // only the bottom byte of the amount counts
    };
    for (const auto& c : cases) {
        BareCore t;
        t.program({c.insn});
        t.r(0) = c.value;
        t.r(1) = c.amount;
        t.s().cf = 1;
        t.run_program();
        INFO("insn " << std::hex << c.insn << " value " << c.value << " amount " << std::dec << c.amount);
        CHECK(t.r(0) == c.result);
        CHECK(t.c() == c.carry);
    }
}

TEST_CASE("IT blocks execute only the instructions whose condition holds, without 16-bit flag setting", "[iss][it]") {
    // cmp r0, r1; ite eq; moveq r2, #1; movne r2, #2; it ne; addne r3, #1
    const std::initializer_list<u16> prog = {0x4288, 0xbf0c, 0x2201, 0x2202, 0xbf18, 0x3301};
    BareCore t;
    t.program(prog);
    t.r(0) = 7; t.r(1) = 7; t.r(3) = 0xFFFFFFFF;
    t.run_program();
    CHECK(t.r(2) == 1);
    CHECK(t.r(3) == 0xFFFFFFFF);  // addne skipped
    CHECK(t.z());
    t.program(prog);
    t.r(0) = 7; t.r(1) = 8; t.r(3) = 0xFFFFFFFF;
    t.run_program();
    CHECK(t.r(2) == 2);
    CHECK(t.r(3) == 0);           // add inside IT does not set flags ...
    CHECK_FALSE(t.z());           // ... so Z still comes from the CMP
    CHECK(t.s().itstate == 0);
}

TEST_CASE("An IT block also runs correctly through the block engine", "[iss][it]") {
    BareCore t;
    t.program({0x4288, 0xbf0c, 0x2201, 0x2202, 0xbf18, 0x3301});
    t.r(0) = 1; t.r(1) = 2; t.r(3) = 41;
    t.run_for(100);
    CHECK(t.r(15) == t.end);
    CHECK(t.r(2) == 2);
    CHECK(t.r(3) == 42);
}

TEST_CASE("Divide by zero returns zero unless CCR.DIV_0_TRP, then UsageFault DIVBYZERO", "[iss][divide]") {
    BareCore t;
    t.program({0xfb90, 0xf2f1});  // sdiv r2, r0, r1
    t.r(0) = 100; t.r(1) = 0; t.r(2) = 55;
    t.run_program();
    CHECK(t.r(2) == 0);
    CHECK(t.parked_in() == 0);

    t.program({0xfbb0, 0xf2f1});  // udiv r2, r0, r1
    t.r(0) = 100; t.r(1) = 0;
    // Set CCR.DIV_0_TRP the way firmware does, with a store to the SCB.
    t.program({0xf8c3, 0x1d14, 0xfbb0, 0xf2f1});  // str.w r1, [r3, #0xd14]; udiv r2, r0, r1
    t.r(3) = 0xE000E000; t.r(1) = 0x210;
    t.core.step();
    t.r(0) = 100; t.r(1) = 0;
    t.core.step();  // the udiv faults ...
    t.core.step();  // ... and the core takes the exception
    CHECK((t.parked_in() == kUsageFault || t.parked_in() == kHardFault));
    u32 cfsr = 0;
    t.core.read_memory(0xE000ED28, reinterpret_cast<u8*>(&cfsr), 4);
    CHECK((cfsr & cfsr::DIVBYZERO) != 0);
}

TEST_CASE("SDIV of the most negative number by -1 returns the dividend", "[iss][divide]") {
    BareCore t;
    t.program({0xfb90, 0xf2f1});
    t.r(0) = 0x80000000; t.r(1) = 0xFFFFFFFF;
    t.run_program();
    CHECK(t.r(2) == 0x80000000);
}

TEST_CASE("Unaligned LDR works; LDM from an unaligned address is a UsageFault UNALIGNED", "[iss][memory]") {
    BareCore t;
    t.program({0x6802});  // ldr r2, [r0]
    t.mem.set_word(0x20000000, 0x44332211);
    t.mem.set_word(0x20000004, 0x88776655);
    t.r(0) = 0x20000001;
    t.run_program();
    CHECK(t.r(2) == 0x55443322);
    t.program({0xe890, 0x000c});  // ldmia.w r0, {r2, r3}
    t.r(0) = 0x20000002;
    t.run_program();
    t.core.step();
    CHECK(t.parked_in() == kHardFault);  // UsageFault is disabled at reset: escalates
    u32 cfsr = 0, hfsr = 0;
    t.core.read_memory(0xE000ED28, reinterpret_cast<u8*>(&cfsr), 4);
    t.core.read_memory(0xE000ED2C, reinterpret_cast<u8*>(&hfsr), 4);
    CHECK(cfsr == cfsr::UNALIGNED);
    CHECK(hfsr == (1u << 30));  // FORCED
}

TEST_CASE("CCR.UNALIGN_TRP makes an unaligned LDR fault and leaves its registers alone", "[iss][memory]") {
    BareCore t;
    // str.w r1, [r3, #0xd14] (CCR = UNALIGN_TRP | STKALIGN); ldr r2, [r0, #4]
    t.program({0xf8c3, 0x1d14, 0x6842});
    t.r(3) = 0xE000E000; t.r(1) = 0x208; t.r(0) = 0x20000001; t.r(2) = 0x1234;
    t.run_program();
    t.core.step();
    CHECK(t.parked_in() == kHardFault);
    CHECK(t.r(2) == 0x1234);
    CHECK(((t.core.read_register(16) >> 24) & 1) == 1);  // Thumb state in the handler
    u32 stacked_pc = t.mem.word(t.r(13) + 24);
    CHECK(stacked_pc == kProgram + 4);               // precise: the faulting LDR
}

TEST_CASE("STREX succeeds only after a matching LDREX; CLREX clears the monitor", "[iss][exclusive]") {
    BareCore t;
    // ldrex r2, [r0]; strex r3, r1, [r0]; strex r3, r1, [r0]
    t.program({0xe850, 0x2f00, 0xe840, 0x1300});
    t.mem.set_word(0x20000100, 7);
    t.r(0) = 0x20000100; t.r(1) = 9;
    t.run_program();
    CHECK(t.r(2) == 7);
    CHECK(t.r(3) == 0);  // success
    CHECK(t.mem.word(0x20000100) == 9);
    // ldrex r2, [r0]; clrex; strex r3, r1, [r0]
    t.program({0xe850, 0x2f00, 0xf3bf, 0x8f2f, 0xe840, 0x1300});
    t.r(0) = 0x20000100; t.r(1) = 11;
    t.run_program();
    CHECK(t.r(3) == 1);  // failed: no store
    CHECK(t.mem.word(0x20000100) == 9);
}

TEST_CASE("QADD and SSAT saturate and set the sticky Q flag", "[iss][dsp]") {
    BareCore t;
    t.program({0xfa81, 0xf280});  // qadd r2, r0, r1
    t.r(0) = 0x7FFFFFF0; t.r(1) = 0x100;
    t.run_program();
    CHECK(t.r(2) == 0x7FFFFFFF);
    CHECK(t.s().qf == 1);
    t.program({0xf300, 0x0207});  // ssat r2, #8, r0
    t.r(0) = static_cast<u32>(-1000);
    t.run_program();
    CHECK(t.r(2) == static_cast<u32>(-128));
    CHECK(t.s().qf == 1);
    t.program({0xf380, 0x0208});  // usat r2, #8, r0
    t.r(0) = 77;
    t.run_program();
    CHECK(t.r(2) == 77);
    CHECK(t.s().qf == 0);  // reset cleared it; 77 fits
}

TEST_CASE("Undefined encodings raise UsageFault UNDEFINSTR", "[iss][undefined]") {
    BareCore t;
    t.program({0xde00});  // udf #0
    t.run_program();
    t.core.step();
    CHECK(t.parked_in() == kHardFault);
    u32 cfsr = 0;
    t.core.read_memory(0xE000ED28, reinterpret_cast<u8*>(&cfsr), 4);
    CHECK(cfsr == cfsr::UNDEFINSTR);
    // A coprocessor instruction other than the FPU: NOCP.
    t.program({0xee10, 0x0e10});  // mrc p14, 0, r0, c0, c0, 0
    t.run_program();
    t.core.step();
    t.core.read_memory(0xE000ED28, reinterpret_cast<u8*>(&cfsr), 4);
    CHECK(cfsr == cfsr::NOCP);
}

TEST_CASE("FP instructions fault with NOCP until CPACR enables the FPU", "[iss][fpu]") {
    BareCore t;
    t.program({0xee30, 0x1a20});  // vadd.f32 s2, s0, s1
    t.run_program();
    t.core.step();
    u32 cfsr = 0;
    t.core.read_memory(0xE000ED28, reinterpret_cast<u8*>(&cfsr), 4);
    CHECK(cfsr == cfsr::NOCP);
}

TEST_CASE("Random encodings never crash the simulator", "[iss][undefined][fuzz]") {
    // Every 16- and 32-bit pattern decodes to something; executing a few thousand random ones
    // (from a fixed seed) must leave the simulator running, whatever faults they raise.
    std::mt19937 rng(4);
    for (int round = 0; round < 200; ++round) {
        BareCore t;
        std::vector<u16> code;
        for (int i = 0; i < 32; ++i) code.push_back(static_cast<u16>(rng()));
        u32 at = kProgram;
        for (u16 hw : code) { t.put16(at, hw); at += 2; }
        t.core.reset();
        for (int i = 0; i < 16; ++i) t.r(i) = (i == 13 || i == 15) ? t.r(i) : 0x20000000u + 64 * static_cast<u32>(rng() % 256);
        t.run_for(2000);
        SUCCEED();
    }
    for (u32 i = 0; i < 200000; ++i) {
        const u32 w = static_cast<u32>(rng());
        const DecodedInsn d = decode_thumb(static_cast<u16>(w >> 16), static_cast<u16>(w), 0x1000, 0);
        REQUIRE((d.size == 2 || d.size == 4));
        REQUIRE(static_cast<unsigned>(d.op) < kOpcodeCount);
    }
}

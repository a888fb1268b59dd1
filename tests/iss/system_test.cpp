// The system around the instructions: NVIC preemption and tail-chaining, SysTick and sleep,
// the MPU, the DWT cycle counter, and the fault-injection hooks. Registers are programmed
// through the debug port (as a debugger or the firmware's stores would).
#include <catch2/catch.hpp>

#include "tests/iss/bare_core.h"

using namespace svp::armv7m;
using namespace svp::armv7m::test;

namespace {
void poke(BareCore& t, u32 address, u32 value) { t.core.write_memory(address, reinterpret_cast<u8*>(&value), 4); }
void poke8(BareCore& t, u32 address, u8 value) { t.core.write_memory(address, &value, 1); }
u32 peek(BareCore& t, u32 address) {
    u32 v = 0;
    t.core.read_memory(address, reinterpret_cast<u8*>(&v), 4);
    return v;
}
// Writes a handler at `at` and points vector `n` at it.
void handler(BareCore& t, unsigned n, u32 at, std::initializer_list<u16> code) {
    for (u16 hw : code) { t.put16(at, hw); at += 2; }
    t.mem.set_word(4 * n, (at - 2 * static_cast<u32>(code.size())) | 1);
}
constexpr u32 kLog = 0x20000800;
std::vector<u32> read_log(BareCore& t) {
    std::vector<u32> out;
    for (u32 a = kLog; a < t.r(4); a += 4) out.push_back(t.mem.word(a));
    return out;
}
}  // namespace

TEST_CASE("A higher-priority interrupt preempts; a lower one waits and is tail-chained", "[iss][nvic]") {
    BareCore t;
    // IRQ0 (priority 0x80): log 0x10, pend IRQ1 and IRQ2, log 0x11, return.
    handler(t, 16, 0x400, {0x2010, 0xf844, 0x0b04, 0x602e, 0x2011, 0xf844, 0x0b04, 0x4770});
    // IRQ1 (0x40): log 0x20.  IRQ2 (0xC0): log 0x30.
    handler(t, 17, 0x440, {0x2020, 0xf844, 0x0b04, 0x4770});
    handler(t, 18, 0x480, {0x2030, 0xf844, 0x0b04, 0x4770});
    t.program({0xbf00, 0xbf00});  // nop; nop
    poke8(t, 0xE000E400, 0x80);
    poke8(t, 0xE000E401, 0x40);
    poke8(t, 0xE000E402, 0xC0);
    poke(t, 0xE000E100, 0x7);                   // enable IRQ0-2
    t.r(4) = kLog;
    t.r(5) = 0xE000E200;                        // NVIC_ISPR0
    t.r(6) = 0x6;                               // IRQ1 | IRQ2
    t.core.pend_irq(0);
    t.run_for(2000);
    CHECK(read_log(t) == std::vector<u32>{0x10, 0x20, 0x11, 0x30});
    CHECK(t.core.statistics().exceptions_taken == 3);
    CHECK(t.r(15) == t.end);                    // back in thread mode at the end of the program
    CHECK(t.s().ipsr == 0);
}

TEST_CASE("PRIMASK holds interrupts pending until CPSIE", "[iss][nvic]") {
    BareCore t;
    handler(t, 16, 0x400, {0x2010, 0xf844, 0x0b04, 0x4770});
    t.program({0xb672, 0xbf00, 0xb662, 0xbf00});  // cpsid i; nop; cpsie i; nop
    poke(t, 0xE000E100, 0x1);
    t.r(4) = kLog;
    t.core.step();                               // cpsid i
    t.core.pend_irq(0);
    t.core.step();                               // nop: the interrupt stays pending
    CHECK(read_log(t).empty());
    CHECK(t.core.exception_pending(16));
    t.run_for(500);
    CHECK(read_log(t) == std::vector<u32>{0x10});
}

TEST_CASE("SysTick wraps after RELOAD+1 cycles; WFI sleeps until then without executing", "[iss][systick][sleep]") {
    BareCore t;
    t.program({0xbf30, 0xbf00});  // wfi; nop
    poke(t, 0xE000E014, 999);     // SYST_RVR
    poke(t, 0xE000E018, 0);       // SYST_CVR
    poke(t, 0xE000E010, 7);       // core clock, TICKINT, ENABLE
    const u64 start = t.core.cycles();
    const u64 instructions = t.core.instructions();
    CHECK(t.run_for(1'000'000) == StopReason::sleeping);
    CHECK(t.core.instructions() == instructions + 1);  // only the WFI ran
    CHECK(t.core.next_timer_cycle() == start + 1000);
    t.core.advance_to(t.core.next_timer_cycle());
    t.run_for(10);
    CHECK(t.parked_in() == kSysTick);
    CHECK(peek(t, 0xE000E010) >> 16 == 1);   // COUNTFLAG
}

TEST_CASE("An MPU violation is a MemManage fault with MMFAR", "[iss][mpu]") {
    BareCore t;
    t.program({0x6001});                     // str r1, [r0]
    poke(t, 0xE000ED98, 0);                  // MPU_RNR = 0
    poke(t, 0xE000ED9C, 0x20000100);         // MPU_RBAR
    poke(t, 0xE000EDA0, (6u << 24) | (7u << 1) | 1);   // read-only, 256 bytes, enabled
    poke(t, 0xE000ED94, 5);                  // ENABLE | PRIVDEFENA
    poke(t, 0xE000ED24, 1u << 16);           // MEMFAULTENA
    t.r(0) = 0x20000100;
    t.r(1) = 0xAB;
    t.run_for(100);
    CHECK(t.parked_in() == kMemManage);
    CHECK(peek(t, 0xE000ED28) == (cfsr::DACCVIOL | cfsr::MMARVALID));
    CHECK(peek(t, 0xE000ED34) == 0x20000100);
    CHECK(t.mem.word(0x20000100) == 0);      // the store did not happen
}

TEST_CASE("Stacking into a read-only region is a derived MemManage (MSTKERR), escalated", "[iss][mpu]") {
    BareCore t;
    t.program({0x6001});                     // str r1, [r0]
    poke(t, 0xE000ED98, 0);
    poke(t, 0xE000ED9C, 0x20000000);
    poke(t, 0xE000EDA0, (6u << 24) | (15u << 1) | 1);  // all of RAM read-only: the stack too
    poke(t, 0xE000ED94, 5);
    poke(t, 0xE000ED24, 1u << 16);
    t.r(0) = 0x20000100;
    t.run_for(100);
    CHECK(t.parked_in() == kHardFault);
    CHECK((peek(t, 0xE000ED28) & (cfsr::DACCVIOL | cfsr::MSTKERR)) == (cfsr::DACCVIOL | cfsr::MSTKERR));
}

TEST_CASE("A bus error response is a precise BusFault with BFAR", "[iss][busfault]") {
    BareCore t;
    t.program({0x6842});                     // ldr r2, [r0, #4]
    poke(t, 0xE000ED24, 1u << 17);           // BUSFAULTENA
    t.r(0) = 0x40000000;                     // nothing there
    t.r(2) = 0x5555;
    t.run_for(100);
    CHECK(t.parked_in() == kBusFault);
    CHECK(peek(t, 0xE000ED28) == (cfsr::PRECISERR | cfsr::BFARVALID));
    CHECK(peek(t, 0xE000ED38) == 0x40000004);
    CHECK(t.r(2) == 0x5555);
    CHECK(t.mem.word(t.r(13) + 24) == kProgram);  // stacked PC: the load itself
}

TEST_CASE("DWT CYCCNT counts cycles only with TRCENA and CYCCNTENA", "[iss][dwt]") {
    BareCore t;
    t.program({0xbf00, 0xbf00, 0xbf00, 0xbf00});
    t.run_for(2);
    CHECK(peek(t, 0xE0001004) == 0);
    poke(t, 0xE000EDFC, 1u << 24);   // DEMCR.TRCENA
    poke(t, 0xE0001000, 1);          // DWT_CTRL.CYCCNTENA
    const u64 c0 = t.core.cycles();
    t.run_for(100);
    CHECK(peek(t, 0xE0001004) == t.core.cycles() - c0);
}

TEST_CASE("Fault injection: skipping an instruction, flipping a register bit, corrupting a load", "[iss][faults]") {
    std::vector<std::string> events;
    auto sink = [&](const svp::EventType& type, svp::Fields f) { events.push_back(std::string(type.name) + ":" + f.value("kind", "")); };

    BareCore skip;
    skip.core.set_event_sink(sink);
    skip.program({0x2001, 0x2002, 0xbf00});  // movs r0, #1; movs r0, #2; nop
    skip.core.fault_injector().add({InjectionRule::Kind::skip, kProgram + 2, 1});
    skip.core.hooks_changed();
    skip.run_for(50);
    CHECK(skip.r(0) == 1);

    BareCore flip;
    flip.core.set_event_sink(sink);
    flip.program({0x1c48});  // adds r0, r1, #1
    InjectionRule rule{InjectionRule::Kind::flip_register_bit, kProgram, 1};
    rule.reg = 1;
    rule.bit = 4;
    flip.core.fault_injector().add(rule);
    flip.core.hooks_changed();
    flip.r(1) = 1;
    flip.run_for(50);
    CHECK(flip.r(0) == 0x12);  // (1 ^ 0x10) + 1

    BareCore corrupt;
    corrupt.core.set_event_sink(sink);
    corrupt.program({0x6802, 0x6803});  // ldr r2, [r0]; ldr r3, [r0]
    InjectionRule c{InjectionRule::Kind::corrupt_load, kProgram, 1};
    c.xor_mask = 0xFF00;
    corrupt.core.fault_injector().add(c);
    corrupt.core.hooks_changed();
    corrupt.mem.set_word(0x20000000, 0x12345678);
    corrupt.r(0) = 0x20000000;
    corrupt.run_for(50);
    CHECK(corrupt.r(2) == (0x12345678u ^ 0xFF00u));
    CHECK(corrupt.r(3) == 0x12345678u);  // only the glitched instruction's load

    CHECK(events == std::vector<std::string>{"injected:skip", "injected:flip", "injected:corrupt"});
}

TEST_CASE("The N-th execution trigger fires once, on that execution", "[iss][faults]") {
    BareCore t;
    // loop: adds r0, #1; cmp r0, #5; bne loop
    t.program({0x3001, 0x2805, 0xd1fc});
    t.core.fault_injector().add({InjectionRule::Kind::skip, kProgram, 3});
    t.core.hooks_changed();
    t.run_for(200);
    CHECK(t.r(0) == 5);                                   // one increment skipped ...
    CHECK(t.core.fault_injector().rules()[0].executions == 6);  // ... so the loop ran once more
    CHECK(t.core.fault_injector().rules()[0].fired == 1);
}

TEST_CASE("WFE returns at once when the event register is set (SEV), else sleeps", "[iss][sleep]") {
    BareCore t;
    t.program({0xbf40, 0xbf20, 0xbf20, 0xbf00});  // sev; wfe; wfe; nop
    const u64 start = t.core.instructions();
    CHECK(t.run_for(1000) == StopReason::sleeping);
    CHECK(t.core.instructions() == start + 3);     // sev, the first wfe consumed the event, the second sleeps
    CHECK(t.r(15) == kProgram + 6);
    t.core.signal_event();                          // an event from outside (another core's SEV)
    t.run_for(1000);
    CHECK(t.r(15) == t.end);
}

TEST_CASE("A fault in the HardFault handler locks the core up, and says so", "[iss][lockup]") {
    BareCore t;
    std::vector<std::string> events;
    t.core.set_event_sink([&](const svp::EventType& type, svp::Fields f) { events.push_back(std::string(type.src) + "/" + std::string(type.name)); });
    t.program({0xde00});              // udf: escalates to HardFault ...
    t.mem.set_word(4 * kHardFault, 0x201);
    t.put16(0x200, 0xde01);           // ... whose handler is another udf
    t.run_for(1000);
    CHECK(t.core.halted());
    CHECK(t.core.halt_reason() == HaltReason::lockup);
    CHECK(t.core.halt_message().find("lockup") != std::string::npos);
    CHECK(events == std::vector<std::string>{"cpu.fault/taken", "cpu.fault/taken", "cpu.core/lockup"});
}

TEST_CASE("Unprivileged code branching into privileged-only code is a MemManage IACCVIOL", "[iss][mpu]") {
    BareCore t;
    // msr control, r0 (drop privilege); isb; b.w 0x200; ... 0x200: movs r2, #7
    t.program({0xf380, 0x8814, 0xf3bf, 0x8f6f, 0xf000, 0xb87a});
    t.put16(0x200, 0x2207);
    poke(t, 0xE000ED98, 0);
    poke(t, 0xE000ED9C, 0x00000000);
    poke(t, 0xE000EDA0, (3u << 24) | (15u << 1) | 1);  // code: full access, 64 KiB
    poke(t, 0xE000ED98, 1);
    poke(t, 0xE000ED9C, 0x00000200);
    poke(t, 0xE000EDA0, (1u << 24) | (4u << 1) | 1);   // 0x200-0x21F: privileged only
    poke(t, 0xE000ED98, 2);
    poke(t, 0xE000ED9C, 0x20000000);
    poke(t, 0xE000EDA0, (3u << 24) | (15u << 1) | 1);  // RAM: full access (the stack)
    poke(t, 0xE000ED94, 1);                            // ENABLE, no background region
    poke(t, 0xE000ED24, 1u << 16);                     // MEMFAULTENA
    t.r(0) = 1;                                        // CONTROL.nPRIV
    t.run_for(200);
    CHECK(t.parked_in() == kMemManage);
    CHECK(t.r(2) != 7);
    CHECK(peek(t, 0xE000ED28) == cfsr::IACCVIOL);
    CHECK(t.mem.word(t.r(13) + 24) == 0x200);          // stacked PC: the instruction not fetched
}

TEST_CASE("A fault inside an IT block stacks ITSTATE; the return resumes the block's conditions", "[iss][it][exceptions]") {
    BareCore t;
    // cmp r1, r1; itte eq; ldreq r2, [r0] (faults first); addeq r3, #1; addne r4, #1
    t.program({0x4289, 0xbf06, 0x6802, 0x3301, 0x3401});
    // BusFault handler: stacked r0 = 0x20000100 (a readable address), return to retry the load.
    handler(t, kBusFault, 0x400, {0xf240, 0x1000, 0xf2c2, 0x0000, 0x9000, 0x4770});
    poke(t, 0xE000ED24, 1u << 17);  // BUSFAULTENA
    t.mem.set_word(0x20000100, 0xC0FFEE);
    t.r(0) = 0x40000000;            // nothing there: BusFault
    t.r(3) = 10;
    t.r(4) = 20;
    t.run_for(500);
    CHECK(t.core.statistics().exceptions_taken == 1);
    CHECK(t.r(2) == 0xC0FFEE);      // the load ran again after the return ...
    CHECK(t.r(3) == 11);            // ... and the rest of the IT block kept its conditions
    CHECK(t.r(4) == 20);
    CHECK(t.r(15) == t.end);
    CHECK(t.s().itstate == 0);
}

// One Cortex-M4F core: a plain C++ class with no SystemC process of its own and no knowledge of
// any memory map. It runs decoded blocks (see interpreter.cpp) against a MemoryPort, counts
// cycles as an integer, and stops when told to (a cycle limit), when it sleeps (WFI/WFE) or
// when it halts (semihosting exit, lockup, a debugger). CortexM4Module (cortex_m4_module.h)
// wraps it in SystemC; tests drive it directly.
//
// Inside the core: the System Control Space (NVIC, SCB, SysTick, MPU, FPU control, DWT), the
// exception model of the ARMv7-M ARM chapter B1.5, semihosting, breakpoints/watchpoints and
// the fault-injection hooks.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/events/event.h"
#include "models/base/register_bank.h"
#include "models/cpu/armv7m/arch.h"
#include "models/cpu/armv7m/fault_injection.h"
#include "models/cpu/armv7m/insn.h"
#include "models/cpu/armv7m/memory_port.h"
#include "models/cpu/armv7m/timing.h"

namespace svp::armv7m {

// Default memory map attributes (B3.1, table B3-1): Execute Never regions.
inline bool default_map_xn(u32 a) { return (a >= 0x40000000u && a < 0x60000000u) || a >= 0xA0000000u; }

struct CoreConfig {
    std::string name = "cpu";         // in events and log lines
    unsigned num_irq = 32;            // external interrupts (QEMU's mps2-an386 has 32)
    unsigned priority_bits = 8;       // implemented priority bits (QEMU: 8; MT3620: 3)
    bool bitband = false;             // bit-band aliases at 0x22000000 / 0x42000000
    std::uint64_t clock_hz = 25'000'000;        // core clock (mps2-an386: 25 MHz)
    std::uint64_t systick_ref_hz = 1'000'000;   // SysTick external reference (CLKSOURCE = 0)
    std::uint32_t initial_vtor = 0;   // vector table at reset
    bool semihosting = true;          // BKPT 0xAB is a semihosting call
    unsigned max_block_insns = 64;
    CycleTable cycles = CycleTable::cortex_m4();
};

enum class StopReason { cycle_limit, sleeping, halted, debug };
enum class HaltReason { none, exit, lockup };
enum class WatchKind { write = 2, read = 3, access = 4 };  // GDB Z2/Z3/Z4

// Where a basic block of decoded instructions lives in the code cache.
struct Block {
    u32 start = 0, end = 0;     // [start, end) of the guest instructions in it
    u32 insns = 0;              // instructions (hook and END operations excluded)
    u32 cycles = 0;             // their static cycles
    bool prepared = false;      // handlers resolved
    std::vector<DecodedInsn> ops;
};

class CortexM4 {
public:
    CortexM4(CoreConfig config, MemoryPort& bus);
    ~CortexM4();
    CortexM4(const CortexM4&) = delete;
    CortexM4& operator=(const CortexM4&) = delete;

    // Where reset takes SP and PC from (VTOR after reset): the boot image's vector table.
    void set_vector_table(u32 address) { config_.initial_vtor = address & 0xFFFFFF80u; }
    // Power-on reset (B1.5.5 TakeReset): SP and PC from the vector table at VTOR. A new core
    // must be reset once its memory is reachable.
    void reset();

    // Runs until the cycle count reaches `cycle_limit`, or the core sleeps, halts, or stops
    // for a debugger. Interrupts are recognised at block boundaries.
    StopReason run(u64 cycle_limit);
    // Executes exactly one instruction (or takes one pending exception); for debuggers.
    StopReason step();

    u64 cycles() const { return cycles_; }
    u64 instructions() const { return instructions_; }
    // Ends the current run() at `cycle` at the latest (at the next block boundary past it).
    void limit_run(u64 cycle) {
        if (cycle < cycle_limit_) cycle_limit_ = cycle;
        if (cycle < stop_cycle_) stop_cycle_ = cycle;
    }
    // Moves the clock forward while the core sleeps (the wrapper does this on wake-up).
    void advance_to(u64 cycle);
    // The core clock changes at `at_cycle` (a clock-control register, e.g. the MT3620's
    // IO_CM4_RGU). Cycles stay cycles; what depends on the frequency is SysTick's external
    // reference (CLKSOURCE = 0), which keeps its count across the change.
    void set_clock_hz(std::uint64_t hz, u64 at_cycle);
    // The cycle at which an internal timer (SysTick) next needs the core; UINT64_MAX if none.
    u64 next_timer_cycle() const { return next_timer_cycle_; }
    // Whether an interrupt or event would wake the sleeping core now.
    bool wake_pending() const;

    // External interrupts (NVIC inputs): level-sensitive lines and one-shot pulses.
    // `at_cycle`: the core cycle at which the line changed (the kernel's time, which may lie
    // behind or ahead of the core's own clock); UINT64_MAX = the core's current cycle.
    void set_irq_level(unsigned irq, bool level, u64 at_cycle = UINT64_MAX);
    void pend_irq(unsigned irq);
    void pend_nmi() { set_pending(kNmi); }  // e.g. a watchdog's NMI output
    void signal_event() { event_register_ = true; attention(); }  // SEV from elsewhere

    bool halted() const { return halt_ != HaltReason::none; }
    HaltReason halt_reason() const { return halt_; }
    int exit_code() const { return exit_code_; }
    bool sleeping() const { return sleeping_; }
    const std::string& halt_message() const { return halt_message_; }

    ArchState& state() { return s_; }
    const ArchState& state() const { return s_; }
    const CoreConfig& config() const { return config_; }
    // The current execution priority (B1.5.4), for tests.
    int execution_priority() const;
    bool exception_active(unsigned n) const { return active_.at(n) != 0; }
    bool exception_pending(unsigned n) const { return pending_.at(n) != 0; }

    // ---- debugger side (GDB stub, loaders, tests) ------------------------------------------
    // Register numbers as GDB's arm-m-profile target description: r0-r15 = 0-15, xpsr = 16,
    // msp 17, psp 18, primask 19, basepri 20, faultmask 21, control 22, s0-s31 = 23-54, fpscr 55.
    u32 read_register(unsigned n) const;
    void write_register(unsigned n, u32 value);
    // Debug memory access: no timing, no faults; writes invalidate decoded code. PPB registers
    // are reachable too (reads without side effects; writes act like the core's own).
    unsigned read_memory(u32 address, u8* data, unsigned length);
    unsigned write_memory(u32 address, const u8* data, unsigned length);
    void add_breakpoint(u32 address);
    void remove_breakpoint(u32 address);
    void add_watchpoint(u32 address, u32 length, WatchKind kind);
    void remove_watchpoint(u32 address, u32 length, WatchKind kind);
    struct WatchHit { u32 address; WatchKind kind; };
    std::optional<WatchHit> take_watch_hit() { auto h = watch_hit_; watch_hit_.reset(); return h; }
    // The core stopped at a breakpoint or after a single step; `debug_halt` asks it to stop.
    void request_debug_stop() { debug_stop_requested_ = true; attention(); }
    bool at_breakpoint() const { return at_breakpoint_; }
    // Continue after a debug stop: the instruction at the PC runs even if it has a breakpoint.
    void resume_from_debug() { at_breakpoint_ = false; skip_hooks_once_ = true; watch_hit_.reset(); }
    // Forget breakpoints and watchpoints (a debugger detached).
    void clear_debug_state();

    // ---- fault injection (glitch scenarios) --------------------------------------------------
    FaultInjector& fault_injector() { return injector_; }
    // Re-decodes code after the injector's PC triggers changed.
    void hooks_changed() { flush_code_cache(); }

    // ---- observation ------------------------------------------------------------------------
    // Interrupt latency: told at each handler entry for an external interrupt whose line rose
    // (irq = NVIC input, the cycle the line rose, the cycle of the handler's first instruction).
    // Called only on exception entry: nothing per instruction.
    using IrqEntrySink = std::function<void(unsigned irq, u64 raised_cycle, u64 entry_cycle)>;
    void set_irq_entry_sink(IrqEntrySink sink) { irq_entry_sink_ = std::move(sink); }
    using EventSink = std::function<void(const EventType&, Fields)>;
    void set_event_sink(EventSink sink) { event_sink_ = std::move(sink); }
    // Semihosting console output: fd 1 = stdout, 2 = stderr.
    using ConsoleSink = std::function<void(int fd, std::string_view text)>;
    void set_console(ConsoleSink sink) { console_ = std::move(sink); }
    // Semihosting console input (SYS_READ on ":tt", SYS_READC); default: none (EOF).
    using ConsoleSource = std::function<int()>;
    void set_console_input(ConsoleSource source) { console_in_ = std::move(source); }
    // Per-instruction trace (forces one instruction per block: slow, for debugging).
    using TraceSink = std::function<void(const DecodedInsn&, const CortexM4&)>;
    void set_trace(TraceSink sink);

    // ---- the bus side -------------------------------------------------------------------------
    // A target withdrew direct access to [start, end] (TLM invalidate_direct_mem_ptr).
    void invalidate_direct_memory(u32 start, u32 end);
    // Something other than the core changed code at [start, end) (a loader, a DMA).
    void invalidate_code(u32 start, u32 end);

    struct Statistics {
        u64 blocks_decoded = 0, code_flushes = 0, exceptions_taken = 0, slow_accesses = 0;
    };
    const Statistics& statistics() const { return stats_; }

private:
    friend class Interpreter;
    friend struct SystemControlSpace;

    // ---- memory ---------------------------------------------------------------------------
    struct FastRegion {
        u32 base = 0;
        u64 size = 0;        // 0 = unused slot
        u8* host = nullptr;
        u32 wait = 0;
        u8* code_map = nullptr;  // per-KiB "decoded code here" flags (write regions only)
    };
    static constexpr unsigned kFastSlots = 4;
    FastRegion fast_read_[kFastSlots];
    FastRegion fast_write_[kFastSlots];
    std::vector<DmiRegion> dmi_;                 // every direct region known
    std::vector<std::vector<u8>> code_maps_;     // parallel to dmi_
    bool fast_enabled_ = true;                   // false while MPU, UNALIGN_TRP or watchpoints need checks
    void refresh_fast_regions();
    const DmiRegion* find_dmi(u32 address, unsigned length, bool write);
    int dmi_index(u32 address, unsigned length, bool write);

    // The general access path: PPB, bit-band, MPU, DMI, then the bus. Returns false after
    // recording a precise fault (see fault_). `unprivileged` forces an unprivileged access.
    bool read_slow(u32 address, unsigned size, u32& value, bool unprivileged = false);
    bool write_slow(u32 address, unsigned size, u32 value, bool unprivileged = false);
    bool bus_read(u32 address, unsigned size, u32& value, bool privileged);
    bool bus_write(u32 address, unsigned size, u32 value, bool privileged);
    void note_code_write(u32 address, unsigned size);
    bool fetch16(u32 address, u16& value, u32& fault_status);

    // Exception-stacking accesses: MPU-checked, no watchpoints; report failure without a fault.
    bool stack_read(u32 address, u32& value);
    bool stack_write(u32 address, u32 value);
    Exception stack_fault_type_ = kBusFault;  // what the last failed stack access ran into

    // ---- code cache ---------------------------------------------------------------------------
    static constexpr unsigned kLookupSize = 1u << 14;
    std::unordered_map<u32, std::unique_ptr<Block>> blocks_;
    Block* lookup_[kLookupSize] = {};
    std::unique_ptr<Block> scratch_block_;       // one-instruction and mid-IT blocks, not cached
    bool flush_pending_ = false;
    void flush_code_cache();
    Block* block_at(u32 pc);
    void build_block(Block& b, u32 pc, u32 itstate, unsigned max_insns, bool with_hooks);
    std::unordered_set<u32> breakpoints_;
    bool single_insn_blocks_ = false;            // tracing or watchpoints active
    bool skip_hooks_once_ = false;               // resuming from a breakpoint

    // ---- execution ------------------------------------------------------------------------------
    // Runs blocks until cycles_ >= stop_cycle_ or something asks for attention.
    void execute_blocks();
    void execute_one_block(Block& b);
    u64 stop_cycle_ = 0;    // block loop runs while cycles_ < stop_cycle_; 0 = stop now
    u64 cycle_limit_ = 0;
    u64 cycles_ = 0, instructions_ = 0;
    u64 now_ = 0;           // cycle of the access in progress (slow paths read timers with it)

    // A synchronous fault raised by an instruction (memory, usage) waiting to be taken.
    struct PendingFault {
        bool raised = false;
        Exception type = kHardFault;
        u32 status = 0;          // CFSR bits
        u32 address = 0;
        bool address_valid = false;
        bool debug = false;      // reserved: a debug event rather than a fault
    } fault_;
    void take_pending_fault(u32 return_pc);

    // ---- exceptions and NVIC (exceptions.cpp) ------------------------------------------------
    unsigned num_exceptions_ = 0;                // 16 + num_irq
    std::vector<u8> pending_, active_, enabled_, priority_, irq_level_;
    u32 prigroup_ = 0;
    bool memfault_enabled_ = false, busfault_enabled_ = false, usagefault_enabled_ = false;
    int exception_priority(unsigned n) const;
    int group_priority(int priority) const;
    unsigned highest_pending(int& group) const;
    bool exception_ready() const;
    void set_pending(unsigned n);
    void take_exception(unsigned n, u32 return_address);
    void exception_return(u32 exc_return);
    void escalate_or_pend_fault(Exception type);
    void lockup(const std::string& why);
    bool push_stack(unsigned n, u32 return_address, u32& frame_sp, bool& fp_frame);
    // Something changed that may need the run loop: pending/enabled exceptions, priorities,
    // masks, a debugger. Ends the current block loop and has the next pass recheck exceptions.
    void attention() { stop_cycle_ = 0; check_exceptions_ = true; }
    bool check_exceptions_ = true;
    u32 vtor_ = 0;

    // ---- system registers (system_control.cpp) -------------------------------------------------
    RegisterBank scs_{"scs"};      // 0xE000E000..0xE000EFFF
    RegisterBank dwt_{"dwt"};      // 0xE0001000..
    void build_system_registers();
    bool ppb_access(u32 address, unsigned size, u32& value, bool write, bool privileged, bool debug = false);
    bool reset_requested_ = false;
    u32 lanes_written_ = 0xF;       // byte lanes of the PPB write in progress
    u32 cfsr_ = 0, hfsr_ = 0, dfsr_ = 0, mmfar_ = 0, bfar_ = 0;
    u32 ccr_ = 0x200, cpacr_ = 0, scr_ = 0, actlr_ = 0;
    bool sleep_on_exit() const { return scr_ & 2; }
    u32 fpccr_ = 0xC0000000, fpcar_ = 0, fpdscr_ = 0;
    u32 demcr_ = 0, dwt_ctrl_ = 0x40000000;
    u64 cyccnt_base_ = 0;
    u32 cyccnt_frozen_ = 0;
    bool cyccnt_running() const { return (demcr_ & (1u << 24)) && (dwt_ctrl_ & 1); }
    u32 cyccnt() const { return cyccnt_running() ? static_cast<u32>(now_ - cyccnt_base_) : cyccnt_frozen_; }
    // SysTick (B3.3), counted lazily from the cycle count.
    struct SysTick {
        bool enable = false, tickint = false, clksource = true;
        u32 reload = 0;
        u64 zero_tick = 0;         // a tick at which the counter is (or was) 0
        bool zero_is_wrap = false; // ... reached by counting down from 1 (an event), not by a write
        u32 frozen = 0;            // value while disabled
        u64 flag_checked_tick = 0; // COUNTFLAG: wraps after this tick set it
        bool countflag_latched = false;
    } systick_;
    u64 systick_ticks(u64 cycle) const;
    // The reference clock's tick count at a cycle is ref_tick_base_ + (cycle - ref_cycle_base_)
    // * ref / clock: re-anchored whenever the core clock changes.
    u64 ref_cycle_base_ = 0, ref_tick_base_ = 0;
    u64 systick_cycle_of_tick(u64 tick) const;
    u32 systick_value(u64 tick) const;
    u64 systick_next_wrap_after(u64 tick) const;   // UINT64_MAX if never
    void systick_reanchor(u32 value_now);
    void systick_latch_countflag();
    void systick_update_schedule();
    void service_timers();
    u64 next_timer_cycle_ = UINT64_MAX;
    // MPU (B3.5, PMSAv7: 8 regions).
    struct MpuRegion { u32 rbar = 0, rasr = 0; };
    MpuRegion mpu_regions_[8];
    u32 mpu_ctrl_ = 0, mpu_rnr_ = 0;
    bool mpu_check(u32 address, bool write, bool execute, bool privileged) const;
    bool mpu_active() const;
    bool unalign_trap() const { return ccr_ & (1u << 3); }
    bool div0_trap() const { return ccr_ & (1u << 4); }

    // ---- sleep, events, exclusives ------------------------------------------------------------
    bool sleeping_ = false, event_register_ = false;
    bool sleep_is_wfe_ = false;
    bool interrupt_would_wake() const;
    bool excl_valid_ = false;
    u32 excl_addr_ = 0;

    // ---- system instructions (system_ops.cpp) ---------------------------------------------------
    u32 mrs(u32 sysm) const;
    void msr(u32 sysm, u32 mask, u32 value);
    void cps(bool disable, u32 affect);
    void bx_write_pc(u32 target);          // BXWritePC / LoadWritePC incl. exception return
    bool fp_check();                       // FP instruction prologue (NOCP, FPCA, FPDSCR)

    // ---- semihosting (semihosting.cpp) ------------------------------------------------------------
    bool semihosting_call();               // BKPT 0xAB; false when the core halted
    std::string read_guest_string(u32 address, std::size_t max = 4096);
    ConsoleSink console_;
    ConsoleSource console_in_;
    std::vector<int> open_files_;          // semihosting handles -> 0 stdin, 1 stdout, 2 stderr, -1 closed
    u32 semihost_errno_ = 0;
    u32 feature_file_pos_ = 0;

    // ---- debug and hooks ------------------------------------------------------------------------
    struct Watchpoint { u32 address, length; WatchKind kind; };
    std::vector<Watchpoint> watchpoints_;
    std::optional<WatchHit> watch_hit_;
    bool debug_stop_requested_ = false, at_breakpoint_ = false;
    bool check_watchpoints(u32 address, unsigned size, bool write);
    enum class HookAction { proceed, skip, stop, slow_step };
    HookAction run_hooks(const DecodedInsn& at);
    bool slow_step_pending_ = false;       // the next instruction runs with every check (corrupt load)
    FaultInjector injector_;
    TraceSink trace_;
    void emit(const EventType& type, Fields fields);
    EventSink event_sink_;
    IrqEntrySink irq_entry_sink_;
    std::vector<u64> irq_raised_at_;  // per exception number: the rising edge not yet served
    void irq_entered(unsigned n);

    // ---- state ------------------------------------------------------------------------------------
    CoreConfig config_;
    MemoryPort& bus_;
    ArchState s_;
    HaltReason halt_ = HaltReason::none;
    int exit_code_ = 0;
    std::string halt_message_;
    Statistics stats_;
};

}  // namespace svp::armv7m

// CortexM4: construction, reset, the run loop, the memory access paths and the code cache.
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "common/util/log.h"
#include "models/cpu/armv7m/cortex_m4.h"

namespace svp::armv7m {

const char* to_string(InjectionRule::Kind kind) {
    switch (kind) {
    case InjectionRule::Kind::skip: return "skip";
    case InjectionRule::Kind::flip_register_bit: return "flip";
    case InjectionRule::Kind::corrupt_load: return "corrupt";
    }
    return "?";
}

CortexM4::CortexM4(CoreConfig config, MemoryPort& bus) : config_(std::move(config)), bus_(bus) {
    num_exceptions_ = 16 + config_.num_irq;
    pending_.assign(num_exceptions_, 0);
    active_.assign(num_exceptions_, 0);
    enabled_.assign(num_exceptions_, 0);
    priority_.assign(num_exceptions_, 0);
    irq_level_.assign(num_exceptions_, 0);
    build_system_registers();
    console_ = [](int fd, std::string_view text) {
        std::fwrite(text.data(), 1, text.size(), fd == 2 ? stderr : stdout);
    };
    // No reset() here: the memory behind the port may not be reachable yet (a SystemC socket
    // binds after construction). The owner resets the core once the vector table is in place.
}

CortexM4::~CortexM4() = default;

void CortexM4::reset() {
    s_ = ArchState{};
    std::fill(pending_.begin(), pending_.end(), 0);
    std::fill(irq_raised_at_.begin(), irq_raised_at_.end(), UINT64_MAX);  // no latency across a reset
    std::fill(active_.begin(), active_.end(), 0);
    std::fill(enabled_.begin(), enabled_.end(), 0);
    std::fill(priority_.begin(), priority_.end(), 0);
    prigroup_ = 0;
    memfault_enabled_ = busfault_enabled_ = usagefault_enabled_ = false;
    cfsr_ = hfsr_ = dfsr_ = mmfar_ = bfar_ = 0;
    ccr_ = 0x200;  // STKALIGN set (Cortex-M4 TRM 4.3.8: reset value of CCR)
    cpacr_ = scr_ = actlr_ = 0;
    fpccr_ = 0xC0000000;  // ASPEN and LSPEN
    fpcar_ = fpdscr_ = 0;
    demcr_ = 0;
    dwt_ctrl_ = 0x40000000;  // NUMCOMP = 4
    cyccnt_frozen_ = 0;
    systick_ = SysTick{};
    for (auto& r : mpu_regions_) r = MpuRegion{};
    mpu_ctrl_ = mpu_rnr_ = 0;
    sleeping_ = event_register_ = excl_valid_ = false;
    halt_ = HaltReason::none;
    exit_code_ = 0;
    halt_message_.clear();
    open_files_.clear();
    vtor_ = config_.initial_vtor;
    scs_.reset();
    refresh_fast_regions();
    systick_update_schedule();
    // TakeReset (B1.5.5): SP_main from the vector table, then the reset vector.
    u32 sp = 0, pc = 0;
    u8 buf[8] = {};
    if (read_memory(vtor_, buf, 8) == 8) {
        std::memcpy(&sp, buf, 4);
        std::memcpy(&pc, buf + 4, 4);
    }
    s_.r[13] = sp & ~3u;
    s_.r[14] = 0xFFFFFFFF;
    s_.r[15] = pc & ~1u;
    if (!(pc & 1)) {
        // A vector without the Thumb bit: the first instruction raises INVSTATE, which escalates.
        fault_ = {true, kUsageFault, cfsr::INVSTATE, 0, false, false};
    }
    attention();
}

// ---- run loop -------------------------------------------------------------------------------

bool CortexM4::wake_pending() const {
    if (sleep_is_wfe_ && event_register_) return true;
    return interrupt_would_wake();
}

bool CortexM4::interrupt_would_wake() const {
    // WFI wakes on an exception that would preempt if PRIMASK were clear (B1.5.19).
    int group = 0;
    const unsigned n = highest_pending(group);
    if (n == 0) return false;
    int prio = 256;
    for (unsigned i = 1; i < num_exceptions_; ++i)
        if (active_[i]) prio = std::min(prio, group_priority(exception_priority(i)));
    if (s_.basepri) prio = std::min(prio, group_priority(static_cast<int>(s_.basepri)));
    if (s_.faultmask) prio = std::min(prio, -1);
    return group < prio;
}

StopReason CortexM4::run(u64 cycle_limit) {
    cycle_limit_ = cycle_limit;
    for (;;) {
        if (halted()) return StopReason::halted;
        if (debug_stop_requested_) {
            debug_stop_requested_ = false;
            return StopReason::debug;
        }
        if (at_breakpoint_ || watch_hit_) return StopReason::debug;
        if (flush_pending_) flush_code_cache();
        service_timers();
        if (fault_.raised) {  // from reset or a debugger write
            take_pending_fault(s_.r[15]);
            continue;
        }
        // Exceptions are looked at only after something that could change the answer.
        if (check_exceptions_) {
            check_exceptions_ = false;
            if (exception_ready()) {
                int group = 0;
                const unsigned n = highest_pending(group);
                sleeping_ = false;
                take_exception(n, s_.r[15]);
                continue;
            }
        }
        if (sleeping_) {
            if (!wake_pending()) return StopReason::sleeping;
            sleeping_ = false;
            if (sleep_is_wfe_) event_register_ = false;
        }
        if (cycles_ >= cycle_limit_) return StopReason::cycle_limit;
        stop_cycle_ = std::min(cycle_limit_, next_timer_cycle_);
        if (stop_cycle_ <= cycles_) stop_cycle_ = cycles_ + 1;  // make progress on a late timer
        execute_blocks();
    }
}

StopReason CortexM4::step() {
    if (halted()) return StopReason::halted;
    service_timers();
    if (fault_.raised) { take_pending_fault(s_.r[15]); return StopReason::debug; }
    if (exception_ready()) {
        int group = 0;
        take_exception(highest_pending(group), s_.r[15]);
        return halted() ? StopReason::halted : StopReason::debug;
    }
    const bool saved = single_insn_blocks_;
    single_insn_blocks_ = true;
    skip_hooks_once_ = true;
    at_breakpoint_ = false;
    sleeping_ = false;
    stop_cycle_ = cycles_ + 1;
    cycle_limit_ = cycles_ + 1;
    execute_blocks();
    single_insn_blocks_ = saved;
    skip_hooks_once_ = false;
    if (halted()) return StopReason::halted;
    return StopReason::debug;
}

void CortexM4::advance_to(u64 cycle) {
    if (cycle > cycles_) cycles_ = cycle;
}

void CortexM4::set_trace(TraceSink sink) {
    trace_ = std::move(sink);
    single_insn_blocks_ = static_cast<bool>(trace_) || !watchpoints_.empty();
}

void CortexM4::emit(const EventType& type, Fields fields) {
    if (event_sink_) event_sink_(type, std::move(fields));
}

// ---- memory -----------------------------------------------------------------------------------

int CortexM4::dmi_index(u32 address, unsigned length, bool write) {
    for (std::size_t i = 0; i < dmi_.size(); ++i)
        if (dmi_[i].contains(address, length) && (!write || dmi_[i].writable)) return static_cast<int>(i);
    // Ask the bus once for a region here; targets that refuse are asked again next time (cheap:
    // only slow-path accesses get here).
    DmiRegion r;
    if (!bus_.direct_region(address, write, r) || r.size == 0 || !r.contains(address, length)) return -1;
    if (write && !r.writable) return -1;
    // Replace a narrower region with the same base (e.g. read-only first, then read-write).
    for (std::size_t i = 0; i < dmi_.size(); ++i)
        if (dmi_[i].base == r.base) {
            dmi_[i] = r;
            code_maps_[i].assign((r.size + 1023) / 1024, 0);
            refresh_fast_regions();
            return static_cast<int>(i);
        }
    dmi_.push_back(r);
    code_maps_.emplace_back((r.size + 1023) / 1024, 0);
    refresh_fast_regions();
    return static_cast<int>(dmi_.size() - 1);
}

const DmiRegion* CortexM4::find_dmi(u32 address, unsigned length, bool write) {
    const int i = dmi_index(address, length, write);
    return i < 0 ? nullptr : &dmi_[static_cast<std::size_t>(i)];
}

void CortexM4::refresh_fast_regions() {
    for (auto& r : fast_read_) r = FastRegion{};
    for (auto& r : fast_write_) r = FastRegion{};
    fast_enabled_ = !mpu_active() && !unalign_trap() && watchpoints_.empty() && !slow_step_pending_;
    if (!fast_enabled_) return;
    unsigned nr = 0, nw = 0;
    for (std::size_t i = 0; i < dmi_.size(); ++i) {
        const auto& d = dmi_[i];
        // The bit-band alias windows must go through the slow path.
        if (nr < kFastSlots) fast_read_[nr++] = {d.base, d.size, d.host, d.read_wait, nullptr};
        if (d.writable && nw < kFastSlots)
            fast_write_[nw++] = {d.base, d.size, d.host, d.write_wait, code_maps_[i].data()};
    }
}

void CortexM4::invalidate_direct_memory(u32 start, u32 end) {
    for (std::size_t i = 0; i < dmi_.size();) {
        const auto& d = dmi_[i];
        const u64 last = d.base + d.size - 1;
        if (d.base <= end && last >= start) {
            dmi_.erase(dmi_.begin() + static_cast<std::ptrdiff_t>(i));
            code_maps_.erase(code_maps_.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
            ++i;
        }
    }
    refresh_fast_regions();
    flush_pending_ = true;  // decoded code may have come from there
    attention();
}

void CortexM4::invalidate_code(u32, u32) {
    flush_pending_ = true;
    attention();
}

void CortexM4::note_code_write(u32, unsigned) {
    // Code we decoded was overwritten: drop every decoded block at the end of this one (the
    // architecture requires an ISB or a branch before modified code is guaranteed to be seen).
    flush_pending_ = true;
    attention();
}

bool CortexM4::check_watchpoints(u32 address, unsigned size, bool write) {
    for (const auto& w : watchpoints_) {
        if (address + size <= w.address || address >= w.address + w.length) continue;
        if (w.kind == WatchKind::access || (w.kind == WatchKind::write) == write) {
            watch_hit_ = WatchHit{address, w.kind};
            attention();
            return true;
        }
    }
    return false;
}


bool CortexM4::read_slow(u32 address, unsigned size, u32& value, bool unprivileged) {
    ++stats_.slow_accesses;
    const bool priv = s_.privileged() && !unprivileged;
    if (address >= 0xE0000000u && address < 0xE0100000u)  // Private Peripheral Bus
        return ppb_access(address, size, value, false, priv);
    if (!watchpoints_.empty()) check_watchpoints(address, size, false);
    if (config_.bitband && ((address >= 0x22000000u && address < 0x24000000u) ||
                            (address >= 0x42000000u && address < 0x44000000u))) {
        const u32 region = address & 0xF0000000u, offset = address & 0x01FFFFFFu;
        const u32 word = region | ((offset >> 5) & ~3u), bitn = ((offset >> 5) & 3u) * 8 + ((offset >> 2) & 7u);
        u32 w = 0;
        if (!read_slow(word & ~3u, 4, w, unprivileged)) return false;
        value = (w >> bitn) & 1u;
        return true;
    }
    if (mpu_active() && !mpu_check(address, false, false, priv)) {
        fault_ = {true, kMemManage, cfsr::DACCVIOL | cfsr::MMARVALID, address, true, false};
        return false;
    }
    if (unalign_trap() && (address & (size - 1))) {
        fault_ = {true, kUsageFault, cfsr::UNALIGNED, 0, false, false};
        return false;
    }
    if (const DmiRegion* d = find_dmi(address, size, false)) {
        value = 0;
        std::memcpy(&value, d->host + (address - d->base), size);
        cycles_ += d->read_wait;
        if (injector_.load_corruption_armed) {
            value ^= injector_.pending_load_mask;
            injector_.load_corruption_armed = false;
        }
        return true;
    }
    if (!bus_read(address, size, value, priv)) return false;
    if (injector_.load_corruption_armed) {
        value ^= injector_.pending_load_mask;
        injector_.load_corruption_armed = false;
    }
    return true;
}

bool CortexM4::write_slow(u32 address, unsigned size, u32 value, bool unprivileged) {
    ++stats_.slow_accesses;
    const bool priv = s_.privileged() && !unprivileged;
    if (address >= 0xE0000000u && address < 0xE0100000u)
        return ppb_access(address, size, value, true, priv);
    if (!watchpoints_.empty()) check_watchpoints(address, size, true);
    if (config_.bitband && ((address >= 0x22000000u && address < 0x24000000u) ||
                            (address >= 0x42000000u && address < 0x44000000u))) {
        const u32 region = address & 0xF0000000u, offset = address & 0x01FFFFFFu;
        const u32 word = region | ((offset >> 5) & ~3u), bitn = ((offset >> 5) & 3u) * 8 + ((offset >> 2) & 7u);
        u32 w = 0;
        if (!read_slow(word & ~3u, 4, w, unprivileged)) return false;
        w = (value & 1u) ? (w | (1u << bitn)) : (w & ~(1u << bitn));
        return write_slow(word & ~3u, 4, w, unprivileged);
    }
    if (mpu_active() && !mpu_check(address, true, false, priv)) {
        fault_ = {true, kMemManage, cfsr::DACCVIOL | cfsr::MMARVALID, address, true, false};
        return false;
    }
    if (unalign_trap() && (address & (size - 1))) {
        fault_ = {true, kUsageFault, cfsr::UNALIGNED, 0, false, false};
        return false;
    }
    if (const int i = dmi_index(address, size, true); i >= 0) {
        const DmiRegion& d = dmi_[static_cast<std::size_t>(i)];
        const u32 off = address - d.base;
        std::memcpy(d.host + off, &value, size);
        cycles_ += d.write_wait;
        const auto& map = code_maps_[static_cast<std::size_t>(i)];
        if (map[off >> 10] || map[(off + size - 1) >> 10]) note_code_write(address, size);
        return true;
    }
    return bus_write(address, size, value, priv);
}

bool CortexM4::bus_read(u32 address, unsigned size, u32& value, bool privileged) {
    u8 buf[4] = {};
    BusRequest req{address, size, false, privileged, false, buf};
    u64 wait = 0;
    if (bus_.access(req, now_, wait) != BusResponse::ok) {
        // A TLM error response (an unmapped address, a firewall refusal) is a precise BusFault
        // with BFAR holding the address (B3.2.18).
        fault_ = {true, kBusFault, cfsr::PRECISERR | cfsr::BFARVALID, address, true, false};
        return false;
    }
    cycles_ += wait;
    value = 0;
    std::memcpy(&value, buf, size);
    return true;
}

bool CortexM4::bus_write(u32 address, unsigned size, u32 value, bool privileged) {
    u8 buf[4];
    std::memcpy(buf, &value, 4);
    BusRequest req{address, size, true, privileged, false, buf};
    u64 wait = 0;
    if (bus_.access(req, now_, wait) != BusResponse::ok) {
        fault_ = {true, kBusFault, cfsr::PRECISERR | cfsr::BFARVALID, address, true, false};
        return false;
    }
    cycles_ += wait;
    return true;
}

bool CortexM4::stack_read(u32 address, u32& value) {
    const auto saved = fault_;
    const bool ok = read_slow(address, 4, value);
    if (!ok) stack_fault_type_ = fault_.type;
    fault_ = saved;
    return ok;
}

bool CortexM4::stack_write(u32 address, u32 value) {
    const auto saved = fault_;
    const bool ok = write_slow(address, 4, value);
    if (!ok) stack_fault_type_ = fault_.type;
    fault_ = saved;
    return ok;
}

bool CortexM4::fetch16(u32 address, u16& value, u32& fault_status) {
    if (default_map_xn(address) && !(mpu_active())) {
        fault_status = cfsr::IACCVIOL;
        return false;
    }
    if (mpu_active() && !mpu_check(address, false, true, s_.privileged())) {
        fault_status = cfsr::IACCVIOL;
        return false;
    }
    if (const int i = dmi_index(address, 2, false); i >= 0) {
        const DmiRegion& d = dmi_[static_cast<std::size_t>(i)];
        std::memcpy(&value, d.host + (address - d.base), 2);
        // Remember that code lives in this KiB so that stores into it flush decoded blocks.
        code_maps_[static_cast<std::size_t>(i)][(address - d.base) >> 10] = 1;
        return true;
    }
    u8 buf[2];
    BusRequest req{address, 2, false, s_.privileged(), true, buf};
    u64 wait = 0;
    if (bus_.access(req, now_, wait) != BusResponse::ok) {
        fault_status = cfsr::IBUSERR;
        return false;
    }
    std::memcpy(&value, buf, 2);
    return true;
}

// ---- code cache ---------------------------------------------------------------------------------

void CortexM4::flush_code_cache() {
    blocks_.clear();
    std::fill(std::begin(lookup_), std::end(lookup_), nullptr);
    for (auto& m : code_maps_) std::fill(m.begin(), m.end(), 0);
    flush_pending_ = false;
    ++stats_.code_flushes;
}

Block* CortexM4::block_at(u32 pc) {
    auto it = blocks_.find(pc);
    Block* b;
    if (it != blocks_.end()) {
        b = it->second.get();
    } else {
        auto fresh = std::make_unique<Block>();
        build_block(*fresh, pc, 0, config_.max_block_insns, true);
        b = fresh.get();
        blocks_.emplace(pc, std::move(fresh));
    }
    lookup_[(pc >> 1) & (kLookupSize - 1)] = b;
    return b;
}

void CortexM4::build_block(Block& b, u32 pc, u32 itstate, unsigned max_insns, bool with_hooks) {
    ++stats_.blocks_decoded;
    b.ops.clear();
    b.prepared = false;
    b.start = pc;
    b.insns = 0;
    b.cycles = 0;
    const bool hooks_here = with_hooks && (!breakpoints_.empty() || !injector_.rules().empty());
    TimingClass previous = TimingClass::none;
    for (;;) {
        if (hooks_here && (breakpoints_.count(pc) || injector_.triggers_at(pc))) {
            DecodedInsn h;
            h.op = Opcode::HOOK;
            h.pc = pc;
            h.itstate = static_cast<u8>(itstate);
            h.cycles = 0;
            h.insns_before = static_cast<u8>(b.insns);
            h.cycles_before = static_cast<u16>(b.cycles);
            b.ops.push_back(h);
        }
        u16 hw1 = 0, hw2 = 0;
        u32 fault_status = 0;
        bool ok = fetch16(pc, hw1, fault_status);
        if (ok && is_32bit_thumb(hw1)) ok = fetch16(pc + 2, hw2, fault_status);
        if (!ok) {
            // The fetch fault is raised only if execution gets here (a branch may leave first).
            DecodedInsn f;
            f.op = Opcode::FETCH_FAULT;
            f.pc = pc;
            f.imm = fault_status;
            f.itstate = static_cast<u8>(itstate);
            f.cycles = 0;
            f.insns_before = static_cast<u8>(b.insns);
            f.cycles_before = static_cast<u16>(b.cycles);
            b.ops.push_back(f);
            break;
        }
        DecodedInsn d = decode_thumb(hw1, hw2, pc, itstate);
        const TimingClass cls = timing_class(d.op);
        unsigned c = config_.cycles.static_cycles(d);
        if (config_.cycles.pipeline_load_store &&
            (cls == TimingClass::load || cls == TimingClass::store) &&
            (previous == TimingClass::load || previous == TimingClass::store))
            c = 1;
        previous = cls;
        d.cycles = static_cast<u8>(c);
        d.insns_before = static_cast<u8>(b.insns);
        d.cycles_before = static_cast<u16>(b.cycles);
        b.ops.push_back(d);
        b.insns += 1;
        b.cycles += c;
        pc += d.size;
        itstate = d.op == Opcode::IT ? d.imm : it_advance(itstate);
        if (ends_block(d.op) || b.insns >= max_insns) break;
        // Stay within one 1 KiB page so a block never straddles two DMI regions' code maps.
        if ((pc & ~0x3FFu) != (b.start & ~0x3FFu) && !in_it_block(itstate)) break;
    }
    // Every block ends with END: the fall-through of the last instruction (and of a
    // conditional branch at the end of an IT block that fails its condition).
    DecodedInsn end;
    end.op = Opcode::END;
    end.pc = pc;
    end.itstate = static_cast<u8>(itstate);
    end.cycles = 0;
    end.insns_before = static_cast<u8>(b.insns);
    end.cycles_before = static_cast<u16>(b.cycles);
    b.ops.push_back(end);
    b.end = pc;
}

// ---- debugger access ------------------------------------------------------------------------------

unsigned CortexM4::read_memory(u32 address, u8* data, unsigned length) {
    unsigned done = 0;
    while (done < length) {
        const u32 a = address + done;
        if (a >= 0xE0000000u && a < 0xE0100000u) {  // PPB: read registers without side effects
            u32 v = 0;
            const u32 aligned = a & ~3u;
            const auto saved = fault_;
            const u64 saved_now = now_;
            now_ = cycles_;
            const bool ok = ppb_access(aligned, 4, v, false, true, true);
            now_ = saved_now;
            fault_ = saved;
            if (!ok) break;
            data[done] = static_cast<u8>(v >> (8 * (a & 3)));
            ++done;
            continue;
        }
        if (const DmiRegion* d = find_dmi(a, 1, false)) {
            const u32 n = static_cast<u32>(std::min<u64>(length - done, d->base + d->size - a));
            std::memcpy(data + done, d->host + (a - d->base), n);
            done += n;
            continue;
        }
        const unsigned n = bus_.debug_access(a, data + done, 1, false);
        if (n == 0) break;
        done += n;
    }
    return done;
}

unsigned CortexM4::write_memory(u32 address, const u8* data, unsigned length) {
    unsigned done = 0;
    bool touched_code = false;
    while (done < length) {
        const u32 a = address + done;
        if (a >= 0xE0000000u && a < 0xE0100000u) {
            // The PPB through the debug port: writes act as the core's own would (a debugger
            // pending an interrupt pends it), a word or a byte at a time.
            const unsigned n = ((a & 3) == 0 && length - done >= 4) ? 4 : 1;
            u32 v = 0;
            std::memcpy(&v, data + done, n);
            const auto saved = fault_;
            now_ = cycles_;
            const bool ok = ppb_access(a, n, v, true, true);
            fault_ = saved;
            if (!ok) break;
            done += n;
            continue;
        }
        if (const int i = dmi_index(a, 1, true); i >= 0) {
            const DmiRegion& d = dmi_[static_cast<std::size_t>(i)];
            const u32 n = static_cast<u32>(std::min<u64>(length - done, d.base + d.size - a));
            std::memcpy(d.host + (a - d.base), data + done, n);
            const auto& map = code_maps_[static_cast<std::size_t>(i)];
            for (u32 k = (a - d.base) >> 10; k <= (a - d.base + n - 1) >> 10; ++k) touched_code |= map[k] != 0;
            done += n;
            continue;
        }
        u8 byte = data[done];
        if (bus_.debug_access(a, &byte, 1, true) == 0) break;
        touched_code = true;  // not tracked outside direct memory: be safe
        ++done;
    }
    if (touched_code) invalidate_code(address, address + done);
    return done;
}

void CortexM4::add_breakpoint(u32 address) {
    breakpoints_.insert(address & ~1u);
    flush_pending_ = true;
    attention();
}

void CortexM4::remove_breakpoint(u32 address) {
    breakpoints_.erase(address & ~1u);
    flush_pending_ = true;
    attention();
}

void CortexM4::clear_debug_state() {
    breakpoints_.clear();
    watchpoints_.clear();
    at_breakpoint_ = false;
    watch_hit_.reset();
    single_insn_blocks_ = static_cast<bool>(trace_);
    refresh_fast_regions();
    flush_pending_ = true;
    attention();
}

void CortexM4::add_watchpoint(u32 address, u32 length, WatchKind kind) {
    watchpoints_.push_back({address, length ? length : 1, kind});
    single_insn_blocks_ = true;
    refresh_fast_regions();
    attention();
}

void CortexM4::remove_watchpoint(u32 address, u32 length, WatchKind kind) {
    std::erase_if(watchpoints_, [&](const Watchpoint& w) {
        return w.address == address && (w.length == length || length == 0) && w.kind == kind;
    });
    single_insn_blocks_ = static_cast<bool>(trace_) || !watchpoints_.empty();
    refresh_fast_regions();
}

u32 CortexM4::read_register(unsigned n) const {
    if (n < 13) return s_.r[n];
    switch (n) {
    case 13: return s_.r[13];
    case 14: return s_.r[14];
    case 15: return s_.r[15];
    case 16: return s_.xpsr();
    case 17: return s_.msp();
    case 18: return s_.psp();
    case 19: return s_.primask;
    case 20: return s_.basepri;
    case 21: return s_.faultmask;
    case 22: return s_.control();
    default:
        if (n >= 23 && n < 55) return s_.s[n - 23];
        if (n == 55) return s_.fpscr;
        return 0;
    }
}

void CortexM4::write_register(unsigned n, u32 v) {
    if (n < 15) { s_.r[n] = n == 13 ? v & ~3u : v; return; }
    switch (n) {
    case 15: s_.r[15] = v & ~1u; flush_pending_ = true; break;
    case 16:
        s_.set_nzcvq(v); s_.set_ge(v);
        s_.itstate = ((v >> 25) & 3u) | (((v >> 10) & 0x3Fu) << 2);
        s_.thumb = (v >> 24) & 1;
        break;
    case 17: s_.set_msp(v); break;
    case 18: s_.set_psp(v); break;
    case 19: s_.primask = v & 1; break;
    case 20: s_.basepri = v & 0xFF; break;
    case 21: s_.faultmask = v & 1; break;
    case 22: {
        const bool old_psp = s_.using_psp();
        s_.npriv = v & 1; s_.spsel = v & 2; s_.fpca = v & 4;
        if (old_psp != s_.using_psp()) std::swap(s_.r[13], s_.other_sp);
        break;
    }
    default:
        if (n >= 23 && n < 55) s_.s[n - 23] = v;
        if (n == 55) s_.fpscr = v & 0xF7C0009Fu;
        break;
    }
    attention();
}

// ---- hooks ---------------------------------------------------------------------------------------

CortexM4::HookAction CortexM4::run_hooks(const DecodedInsn& at) {
    if (skip_hooks_once_) return HookAction::proceed;
    if (breakpoints_.count(at.pc)) {
        at_breakpoint_ = true;
        return HookAction::stop;
    }
    HookAction action = HookAction::proceed;
    for (auto& rule : injector_.rules()) {
        if (rule.pc != at.pc) continue;
        ++rule.executions;
        if (rule.occurrence != 0 && rule.executions != rule.occurrence) continue;
        ++rule.fired;
        Fields f = {{"core", config_.name}, {"kind", to_string(rule.kind)},
                    {"pc", fmt::format("0x{:08x}", at.pc)}, {"execution", rule.executions}};
        switch (rule.kind) {
        case InjectionRule::Kind::skip:
            action = HookAction::skip;
            break;
        case InjectionRule::Kind::flip_register_bit: {
            const u32 before = s_.r[rule.reg & 15];
            s_.r[rule.reg & 15] ^= 1u << (rule.bit & 31);
            f["register"] = fmt::format("r{}", rule.reg & 15);
            f["bit"] = rule.bit & 31;
            f["before"] = fmt::format("0x{:08x}", before);
            f["after"] = fmt::format("0x{:08x}", s_.r[rule.reg & 15]);
            break;
        }
        case InjectionRule::Kind::corrupt_load:
            injector_.pending_load_mask = rule.xor_mask;
            injector_.load_corruption_armed = true;
            f["xor_mask"] = fmt::format("0x{:08x}", rule.xor_mask);
            if (action == HookAction::proceed) action = HookAction::slow_step;
            break;
        }
        emit(ev::cpu_fault_injected, std::move(f));
    }
    return action;
}

}  // namespace svp::armv7m

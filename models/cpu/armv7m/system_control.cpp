// The System Control Space and the other Private Peripheral Bus blocks, declared register by
// register like the ARMv7-M ARM chapter B3 (tables B3-4 SCB, B3-7 SysTick, B3-8 NVIC, B3-11 MPU)
// and the Cortex-M4 TRM (FPU, DWT); plus the system instructions (MRS, MSR, CPS), SysTick
// counting and the PMSAv7 MPU check.
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "common/util/log.h"
#include "models/base/bus_extension.h"
#include "models/cpu/armv7m/cortex_m4.h"

namespace svp::armv7m {

namespace {
constexpr u32 kScsBase = 0xE000E000u, kDwtBase = 0xE0001000u;
constexpr u32 kStir = 0xE000EF00u;
// Cortex-M4F identification (TRM 4.3.x and 7.3.x).
constexpr u32 kCpuid = 0x410FC241u;          // ARM, r0p1, Cortex-M4
constexpr u32 kMvfr0 = 0x10110021u, kMvfr1 = 0x11000011u;
}  // namespace

void CortexM4::build_system_registers() {
    auto& b = scs_;
    // A register whose stored value stays 0: reads are computed, writes are actions that see
    // the bytes written (for byte and halfword accesses only those lanes are non-zero).
    auto action = [&b](const char* name, u32 off, std::function<u32()> read, std::function<void(u32)> write) {
        Register& r = b.add(name, off, 0, Access::rw);
        Register* rp = &r;
        r.on_read([read](bool) { return read ? read() : 0u; });
        r.on_write([rp, write](u32, u32 v) { if (write) write(v); rp->set(0); });
        return rp;
    };
    auto constant = [&b](const char* name, u32 off, u32 value) { b.add(name, off, value, Access::ro); };

    action("ICTR", 0x004, [this] { return (config_.num_irq + 31) / 32 - 1; }, nullptr);
    action("ACTLR", 0x008, [this] { return actlr_; }, [this](u32 v) { actlr_ = v & 0x307; });

    // ---- SysTick (B3.3) ----
    action("SYST_CSR", 0x010,
           [this] {
               const u64 tick = systick_ticks(now_);
               bool flag = systick_.countflag_latched ||
                           (systick_.enable && systick_next_wrap_after(systick_.flag_checked_tick) <= tick);
               return (systick_.enable ? 1u : 0u) | (systick_.tickint ? 2u : 0u) |
                      (systick_.clksource ? 4u : 0u) | (flag ? 1u << 16 : 0u);
           },
           [this](u32 v) {
               const u32 current = systick_value(systick_ticks(now_));
               systick_latch_countflag();
               systick_.enable = v & 1;
               systick_.tickint = v & 2;
               systick_.clksource = v & 4;
               systick_reanchor(current);
               systick_update_schedule();
           });
    // Reading CSR clears COUNTFLAG; the bank cannot tell reads apart, so the PPB path does it.
    action("SYST_RVR", 0x014, [this] { return systick_.reload; },
           [this](u32 v) {
               const u32 current = systick_value(systick_ticks(now_));
               systick_latch_countflag();
               systick_.reload = v & 0x00FFFFFFu;
               systick_reanchor(current);
               systick_update_schedule();
           });
    action("SYST_CVR", 0x018, [this] { return systick_value(systick_ticks(now_)); },
           [this](u32) {  // any write clears the counter and COUNTFLAG
               systick_reanchor(0);
               systick_.countflag_latched = false;
               systick_.flag_checked_tick = systick_ticks(now_);
               systick_update_schedule();
           });
    constant("SYST_CALIB", 0x01C, static_cast<u32>(config_.systick_ref_hz / 100 - 1) & 0x00FFFFFFu);

    // ---- NVIC (B3.4): one word per 32 interrupts ----
    const unsigned words = (config_.num_irq + 31) / 32;
    for (unsigned w = 0; w < words; ++w) {
        auto mask_of = [this, w] {
            u32 m = 0;
            for (unsigned i = 0; i < 32; ++i)
                if (w * 32 + i < config_.num_irq) m |= 1u << i;
            return m;
        };
        auto collect = [this, w](const std::vector<u8>& v) {
            u32 r = 0;
            for (unsigned i = 0; i < 32; ++i) {
                const unsigned n = kFirstIrq + w * 32 + i;
                if (n < num_exceptions_ && v[n]) r |= 1u << i;
            }
            return r;
        };
        auto apply = [this, w, mask_of](u32 bits, std::vector<u8>& v, u8 value) {
            bits &= mask_of();
            for (unsigned i = 0; i < 32; ++i)
                if (bits & (1u << i)) v[kFirstIrq + w * 32 + i] = value;
            attention();
        };
        action(fmt::format("NVIC_ISER{}", w).c_str(), 0x100 + 4 * w, [this, collect] { return collect(enabled_); },
               [this, apply](u32 v) { apply(v, enabled_, 1); });
        action(fmt::format("NVIC_ICER{}", w).c_str(), 0x180 + 4 * w, [this, collect] { return collect(enabled_); },
               [this, apply](u32 v) { apply(v, enabled_, 0); });
        action(fmt::format("NVIC_ISPR{}", w).c_str(), 0x200 + 4 * w, [this, collect] { return collect(pending_); },
               [this, apply](u32 v) { apply(v, pending_, 1); });
        action(fmt::format("NVIC_ICPR{}", w).c_str(), 0x280 + 4 * w, [this, collect] { return collect(pending_); },
               [this, apply](u32 v) { apply(v, pending_, 0); });
        action(fmt::format("NVIC_IABR{}", w).c_str(), 0x300 + 4 * w, [this, collect] { return collect(active_); }, nullptr);
    }
    const u32 prio_mask = (0xFFu << (8 - config_.priority_bits)) & 0xFFu;
    auto byte_priorities = [this, prio_mask](unsigned first) {
        return std::pair{
            std::function<u32()>([this, first] {
                u32 v = 0;
                for (unsigned i = 0; i < 4; ++i)
                    if (first + i < num_exceptions_) v |= u32{priority_[first + i]} << (8 * i);
                return v;
            }),
            std::function<void(u32)>([this, first, prio_mask](u32 v) {
                // Only the lanes written are non-zero; a zero lane might also be a write of 0,
                // so the PPB path passes the byte-lane mask in `lanes_written_`.
                for (unsigned i = 0; i < 4; ++i)
                    if ((lanes_written_ >> i) & 1u)
                        if (first + i < num_exceptions_ && first + i >= 4)
                            priority_[first + i] = static_cast<u8>((v >> (8 * i)) & prio_mask);
                attention();
            })};
    };
    for (unsigned i = 0; i * 4 < config_.num_irq; ++i) {
        auto [rd, wr] = byte_priorities(kFirstIrq + 4 * i);
        action(fmt::format("NVIC_IPR{}", i).c_str(), 0x400 + 4 * i, rd, wr);
    }

    // ---- System Control Block (B3.2) ----
    constant("CPUID", 0xD00, kCpuid);
    action("ICSR", 0xD04,
           [this] {
               int group = 0;
               const unsigned pend = highest_pending(group);
               unsigned active_count = 0;
               for (unsigned i = 1; i < num_exceptions_; ++i) active_count += active_[i];
               bool isr_pending = false;
               for (unsigned i = kFirstIrq; i < num_exceptions_; ++i) isr_pending |= pending_[i] != 0;
               return (s_.ipsr & 0x1FF) | ((s_.handler_mode() && active_count == 1) ? 1u << 11 : 0u) |
                      ((pend & 0x1FF) << 12) | (isr_pending ? 1u << 22 : 0u) |
                      (pending_[kSysTick] ? 1u << 26 : 0u) | (pending_[kPendSv] ? 1u << 28 : 0u) |
                      (pending_[kNmi] ? 1u << 31 : 0u);
           },
           [this](u32 v) {
               if (v & (1u << 31)) set_pending(kNmi);
               if (v & (1u << 28)) set_pending(kPendSv);
               if (v & (1u << 27)) pending_[kPendSv] = 0;
               if (v & (1u << 26)) set_pending(kSysTick);
               if (v & (1u << 25)) pending_[kSysTick] = 0;
               attention();
           });
    action("VTOR", 0xD08, [this] { return vtor_; }, [this](u32 v) { vtor_ = v & 0xFFFFFF80u; });
    action("AIRCR", 0xD0C, [this] { return 0xFA050000u | (prigroup_ << 8); },
           [this](u32 v) {
               if ((v >> 16) != 0x05FA) return;  // VECTKEY must accompany every write
               prigroup_ = (v >> 8) & 7;
               if (v & (1u << 2)) { reset_requested_ = true; }  // SYSRESETREQ
               if (v & (1u << 1)) std::fill(active_.begin(), active_.end(), 0);  // VECTCLRACTIVE
               attention();
           });
    action("SCR", 0xD10, [this] { return scr_; }, [this](u32 v) { scr_ = v & 0x16; });
    action("CCR", 0xD14, [this] { return ccr_; },
           [this](u32 v) {
               ccr_ = (v & 0x11B) | 0x200;  // STKALIGN is read-only set here (Cortex-M4 r0p1)
               refresh_fast_regions();
           });
    auto shpr = [&](const char* name, u32 off, unsigned first) {
        auto [rd, wr] = byte_priorities(first);
        action(name, off, rd, wr);
    };
    shpr("SHPR1", 0xD18, 4);
    shpr("SHPR2", 0xD1C, 8);
    shpr("SHPR3", 0xD20, 12);
    action("SHCSR", 0xD24,
           [this] {
               return (active_[kMemManage] ? 1u << 0 : 0u) | (active_[kBusFault] ? 1u << 1 : 0u) |
                      (active_[kUsageFault] ? 1u << 3 : 0u) | (active_[kSvCall] ? 1u << 7 : 0u) |
                      (active_[kDebugMonitor] ? 1u << 8 : 0u) | (active_[kPendSv] ? 1u << 10 : 0u) |
                      (active_[kSysTick] ? 1u << 11 : 0u) | (pending_[kUsageFault] ? 1u << 12 : 0u) |
                      (pending_[kMemManage] ? 1u << 13 : 0u) | (pending_[kBusFault] ? 1u << 14 : 0u) |
                      (pending_[kSvCall] ? 1u << 15 : 0u) | (memfault_enabled_ ? 1u << 16 : 0u) |
                      (busfault_enabled_ ? 1u << 17 : 0u) | (usagefault_enabled_ ? 1u << 18 : 0u);
           },
           [this](u32 v) {
               memfault_enabled_ = v & (1u << 16);
               busfault_enabled_ = v & (1u << 17);
               usagefault_enabled_ = v & (1u << 18);
               pending_[kUsageFault] = (v >> 12) & 1;
               pending_[kMemManage] = (v >> 13) & 1;
               pending_[kBusFault] = (v >> 14) & 1;
               pending_[kSvCall] = (v >> 15) & 1;
               attention();
           });
    action("CFSR", 0xD28, [this] { return cfsr_; }, [this](u32 v) { cfsr_ &= ~v; });  // write-one-to-clear
    action("HFSR", 0xD2C, [this] { return hfsr_; }, [this](u32 v) { hfsr_ &= ~(v & 0xC0000002u); });
    action("DFSR", 0xD30, [this] { return dfsr_; }, [this](u32 v) { dfsr_ &= ~(v & 0x1F); });
    action("MMFAR", 0xD34, [this] { return mmfar_; }, [this](u32 v) { mmfar_ = v; });
    action("BFAR", 0xD38, [this] { return bfar_; }, [this](u32 v) { bfar_ = v; });
    constant("AFSR", 0xD3C, 0);
    // Processor feature registers (Cortex-M4 TRM table 4-2).
    constant("ID_PFR0", 0xD40, 0x00000030); constant("ID_PFR1", 0xD44, 0x00000200);
    constant("ID_DFR0", 0xD48, 0x00100000); constant("ID_AFR0", 0xD4C, 0);
    constant("ID_MMFR0", 0xD50, 0x00100030); constant("ID_MMFR1", 0xD54, 0);
    constant("ID_MMFR2", 0xD58, 0x01000000); constant("ID_MMFR3", 0xD5C, 0);
    constant("ID_ISAR0", 0xD60, 0x01101110); constant("ID_ISAR1", 0xD64, 0x02111000);
    constant("ID_ISAR2", 0xD68, 0x21112231); constant("ID_ISAR3", 0xD6C, 0x01111110);
    constant("ID_ISAR4", 0xD70, 0x01310132);
    action("CPACR", 0xD88, [this] { return cpacr_; }, [this](u32 v) { cpacr_ = v & 0x00F00000u; });

    // ---- MPU (B3.5, PMSAv7 with 8 regions) ----
    constant("MPU_TYPE", 0xD90, 0x00000800);
    action("MPU_CTRL", 0xD94, [this] { return mpu_ctrl_; },
           [this](u32 v) {
               mpu_ctrl_ = v & 7;
               refresh_fast_regions();
               flush_pending_ = true;
               attention();
           });
    action("MPU_RNR", 0xD98, [this] { return mpu_rnr_; }, [this](u32 v) { mpu_rnr_ = v & 7; });
    for (unsigned alias = 0; alias < 4; ++alias) {
        const u32 off = 0xD9C + 8 * alias;
        action(alias ? fmt::format("MPU_RBAR_A{}", alias).c_str() : "MPU_RBAR", off,
               [this] { return mpu_regions_[mpu_rnr_].rbar | mpu_rnr_; },
               [this](u32 v) {
                   if (v & 0x10) mpu_rnr_ = v & 7;  // VALID: the region number comes with it
                   mpu_regions_[mpu_rnr_].rbar = v & ~0x1Fu;
                   flush_pending_ = true;
                   attention();
               });
        action(alias ? fmt::format("MPU_RASR_A{}", alias).c_str() : "MPU_RASR", off + 4,
               [this] { return mpu_regions_[mpu_rnr_].rasr; },
               [this](u32 v) {
                   mpu_regions_[mpu_rnr_].rasr = v & 0x173FFF3Fu;
                   flush_pending_ = true;
                   attention();
               });
    }

    // ---- debug (C1.6): no halting debug through memory; DEMCR.TRCENA gates the DWT ----
    constant("DHCSR", 0xDF0, 0);
    action("DCRSR", 0xDF4, nullptr, nullptr);
    action("DCRDR", 0xDF8, nullptr, nullptr);
    action("DEMCR", 0xDFC, [this] { return demcr_; },
           [this](u32 v) {
               const u32 before = cyccnt();
               demcr_ = v & 0x010F07F1u;
               if (!cyccnt_running()) cyccnt_frozen_ = before;
               else cyccnt_base_ = now_ - before;
           });
    action("STIR", 0xF00, nullptr, [this](u32 v) { set_pending(kFirstIrq + (v & 0x1FF)); });

    // ---- FPU (Cortex-M4 TRM 7.3) ----
    action("FPCCR", 0xF34, [this] { return fpccr_; }, [this](u32 v) { fpccr_ = v & 0xC00001FBu; });
    action("FPCAR", 0xF38, [this] { return fpcar_; }, [this](u32 v) { fpcar_ = v & ~7u; });
    action("FPDSCR", 0xF3C, [this] { return fpdscr_; }, [this](u32 v) { fpdscr_ = v & 0x07C00000u; });
    constant("MVFR0", 0xF40, kMvfr0);
    constant("MVFR1", 0xF44, kMvfr1);

    // ---- DWT (Cortex-M4 TRM 8.x): the cycle counter ----
    auto& d = dwt_;
    Register& ctrl = d.add("DWT_CTRL", 0x000, 0x40000000, Access::rw);
    ctrl.on_read([this](bool) { return dwt_ctrl_; });
    ctrl.on_write([this](u32, u32 v) {
        const u32 before = cyccnt();
        dwt_ctrl_ = (dwt_ctrl_ & 0xF0000000u) | (v & 0x0FFFFFFFu);
        if (!cyccnt_running()) cyccnt_frozen_ = before;
        else cyccnt_base_ = now_ - before;
    });
    Register& cnt = d.add("DWT_CYCCNT", 0x004, 0, Access::rw);
    cnt.on_read([this](bool) { return cyccnt(); });
    cnt.on_write([this](u32, u32 v) {
        cyccnt_frozen_ = v;
        cyccnt_base_ = now_ - v;
    });
    for (u32 off : {0x008u, 0x00Cu, 0x010u, 0x014u, 0x018u, 0x01Cu}) d.add(fmt::format("DWT_{:03X}", off), off, 0, Access::rw);
    for (u32 i = 0; i < 4; ++i) {
        d.add(fmt::format("DWT_COMP{}", i), 0x20 + 16 * i, 0, Access::rw);
        d.add(fmt::format("DWT_MASK{}", i), 0x24 + 16 * i, 0, Access::rw);
        d.add(fmt::format("DWT_FUNCTION{}", i), 0x28 + 16 * i, 0, Access::rw);
    }
    d.add("DWT_LAR", 0xFB0, 0, Access::wo);
    d.add("DWT_LSR", 0xFB4, 0, Access::ro);
}

bool CortexM4::ppb_access(u32 address, unsigned size, u32& value, bool write, bool privileged, bool debug) {
    RegisterBank* bank = nullptr;
    u32 offset = 0;
    if (address >= kScsBase && address < kScsBase + 0x1000) { bank = &scs_; offset = address - kScsBase; }
    else if (address >= kDwtBase && address < kDwtBase + 0x1000) { bank = &dwt_; offset = address - kDwtBase; }
    if (!privileged && !debug && !(address == kStir && (ccr_ & 2u))) {
        // Unprivileged access to the System Control Space is a BusFault (B3.2.1).
        fault_ = {true, kBusFault, cfsr::PRECISERR | cfsr::BFARVALID, address, true, false};
        return false;
    }
    if (!bank) {
        // ITM, FPB, TPIU, ETM and the ROM table are not modelled: read as zero, writes ignored.
        static auto logger = log::get("iss");
        logger->debug("{}: unimplemented PPB {} at 0x{:08x}", config_.name, write ? "write" : "read", address);
        if (!write) value = 0;
        return true;
    }
    tlm::tlm_generic_payload tx;
    u8 buf[4] = {};
    if (write) std::memcpy(buf, &value, size);
    tx.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    tx.set_address(offset);
    tx.set_data_ptr(buf);
    tx.set_data_length(size);
    tx.set_streaming_width(size);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    lanes_written_ = ((1u << size) - 1u) << (offset & 3u);
    bank->access(tx, debug);
    if (!tx.is_response_ok()) {
        if (debug) return false;
        fault_ = {true, kBusFault, cfsr::PRECISERR | cfsr::BFARVALID, address, true, false};
        return false;
    }
    if (!write) {
        value = 0;
        std::memcpy(&value, buf, size);
        if (!debug && bank == &scs_ && (offset & ~3u) == 0x010) {  // reading SYST_CSR clears COUNTFLAG
            systick_.countflag_latched = false;
            systick_.flag_checked_tick = systick_ticks(now_);
        }
    }
    return true;
}

// ---- SysTick ----------------------------------------------------------------------------------

u64 CortexM4::systick_ticks(u64 cycle) const {
    if (systick_.clksource) return cycle;
    const u64 c = cycle > ref_cycle_base_ ? cycle - ref_cycle_base_ : 0;
    return ref_tick_base_ + static_cast<u64>((static_cast<unsigned __int128>(c) * config_.systick_ref_hz) / config_.clock_hz);
}

u64 CortexM4::systick_cycle_of_tick(u64 tick) const {
    if (systick_.clksource) return tick;
    const u64 t = tick > ref_tick_base_ ? tick - ref_tick_base_ : 0;
    const auto num = static_cast<unsigned __int128>(t) * config_.clock_hz;
    return ref_cycle_base_ + static_cast<u64>((num + config_.systick_ref_hz - 1) / config_.systick_ref_hz);
}

void CortexM4::set_clock_hz(std::uint64_t hz, u64 at_cycle) {
    if (hz == 0 || hz == config_.clock_hz) return;
    // The reference clock does not care about the core clock: keep its count at the change.
    const bool core_clocked = systick_.clksource;
    systick_.clksource = false;
    ref_tick_base_ = systick_ticks(at_cycle);
    systick_.clksource = core_clocked;
    ref_cycle_base_ = at_cycle;
    config_.clock_hz = hz;
    systick_update_schedule();
}

u32 CortexM4::systick_value(u64 tick) const {
    if (!systick_.enable) return systick_.frozen;
    const u64 z = systick_.zero_tick;
    if (tick <= z) return static_cast<u32>(z - tick);
    const u64 e = tick - z;
    if (systick_.reload == 0) return 0;
    return static_cast<u32>(systick_.reload - ((e - 1) % (u64{systick_.reload} + 1)));
}

u64 CortexM4::systick_next_wrap_after(u64 tick) const {
    if (!systick_.enable) return UINT64_MAX;
    const u64 z = systick_.zero_tick;
    if (systick_.zero_is_wrap && z > tick) return z;
    if (systick_.reload == 0) return UINT64_MAX;
    const u64 period = u64{systick_.reload} + 1;
    if (tick < z) return z + period;
    return z + ((tick - z) / period + 1) * period;
}

// Keeps a wrap that happened under the configuration about to change, for COUNTFLAG.
void CortexM4::systick_latch_countflag() {
    const u64 tick = systick_ticks(now_);
    if (systick_next_wrap_after(systick_.flag_checked_tick) <= tick) systick_.countflag_latched = true;
    systick_.flag_checked_tick = tick;
}

void CortexM4::systick_reanchor(u32 value_now) {
    const u64 tick = systick_ticks(now_);
    systick_.flag_checked_tick = tick;
    systick_.frozen = value_now;
    systick_.zero_tick = tick + value_now;
    systick_.zero_is_wrap = value_now > 0;
}

void CortexM4::systick_update_schedule() {
    if (!systick_.enable || !systick_.tickint) {
        next_timer_cycle_ = UINT64_MAX;
        return;
    }
    const u64 now_cycle = std::max(now_, cycles_);
    const u64 wrap = systick_next_wrap_after(systick_ticks(now_cycle));
    next_timer_cycle_ = wrap == UINT64_MAX ? UINT64_MAX : systick_cycle_of_tick(wrap);
    attention();
}

void CortexM4::service_timers() {
    if (reset_requested_) {
        reset_requested_ = false;
        const u64 c = cycles_, i = instructions_;
        reset();
        cycles_ = c;
        instructions_ = i;
        return;
    }
    if (cycles_ < next_timer_cycle_) return;
    now_ = cycles_;
    set_pending(kSysTick);
    systick_update_schedule();
}

// ---- MPU (B3.5) ---------------------------------------------------------------------------------

bool CortexM4::mpu_active() const {
    if (!(mpu_ctrl_ & 1)) return false;
    // HardFault, NMI and FAULTMASK run with the MPU off unless HFNMIENA.
    if (!(mpu_ctrl_ & 2) && execution_priority() < 0) return false;
    return true;
}

bool CortexM4::mpu_check(u32 address, bool write, bool execute, bool privileged) const {
    if (address >= 0xE0000000u && address < 0xE0100000u) return true;  // PPB: always default map
    int hit = -1;
    for (int i = 7; i >= 0; --i) {  // the highest-numbered matching region wins
        const auto& r = mpu_regions_[i];
        if (!(r.rasr & 1)) continue;
        const unsigned size_log2 = ((r.rasr >> 1) & 0x1F) + 1;
        if (size_log2 < 5) continue;
        const u64 size = u64{1} << size_log2;
        const u32 base = r.rbar & ~static_cast<u32>(size - 1);
        if (u64{address} - base >= size || address < base) continue;
        if (size_log2 >= 8) {  // subregion disable bits
            const unsigned sub = static_cast<unsigned>((u64{address} - base) / (size / 8));
            if ((r.rasr >> (8 + sub)) & 1) continue;
        }
        hit = i;
        break;
    }
    if (hit < 0) {
        // Background region: the default map for privileged code when PRIVDEFENA.
        if (privileged && (mpu_ctrl_ & 4)) return !(execute && default_map_xn(address));
        return false;
    }
    const u32 rasr = mpu_regions_[hit].rasr;
    if (execute && (rasr & (1u << 28))) return false;
    switch ((rasr >> 24) & 7) {  // AP (table B3-15)
    case 0: return false;
    case 1: return privileged;
    case 2: return privileged || !write;
    case 3: return true;
    case 5: return privileged && !write;
    case 6: case 7: return !write;
    default: return false;
    }
}

// ---- system instructions (B5.2) -----------------------------------------------------------------

u32 CortexM4::mrs(u32 sysm) const {
    switch (sysm) {
    case 0: case 1: case 2: case 3: case 5: case 6: case 7: {  // xPSR views
        u32 v = 0;
        if (!(sysm & 4)) v |= s_.apsr();                  // APSR
        if (sysm & 1) v |= s_.ipsr;                        // IPSR
        return v;                                          // EPSR reads as zero
    }
    case 8: return s_.privileged() ? s_.msp() : 0;
    case 9: return s_.privileged() ? s_.psp() : 0;
    case 16: return s_.primask;
    case 17: case 18: return s_.basepri;
    case 19: return s_.faultmask;
    case 20: return s_.control();
    default: return 0;
    }
}

void CortexM4::msr(u32 sysm, u32 mask, u32 v) {
    if (sysm <= 3) {  // APSR: mask bit 1 = nzcvq, bit 0 = g (GE)
        if (mask & 2) s_.set_nzcvq(v);
        if (mask & 1) s_.set_ge(v);
        return;
    }
    if (!s_.privileged()) return;  // the rest are ignored in unprivileged Thread mode
    switch (sysm) {
    case 8: s_.set_msp(v); break;
    case 9: s_.set_psp(v); break;
    case 16: s_.primask = v & 1; break;
    case 17: s_.basepri = v & ((0xFFu << (8 - config_.priority_bits)) & 0xFFu); break;
    case 18: {  // BASEPRI_MAX: only raises the priority
        const u32 nv = v & ((0xFFu << (8 - config_.priority_bits)) & 0xFFu);
        if (nv != 0 && (nv < s_.basepri || s_.basepri == 0)) s_.basepri = nv;
        break;
    }
    case 19: if (execution_priority() > -1) s_.faultmask = v & 1; break;
    case 20: {
        const bool old_psp = s_.using_psp();
        s_.npriv = v & 1;
        if (!s_.handler_mode()) s_.spsel = v & 2;  // SPSEL is ignored in Handler mode
        s_.fpca = v & 4;
        if (old_psp != s_.using_psp()) std::swap(s_.r[13], s_.other_sp);
        break;
    }
    default: break;
    }
    refresh_fast_regions();  // the MPU decision may depend on the privilege
    attention();
}

void CortexM4::cps(bool disable, u32 affect) {
    if (!s_.privileged()) return;
    if (affect & 2) s_.primask = disable;                                          // I
    if ((affect & 1) && (!disable || execution_priority() > -1)) s_.faultmask = disable;  // F
    attention();
}

// BXWritePC / LoadWritePC (A2.3.1): an EXC_RETURN value in Handler mode returns from the
// exception; a target with bit 0 clear would switch to ARM state, which M profile faults.
void CortexM4::bx_write_pc(u32 target) {
    if (s_.handler_mode() && (target & 0xF0000000u) == 0xF0000000u) {
        exception_return(target);
        return;
    }
    s_.r[15] = target & ~1u;
    if (!(target & 1u)) {
        // EPSR.T = 0: the next instruction raises INVSTATE, with T clear in the stacked xPSR.
        s_.thumb = false;
        fault_ = {true, kUsageFault, cfsr::INVSTATE, 0, false, false};
    }
}

bool CortexM4::fp_check() {
    const u32 cp10 = (cpacr_ >> 20) & 3;
    if (cp10 == 0 || cp10 == 2 || (cp10 == 1 && !s_.privileged())) {
        fault_ = {true, kUsageFault, cfsr::NOCP, 0, false, false};
        return false;
    }
    if (!s_.fpca && (fpccr_ & 0x80000000u)) {
        // First FP instruction of a new context (B1.5.7): FPSCR takes the default from FPDSCR
        // in handlers; CONTROL.FPCA marks the context as having FP state.
        if (s_.handler_mode()) s_.fpscr = (s_.fpscr & ~0x07C00000u) | fpdscr_;
        s_.fpca = true;
    }
    return true;
}

}  // namespace svp::armv7m

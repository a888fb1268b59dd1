// `spherevp iss run FILE.elf [--stats] [--gdb PORT]`: runs a bare-metal Cortex-M4 program on a
// machine compatible with QEMU's mps2-an386, like `qemu-system-arm -M mps2-an386 -nographic
// -semihosting -kernel FILE.elf`: the program's output and nothing else on stdout, its exit
// code as ours. Firmware developers use it like QEMU; the differential tests compare the two.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>

#include <fmt/format.h>
#include <systemc>

#include "cli/command.h"
#include "common/util/input_error.h"
#include "common/util/log.h"
#include "models/base/event_log.h"
#include "models/cpu/armv7m/gdb_stub.h"
#include "models/cpu/armv7m/mps2/mps2_an386.h"

namespace svp::cli {

namespace {

struct IssRunOptions {
    std::string elf;
    bool stats = false;
    int gdb_port = -1;
    double time_limit_s = 0;
    double quantum_us = 1.0;
    std::string events_file;
    std::vector<std::string> injections;
    bool no_run_ahead = false;
    std::string trace_file;
};

std::uint32_t parse_number(const std::string& text, const std::string& spec) {
    try {
        std::size_t used = 0;
        const unsigned long long v = std::stoull(text, &used, 0);
        if (used == text.size() && v <= 0xFFFFFFFFull) return static_cast<std::uint32_t>(v);
    } catch (const std::exception&) {
    }
    throw InputError(fmt::format("--inject {}: '{}' is not a number", spec, text));
}

// --inject KIND@WHERE[#N][:ARGS]: skip@PC, flip@PC:rREG:BIT, corrupt@PC:MASK. WHERE is an
// address or a function name from the ELF; #N = the N-th execution (default 1, 0 = every).
armv7m::InjectionRule parse_injection(const std::string& spec, const armv7m::ElfImage& image) {
    using Kind = armv7m::InjectionRule::Kind;
    armv7m::InjectionRule rule;
    const auto at = spec.find('@');
    if (at == std::string::npos) throw InputError(fmt::format("--inject {}: expected KIND@WHERE (skip@main, flip@0x100:r3:7, corrupt@0x200:0xff)", spec));
    const std::string kind = spec.substr(0, at);
    std::string rest = spec.substr(at + 1);
    std::vector<std::string> parts;
    for (std::size_t p = 0; ; ) {
        const auto c = rest.find(':', p);
        parts.push_back(rest.substr(p, c == std::string::npos ? std::string::npos : c - p));
        if (c == std::string::npos) break;
        p = c + 1;
    }
    std::string where = parts[0];
    if (const auto hash = where.find('#'); hash != std::string::npos) {
        rule.occurrence = parse_number(where.substr(hash + 1), spec);
        where = where.substr(0, hash);
    }
    if (auto sym = image.symbol(where)) rule.pc = *sym;
    else rule.pc = parse_number(where, spec) & ~1u;
    if (kind == "skip" && parts.size() == 1) {
        rule.kind = Kind::skip;
    } else if (kind == "flip" && parts.size() == 3 && !parts[1].empty() && parts[1][0] == 'r') {
        rule.kind = Kind::flip_register_bit;
        rule.reg = parse_number(parts[1].substr(1), spec);
        rule.bit = parse_number(parts[2], spec);
        if (rule.reg > 15 || rule.bit > 31) throw InputError(fmt::format("--inject {}: register r0-r15, bit 0-31", spec));
    } else if (kind == "corrupt" && parts.size() == 2) {
        rule.kind = Kind::corrupt_load;
        rule.xor_mask = parse_number(parts[1], spec);
    } else {
        throw InputError(fmt::format("--inject {}: expected skip@WHERE, flip@WHERE:rREG:BIT or corrupt@WHERE:MASK", spec));
    }
    return rule;
}

int iss_run(const IssRunOptions& o) {
    // SystemC prints a banner and an info line on sc_stop; the program's output must stay alone.
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);

    // Guest errors (an access to nothing) are the program's business, reported by the fault it
    // gets; show them only when asked for more than warnings.
    if (common_options().log_level == "warn") log::get("guest")->set_level(spdlog::level::err);
    std::optional<EventLog> log_file;
    if (!o.events_file.empty()) log_file.emplace(o.events_file);
    EventLog memory_log;
    EventLog& events = log_file ? *log_file : memory_log;
    DeviceContext device("mps2", events, 0);
    Mps2An386::Options options;
    if (o.quantum_us <= 0) throw InputError("--quantum: must be a positive number of microseconds");
    options.quantum = sc_core::sc_time(o.quantum_us, sc_core::SC_US);
    options.output = [](int fd, std::string_view text) {
        std::FILE* f = fd == 2 ? stderr : stdout;
        std::fwrite(text.data(), 1, text.size(), f);
        if (fd == 2) std::fflush(f);
    };
    Mps2An386 machine(device, options);
    machine.load(o.elf);
    auto& core = machine.cpu().core();
    if (o.no_run_ahead) machine.cpu().set_run_ahead(false);
    // Semihosting reads (SYS_READ on ":tt", SYS_READC) take our stdin, like QEMU's. The core
    // waits for the host without advancing simulated time, so the run stays deterministic for
    // a given input.
    core.set_console_input([] { return std::getchar(); });
    for (const auto& spec : o.injections) core.fault_injector().add(parse_injection(spec, machine.image()));
    if (!o.injections.empty()) core.hooks_changed();

    std::FILE* trace = nullptr;
    if (!o.trace_file.empty()) {
        trace = std::fopen(o.trace_file.c_str(), "w");
        if (!trace) throw InputError(o.trace_file, 0, "cannot open the trace file for writing");
        core.set_trace([trace](const armv7m::DecodedInsn& d, const armv7m::CortexM4& c) {
            const auto& s = c.state();
            std::fprintf(trace, "%08x %-10s r0=%08x r1=%08x r2=%08x r3=%08x sp=%08x lr=%08x psr=%08x\n", d.pc,
                         std::string(armv7m::opcode_name(d.op)).c_str(), s.r[0], s.r[1], s.r[2], s.r[3], s.r[13],
                         s.r[14], s.xpsr());
        });
    }
    std::unique_ptr<GdbStub> gdb;
    if (o.gdb_port >= 0) {
        gdb = std::make_unique<GdbStub>(machine.cpu(), machine.image());
        const int port = gdb->listen(static_cast<std::uint16_t>(o.gdb_port));
        std::fprintf(stderr, "spherevp: iss: waiting for gdb on 127.0.0.1:%d\n", port);
        gdb->wait_for_client();
    }

    const auto wall_start = std::chrono::steady_clock::now();
    if (o.time_limit_s > 0) sc_core::sc_start(sc_core::sc_time(o.time_limit_s, sc_core::SC_SEC));
    else sc_core::sc_start();
    const auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    std::fflush(stdout);
    if (trace) std::fclose(trace);

    if (o.stats) {
        const double sim_s = machine.cpu().local_time().to_seconds();
        std::fprintf(stderr,
                     "instructions    %llu\ncycles          %llu\nsimulated time  %.9f s\nhost time       %.3f s\nMIPS            %.1f\n"
                     "quanta          %llu\n",
                     static_cast<unsigned long long>(core.instructions()), static_cast<unsigned long long>(core.cycles()),
                     sim_s, wall, wall > 0 ? static_cast<double>(core.instructions()) / wall / 1e6 : 0.0,
                     static_cast<unsigned long long>(machine.cpu().quanta()));
    }
    switch (core.halt_reason()) {
    case armv7m::HaltReason::exit:
        return core.exit_code();
    case armv7m::HaltReason::lockup:
        std::fprintf(stderr, "spherevp: iss: %s\n", core.halt_message().c_str());
        return kExitExpectationFailed;
    case armv7m::HaltReason::none:
        break;
    }
    if (gdb && gdb->detached_by_kill()) return 0;
    if (o.time_limit_s > 0 && sc_core::sc_time_stamp() >= sc_core::sc_time(o.time_limit_s, sc_core::SC_SEC)) {
        std::fprintf(stderr, "spherevp: iss: time limit of %g s (simulated) reached at pc=0x%08x\n", o.time_limit_s,
                     core.state().r[15]);
        return kExitExpectationFailed;
    }
    std::fprintf(stderr, "spherevp: iss: the core is asleep (WFI/WFE) with nothing left to wake it, pc=0x%08x\n",
                 core.state().r[15]);
    return kExitExpectationFailed;
}

}  // namespace

void register_iss(CLI::App& root) {
    auto* group = root.add_subcommand("iss", "the Cortex-M4 instruction-set simulator on its own");
    group->require_subcommand(1);
    static IssRunOptions o;
    auto* run = group->add_subcommand(
        "run", "run a bare-metal ELF on an mps2-an386-compatible machine (like qemu-system-arm -M mps2-an386 "
               "-semihosting -kernel); exit code = the program's");
    run->add_option("elf", o.elf, "program (ELF, linked for code at 0x0 and RAM at 0x20000000)")->required();
    run->add_flag("--stats", o.stats, "print instructions, cycles, simulated time and MIPS to stderr");
    run->add_option("--gdb", o.gdb_port, "wait for gdb (remote serial protocol) on this TCP port of 127.0.0.1 (0: any)");
    run->add_option("--time-limit", o.time_limit_s, "stop after this much simulated time (seconds)");
    run->add_option("--trace", o.trace_file, "write every executed instruction to this file (slow)");
    run->add_option("--events", o.events_file, "write the event log (faults taken, injections) as JSON lines to this file");
    run->add_option("--inject", o.injections,
                    "fault injection, repeatable: skip@WHERE[#N], flip@WHERE[#N]:rREG:BIT, corrupt@WHERE[#N]:XORMASK "
                    "(WHERE: address or function name; N: the N-th execution, 0 = every)")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);  // one rule per --inject, never the ELF
    run->add_option("--quantum", o.quantum_us, "SystemC synchronisation quantum in microseconds")->capture_default_str();
    run->add_flag("--no-run-ahead", o.no_run_ahead,
                  "synchronise every quantum even when nothing else is scheduled (for measurements)");
    set_action(run, [] { return iss_run(o); });
}

}  // namespace svp::cli

// A configurable misbehaving app for the scenarios of a software attacker inside the device
// (SCENARIOS A1-A9). CmdArgs: [attack, arguments...]; after its attack it idles (so only the
// crash loop makes the application manager restart it).
//   forbidden-connect HOST [PORT]   connect to a host not in AllowedConnections (A1)
//   peripheral-grab PIN             open /dev/gpioPIN it does not own (A2)
//   proc-mem-write                  write /proc/self/mem, map W+X, make its stack executable (A3)
//   sm-call                         call security-monitor functions without the capability (A5)
//   security-flood PROCS CALLS      PROCS processes each make CALLS TRNG requests at once (A6)
//   read-kmsg                       read the kernel log (A7)
//   crash-loop                      crash soon after every start (A8)
//   memory-exhaustion               allocate 16 KiB at a time until refused (A9)
//   fork-bomb                       start processes until refused (A9)
//   ignore-sigterm                  catch SIGTERM and carry on (so a stop needs SIGKILL)
//   idle                            nothing (a well-behaved owner of what its manifest lists)
#include <fmt/format.h>

#include "os-sim/apps/app.h"
#include "os-sim/kernel/process.h"

namespace svp::os {

class MisbehavingApp : public App {
public:
    int main(AppContext& ctx) override {
        const auto& args = ctx.manifest().cmd_args;
        const std::string attack = args.empty() ? "" : args[0];
        auto arg = [&](std::size_t i, const std::string& fallback) { return args.size() > i ? args[i] : fallback; };
        auto report = [&](const std::string& what, long rc) {
            ctx.log(fmt::format("{}: {}", what, rc < 0 ? fmt::format("refused ({})", -rc) : fmt::format("succeeded ({})", rc)));
        };
        if (attack == "forbidden-connect") {
            const int fd = ctx.socket();
            report("connect " + arg(1, "evil.example"),
                   ctx.connect(fd, arg(1, "evil.example"), static_cast<std::uint16_t>(std::stoi(arg(2, "443")))));
            ctx.close(fd);
        } else if (attack == "peripheral-grab") {
            report("open /dev/gpio" + arg(1, "8"), ctx.open("/dev/gpio" + arg(1, "8"), o_rdwr));
        } else if (attack == "proc-mem-write") {
            report("open /proc/self/mem for writing", ctx.open("/proc/self/mem", o_rdwr));
            report("mmap rwx", ctx.mmap(4096, prot_read | prot_write | prot_exec));
            const auto maps = ctx.mappings();
            for (const auto& m : maps)
                if (m.name == "[stack]") report("mprotect stack r-x", ctx.mprotect(m.start, m.length, prot_read | prot_exec));
        } else if (attack == "sm-call") {
            const int fd = ctx.open("/dev/security-monitor", o_rdwr);
            std::uint8_t buf[8] = {};
            report("security monitor stage-begin", ctx.ioctl(fd, ioctl::sm_stage_begin, buf));
            report("security monitor device-reset", ctx.ioctl(fd, ioctl::sm_device_reset, buf));
        } else if (attack == "security-flood") {
            const int procs = std::stoi(arg(1, "6")), calls = std::stoi(arg(2, "20"));
            for (int i = 0; i < procs; ++i)
                ctx.spawn(fmt::format("flood{}", i), [calls](AppContext& c) {
                    const int fd = c.open("/dev/pluton", o_rdwr);
                    long ok = 0, busy = 0;
                    for (int k = 0; k < calls; ++k) {
                        std::uint8_t rng[32];
                        const long rc = c.ioctl(fd, ioctl::pluton_read_rng, rng);
                        (rc > 0 ? ok : busy) += 1;
                    }
                    c.log(fmt::format("flood: {} answered, {} refused", ok, busy));
                    return 0;
                });
        } else if (attack == "read-kmsg") {
            std::string text;
            report("read /dev/kmsg", ctx.read_file("/dev/kmsg", text));
        } else if (attack == "crash-loop") {
            ctx.compute(50'000);
            throw std::runtime_error("segmentation fault at 0x00000000 (crash-loop attack)");
        } else if (attack == "memory-exhaustion") {
            long total = 0;
            std::int64_t rc;
            while ((rc = ctx.mmap(16 * 1024, prot_read | prot_write)) >= 0) total += 16 * 1024;
            report(fmt::format("allocated {} KiB, then", total / 1024), rc);
        } else if (attack == "fork-bomb") {
            int n = 0, rc;
            while ((rc = ctx.spawn("bomb", [](AppContext& c) {
                        for (;;) c.sleep(sc_core::sc_time(1, sc_core::SC_SEC));
                        return 0;
                    })) > 0)
                ++n;
            report(fmt::format("started {} processes, then", n), rc);
        } else if (attack == "ignore-sigterm") {
            ctx.on_signal(sig_term, [&ctx](int) { ctx.log("SIGTERM ignored"); });
        } else if (attack != "idle") {
            ctx.log("unknown attack '" + attack + "'");
        }
        for (;;) ctx.sleep(sc_core::sc_time(3600, sc_core::SC_SEC));
    }
};

std::unique_ptr<App> make_misbehaving_app() { return std::make_unique<MisbehavingApp>(); }

}  // namespace svp::os

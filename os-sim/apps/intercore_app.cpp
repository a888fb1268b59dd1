// The inter-core app: talks to a real-time app over the mailbox and shared buffers (the
// Azure Sphere IntercoreComms sample's high-level half). CmdArgs: [RT app ComponentId,
// interval seconds, count (0 = forever)]. Each round sends "ping N" and waits for the reply.
#include <fmt/format.h>

#include "os-sim/apps/app.h"

namespace svp::os {

class IntercoreApp : public App {
public:
    int main(AppContext& ctx) override {
        const auto& args = ctx.manifest().cmd_args;
        if (args.empty()) {
            ctx.log("no real-time app named in CmdArgs");
            return 1;
        }
        const double interval_s = args.size() > 1 ? std::stod(args[1]) : 1.0;
        const long count = args.size() > 2 ? std::stol(args[2]) : 0;
        const int fd = ctx.application_connect(args[0]);
        if (fd < 0) {
            ctx.log(fmt::format("cannot connect to {}: error {}", args[0], -fd));
            return 1;
        }
        for (long n = 0; count == 0 || n < count; ++n) {
            const auto msg = fmt::format("ping {}", n);
            if (const long rc = ctx.write(fd, msg); rc < 0) ctx.log(fmt::format("send failed: {}", -rc));
            std::uint8_t reply[1040];
            const long got = ctx.read(fd, reply);
            if (got > 0) ctx.log("reply: " + std::string(reinterpret_cast<const char*>(reply), static_cast<std::size_t>(got)));
            ctx.sleep(sc_core::sc_time(interval_s, sc_core::SC_SEC));
        }
        for (;;) ctx.sleep(sc_core::sc_time(3600, sc_core::SC_SEC));
    }
};

std::unique_ptr<App> make_intercore_app() { return std::make_unique<IntercoreApp>(); }

}  // namespace svp::os

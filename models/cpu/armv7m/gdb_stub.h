// A GDB remote-serial-protocol stub for one core (`spherevp iss run --gdb PORT`), usable from
// gdb-multiarch: `target remote :PORT`. It serves registers (the M-profile, system and VFP
// features of its target description), memory, software and hardware breakpoints, watchpoints,
// step, continue and interrupt (Ctrl-C). It listens on 127.0.0.1 only.
//
// The stub runs on the core's own SystemC thread: when the core stops for the debugger, the
// thread serves packets until gdb says continue; simulated time does not advance meanwhile.
#pragma once

#include <cstdint>
#include <string>

#include "models/cpu/armv7m/cortex_m4_module.h"
#include "models/cpu/armv7m/elf_loader.h"

namespace svp {

class GdbStub {
public:
    GdbStub(CortexM4Module& cpu, const armv7m::ElfImage& image);  // image: for the caller's symbols
    ~GdbStub();
    GdbStub(const GdbStub&) = delete;
    GdbStub& operator=(const GdbStub&) = delete;

    // Binds 127.0.0.1:port (0 picks a free port) and returns the port.
    int listen(std::uint16_t port);
    // Blocks until gdb connects; the core then stays stopped at reset until gdb continues.
    void wait_for_client();
    bool detached_by_kill() const { return killed_; }

private:
    bool on_stop(armv7m::CortexM4& core, armv7m::StopReason why);
    void poll_interrupt();
    // Serves packets until gdb resumes the core; returns false if the session ended in a kill.
    bool serve(armv7m::CortexM4& core);
    std::string handle(armv7m::CortexM4& core, const std::string& packet, bool& resume, bool& stop_serving);
    std::string stop_reply(armv7m::CortexM4& core);
    bool read_packet(std::string& packet);
    void send_packet(const std::string& payload);
    int read_byte();

    CortexM4Module& cpu_;
    const armv7m::ElfImage& image_;
    int listen_fd_ = -1, fd_ = -1;
    bool killed_ = false, detached_ = false;
    bool first_stop_ = true;  // the stop at reset: gdb has not continued yet, so no stop reply
    int last_signal_ = 5;
    std::string pending_input_;
};

}  // namespace svp

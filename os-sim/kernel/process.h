// A process: a SystemC thread that runs only while it holds the CPU (cpu_scheduler.h), with a
// PID, a UID, a priority, a descriptor table, an address space charged to its app's memory
// account, kernel capabilities (system services only) and signals.
//
// Signals are delivered where a process enters or leaves the kernel (every system call and
// every charged operation is such a point) and interrupt its blocking waits. SIGKILL cannot be
// caught: a process outside an uninterruptible kernel section is ended at once (its thread is
// killed and unwound); one inside such a section (a security-subsystem call, a NIC command)
// ends as soon as it leaves it. SIGTERM runs the handler the process installed, else ends it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <systemc>

#include "os-sim/kernel/memory.h"
#include "os-sim/kernel/vfs.h"

namespace svp::os {

class AppContainer;

enum Signal : int { sig_kill = 9, sig_segv = 11, sig_term = 15, sig_abrt = 6, sig_xcpu = 24 };
std::string_view signal_name(int sig);

// Kernel capabilities (Azure Sphere's task credentials, reference §3): only system services
// hold any; an app process holds none and reaches the system through its manifest.
enum KernelCap : std::uint32_t {
    cap_syslog = 1u << 0,             // read the kernel log (dmesg_restrict=1)
    cap_update_image = 1u << 1,       // stage and commit images, reset the device
    cap_query_image_info = 1u << 2,   // rollback info, image versions
    cap_attestation_runtime = 1u << 3,// process attestation with the device key
    cap_peripheral_mapping = 1u << 4, // firewall assignment and lock
    cap_sfs = 1u << 5,                // the OS's own storage (/mnt/config)
    cap_kill = 1u << 6,               // signal any process
    cap_all = 0x7F,
};

enum class ProcessState { runnable, zombie };

// Thrown inside a process's own thread to end it at a delivery point; caught by the thread's
// entry, never by a std::exception handler (it is not one).
struct ProcessExit {
    int status;
};

struct Process {
    int pid = 0, ppid = 0, uid = 0;
    std::string name;
    AppContainer* container = nullptr;  // null for system processes
    std::uint32_t caps = 0;
    ProcessState state = ProcessState::runnable;
    int exit_status = 0;
    std::uint64_t died_ns = 0;
    int term_signal = 0;                // the signal that ended it, or 0
    std::string crash_detail;           // why it crashed, when it did
    FdTable fds;
    std::unique_ptr<AddressSpace> mm;
    std::function<int(Process&)> body;
    sc_core::sc_process_handle thread;

    // Signals.
    std::uint32_t pending = 0;                          // bit n: signal n
    std::map<int, std::function<void(int)>> handlers;   // SIGTERM may be handled
    int uninterruptible = 0;                            // depth of kernel sections that must finish
    bool in_handler = false;
    sc_core::sc_event wake;                             // a signal arrived (interrupts waits)
    sc_core::sc_event exited;

    bool alive() const { return state == ProcessState::runnable; }
    bool has_pending(int sig) const { return pending & (1u << sig); }
};

}  // namespace svp::os

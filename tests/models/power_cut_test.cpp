// Power cut after every single flash operation of an A/B install, cleanly and torn (U4, U5;
// MCUboot's perm_with_fails, plus torn writes it lacks). Each cut point is its own simulation
// (SystemC elaborates once per process), run in a forked child that reports its verdict.
// Invariant after every cut: the device comes back up on a verified image (never halted,
// never unverified code), the boot state is consistent, and the anti-rollback fuse never
// exceeds the confirmed image's counter; finishing the update afterwards works.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/device_rig.h"

using namespace svp;
using test::DeviceRig;

namespace {

enum Outcome : int { kOk = 0, kOkFinishedLater = 1, kNeverCut = 10, kHalted = 11, kBadState = 12, kStuck = 13, kNoFinish = 14 };

// One run: install v2, reset, confirm — with power cut after operation `cut` (0 = no cut).
// Returns the flash operations the whole sequence used (for the uncut run) or an Outcome.
int run_with_cut(std::uint64_t cut, bool torn, std::uint64_t* operations = nullptr) {
    DeviceRig r;
    const auto v2 = test::make_image(image::ImageType::os_kernel, "2.0.0", 2, r.root, 6000);
    int outcome = kOk;
    int cuts = 0;
    r.device.flash().on_power_cut([&] { ++cuts; });
    bool finished = test::run_thread(
        [&] {
            r.wait_for_boot(1);
            const auto base = r.device.flash().operations();
            if (cut) r.device.flash().schedule_power_cut({cut, torn});
            // The OS stand-in: install, reset into the test boot, confirm. A power cut can
            // interrupt it anywhere; the device then reboots and the stand-in sees a new boot.
            const auto boots_before = r.boots.size();
            r.install("os-kernel", v2);  // may be cut short; the state check below judges it
            if (r.boots.size() == boots_before) r.reset_device();
            // Settle: whatever booted, confirm it if it is a test boot, then reboot once more.
            r.call(secproto::confirm_boot);
            r.reset_device();
            const auto answer_info = r.call(secproto::rollback_info).second;
            const auto& info = answer_info.at("stages").at(1);
            const auto fuse = info["fuse_counter"].get<unsigned>();
            const std::string confirmed = info["confirmed"];
            const auto booted = r.boots.back().slot;
            // Consistency: it booted its confirmed slot, nothing is pending, the fuse matches it.
            const bool on_v2 = confirmed == "os_b";
            if (booted != confirmed || !info["pending"].is_null() || fuse != (on_v2 ? 2u : 1u)) outcome = kBadState;
            if (operations) *operations = r.device.flash().operations() - base;
            // Finishing an interrupted update afterwards must work from any state.
            if (!on_v2 && outcome == kOk) {
                if (!r.install("os-kernel", v2).value("verified", false)) outcome = kNoFinish;
                r.reset_device();
                r.call(secproto::confirm_boot);
                r.reset_device();
                if (r.boots.back().slot != "os_b") outcome = kNoFinish;
                if (outcome == kOk) outcome = kOkFinishedLater;
            }
        },
        sc_core::sc_time(100, sc_core::SC_SEC));
    if (r.ctx.log.count(ev::sec_boot_halted) > 0) return kHalted;
    if (!finished) return kStuck;
    if (cut && cuts == 0) return kNeverCut;
    return outcome;
}

int in_child(std::uint64_t cut, bool torn) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(run_with_cut(cut, torn));
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

std::uint64_t operations_of_the_update() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
        std::uint64_t ops = 0;
        const int rc = run_with_cut(0, false, &ops);
        (void)!::write(fds[1], &ops, sizeof ops);
        ::_exit(rc);
    }
    ::close(fds[1]);  // so a child that dies before writing gives end-of-file, not a hang
    std::uint64_t ops = 0;
    (void)!::read(fds[0], &ops, sizeof ops);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == kOk);
    return ops;
}

// Cuts every operation in turn. Early cuts leave the old image confirmed (the update is then
// finished from there), late ones the new: both must be seen, or the cuts missed the update.
void cut_everywhere(bool torn) {
    const auto ops = operations_of_the_update();
    INFO("flash operations in install + test boot + confirm: " << ops);
    REQUIRE(ops > 10);
    int stayed_old = 0, reached_new = 0;
    for (std::uint64_t k = 1; k <= ops; ++k) {
        INFO((torn ? "torn operation " : "power cut after operation ") << k << " of " << ops);
        const int outcome = in_child(k, torn);
        CHECK((outcome == kOk || outcome == kOkFinishedLater));
        (outcome == kOkFinishedLater ? stayed_old : reached_new) += 1;
    }
    CHECK(stayed_old > 0);
    CHECK(reached_new > 0);
}

}  // namespace

TEST_CASE("a power cut after every flash operation of an update leaves a bootable, consistent device (U4)") {
    cut_everywhere(false);
}

TEST_CASE("a torn write at every flash operation of an update leaves a bootable, consistent device (U5)") {
    cut_everywhere(true);
}

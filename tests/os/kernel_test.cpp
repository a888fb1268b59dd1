// The kernel on a provisioned device: the boot log, and each enforcement of issue 6 — every
// capability allowed and denied, one owner per resource, EPERM events, W^X, install-time
// refusals, memory and process limits, the kernel log, SIGTERM then SIGKILL, restart back-off.
#include <catch2/catch.hpp>

#include "common/crypto/digest.h"
#include "os-sim/kernel/files.h"
#include "os-sim/services/app_manager.h"
#include "tests/os/os_rig.h"

using namespace svp;
using namespace svp::test;
using os::AppContext;

TEST_CASE("the boot log shows each stage with simulated timestamps, and apps running is an event") {
    register_app("/test/idle", idle);
    OsRigOptions o;
    o.apps = {{manifest("idler", "/test/idle")}};
    OsRig rig(o);
    run_for(s(1));
    std::vector<std::string> stages;
    for (const auto* e : rig.all(ev::os_boot_stage)) stages.push_back(e->field("stage"));
    CHECK(stages == std::vector<std::string>{"kernel", "drivers", "storage", "services"});
    const auto* running = rig.first(ev::os_init_apps_running);
    REQUIRE(running);
    CHECK(running->field("count") == "1");
    CHECK(running->fields["boot_ms"].get<double>() > 0);
    const auto* released = rig.first(ev::sec_boot_core_released);
    REQUIRE(released);
    CHECK(running->t_ns > released->t_ns);
    // dmesg-style lines, timestamps counted from the kernel's start.
    CHECK_THAT(rig.console, Catch::Contains("[    0.000"));
    CHECK_THAT(rig.console, Catch::Contains("] spherevp-os"));
    CHECK_THAT(rig.console, Catch::Contains("] init: 1 app(s) running"));
    CHECK(rig.count(ev::os_app_started, {{"app", "idler"}, {"uid", "1000"}}) == 1);
}

TEST_CASE("Gpio: a listed pin is driven through the GPIO block - an unlisted one is EPERM with an event") {
    int open_listed = 0, open_unlisted = 0;
    long readback = -1;
    register_app("/test/gpio", [&](AppContext& c) {
        open_listed = c.open("/dev/gpio1", os::o_rdwr);
        std::uint8_t one = 1;
        c.ioctl(open_listed, os::ioctl::gpio_set_direction, {&one, 1});
        c.ioctl(open_listed, os::ioctl::gpio_set_value, {&one, 1});
        readback = c.ioctl(open_listed, os::ioctl::gpio_get_value);
        open_unlisted = c.open("/dev/gpio2", os::o_rdwr);
        return idle(c);
    });
    OsRigOptions o;
    o.apps = {{manifest("blinky", "/test/gpio", {{"Gpio", {1}}})}};
    OsRig rig(o);
    run_for(s(1));
    CHECK(open_listed >= 0);
    CHECK(readback == 1);
    // The real GPIO_PWM_0 block (pins 0-3) drives package pin 1; nothing else moved.
    CHECK(rig.reg("gpio_pwm_0", "OE") == 0x2);
    CHECK(rig.reg("gpio_pwm_0", "DOUT") == 0x2);
    CHECK(rig.device.gpio_pins().output_enabled(1));
    CHECK(rig.device.gpio_pins().level(1));
    CHECK_FALSE(rig.device.gpio_pins().output_enabled(2));
    CHECK(open_unlisted == -EPERM);
    CHECK(rig.count(ev::os_security_capability_denied, {{"app", "blinky"}, {"capability", "Gpio"}, {"resource", "gpio2"}}) == 1);
}

TEST_CASE("ISU, ADC and PWM nodes: granted ones open on their driver (ISU0's UART is the console: ENODEV), others are EPERM") {
    std::map<std::string, int> rc;
    register_app("/test/periph", [&](AppContext& c) {
        for (const auto* node : {"/dev/uart-isu0", "/dev/i2c-isu1", "/dev/spi-isu2", "/dev/adc0", "/dev/pwm1", "/dev/uart-isu3",
                                 "/dev/pwm0", "/dev/watchdog", "/dev/nonsense"})
            rc[node] = c.open(node, os::o_rdwr);
        return idle(c);
    });
    OsRigOptions o;
    o.apps = {{manifest("periph", "/test/periph",
                        {{"Uart", {"ISU0"}}, {"I2cMaster", {"ISU1"}}, {"SpiMaster", {"ISU2"}}, {"Adc", {"ADC-CONTROLLER-0"}},
                         {"Pwm", {"PWM-CONTROLLER-1"}}})}};
    OsRig rig(o);
    run_for(s(1));
    CHECK(rc["/dev/uart-isu0"] == -ENODEV);
    CHECK(rc["/dev/i2c-isu1"] >= 0);
    CHECK(rc["/dev/spi-isu2"] >= 0);
    CHECK(rc["/dev/adc0"] >= 0);
    CHECK(rc["/dev/pwm1"] >= 0);
    CHECK(rc["/dev/uart-isu3"] == -EPERM);
    CHECK(rc["/dev/pwm0"] == -EPERM);
    CHECK(rc["/dev/watchdog"] == -EPERM);
    CHECK(rc["/dev/nonsense"] == -ENOENT);
    CHECK(rig.count(ev::os_security_capability_denied, {{"app", "periph"}, {"capability", "Uart"}, {"resource", "ISU3"}}) == 1);
    CHECK(rig.count(ev::os_security_capability_denied, {{"app", "periph"}, {"capability", "Pwm"}, {"resource", "PWM-CONTROLLER-0"}}) == 1);
}

TEST_CASE("one owner per resource and per pin: a second app claiming them is refused at start") {
    register_app("/test/idle", idle);
    OsRigOptions o;
    o.apps = {{manifest("first", "/test/idle", {{"Gpio", {1}}, {"Uart", {"ISU0"}}})},
              {manifest("same-pin", "/test/idle", {{"Gpio", {1}}})},
              {manifest("isu-pin", "/test/idle", {{"Gpio", {27}}})},
              {manifest("isu-again", "/test/idle", {{"SpiMaster", {"ISU0"}}})},
              {manifest("other", "/test/idle", {{"Gpio", {3}}})}};
    OsRig rig(o);
    run_for(s(1));
    CHECK(rig.count(ev::os_app_rejected, {{"app", "same-pin"}, {"reason", "resource-owned"}}) == 1);
    CHECK(rig.count(ev::os_app_rejected, {{"app", "isu-pin"}, {"reason", "resource-owned"}}) == 1);
    CHECK(rig.count(ev::os_app_rejected, {{"app", "isu-again"}, {"reason", "resource-owned"}}) == 1);
    CHECK_THAT(rig.first(ev::os_app_rejected, {{"app", "isu-pin"}})->field("detail"), Catch::Contains("gpio27 belongs to first"));
    CHECK(rig.count(ev::os_app_started, {{"app", "first"}}) == 1);
    CHECK(rig.count(ev::os_app_started, {{"app", "other"}}) == 1);
    CHECK(rig.first(ev::os_init_apps_running)->field("count") == "2");
}

TEST_CASE("AllowedConnections: listed hosts (by name or their address) pass, others are EPERM with an event") {
    std::map<std::string, int> rc;
    register_app("/test/net", [&](AppContext& c) {
        for (const auto* host : {"allowed.example", "10.0.0.7", "denied.example", "10.0.0.8", "unknown.example"}) {
            const int fd = c.socket();
            rc[host] = c.connect(fd, host, 443);
            c.close(fd);
        }
        return idle(c);
    });
    OsRigOptions o;
    o.os_config = {{"hosts", {{"allowed.example", "10.0.0.7"}, {"denied.example", "10.0.0.8"}}}};
    o.apps = {{manifest("net", "/test/net", {{"AllowedConnections", {"allowed.example", "unknown.example"}}})}};
    OsRig rig(o);
    run_for(s(1));
    CHECK(rc["allowed.example"] == -ECONNREFUSED);  // allowed; nothing listens there
    CHECK(rc["10.0.0.7"] == -ECONNREFUSED);
    CHECK(rc["denied.example"] == -EPERM);
    CHECK(rc["10.0.0.8"] == -EPERM);
    CHECK(rc["unknown.example"] == -EHOSTUNREACH);  // allowed, but no name for it
    CHECK(rig.count(ev::os_security_capability_denied,
                    {{"app", "net"}, {"capability", "AllowedConnections"}, {"resource", "denied.example"}}) == 1);
    CHECK(rig.count(ev::os_security_capability_denied, {{"app", "net"}, {"capability", "AllowedConnections"}, {"resource", "10.0.0.8"}}) == 1);
}

TEST_CASE("MutableStorage: the app's own files within its quota - without it EPERM - /mnt/config is the OS's") {
    std::string back;
    int quota_rc = 0, close_rc = -1, no_cap = 0, config = 0, escape = 0;
    register_app("/test/store", [&](AppContext& c) {
        int fd = c.open("/mnt/storage/state", os::o_rdwr | os::o_creat);
        c.write(fd, std::string_view("counter=41"));
        close_rc = c.close(fd);
        c.read_file("/mnt/storage/state", back);
        fd = c.open("/mnt/storage/big", os::o_rdwr | os::o_creat);
        quota_rc = static_cast<int>(c.write(fd, Bytes(2000, 'x')));
        c.close(fd);
        config = c.open("/mnt/config/hosts", os::o_rdonly);
        escape = c.open("/mnt/storage/../config/hosts", os::o_rdonly);
        return idle(c);
    });
    register_app("/test/nostore", [&](AppContext& c) {
        no_cap = c.open("/mnt/storage/state", os::o_rdwr | os::o_creat);
        return idle(c);
    });
    OsRigOptions o;
    o.apps = {{manifest("store", "/test/store", {{"MutableStorage", {{"SizeKB", 1}}}})}, {manifest("nostore", "/test/nostore")}};
    OsRig rig(o);
    run_for(s(2));
    CHECK(close_rc == 0);
    CHECK(back == "counter=41");
    CHECK(quota_rc == -EDQUOT);
    CHECK(no_cap == -EPERM);
    CHECK(config == -EPERM);
    CHECK(escape == -EINVAL);
    CHECK(rig.count(ev::os_security_capability_denied, {{"app", "nostore"}, {"capability", "MutableStorage"}}) == 1);
    CHECK(rig.count(ev::os_security_capability_denied, {{"app", "store"}, {"capability", "SFS"}}) == 1);
    // It is on the flash, under the app's ComponentId.
    auto& store = rig.kernel().store();
    const auto id = manifest("store", "/test/store")["ComponentId"].get<std::string>();
    CHECK(store.contains("apps/" + id + "/state"));
}

TEST_CASE("DeviceAuthentication: signing with the device key in the security subsystem, or EPERM") {
    crypto::Digest digest = crypto::sha256(std::string("hello"));
    std::array<std::uint8_t, 64> sig{};
    long granted = 0, denied = 0, state = -1;
    register_app("/test/sign", [&](AppContext& c) {
        const int fd = c.open("/dev/pluton", os::o_rdwr);
        std::copy(digest.begin(), digest.end(), sig.begin());
        granted = c.ioctl(fd, os::ioctl::pluton_sign_with_device_key, sig);
        state = c.ioctl(fd, os::ioctl::pluton_get_security_state);
        return idle(c);
    });
    register_app("/test/nosign", [&](AppContext& c) {
        const int fd = c.open("/dev/pluton", os::o_rdwr);
        std::array<std::uint8_t, 64> buf{};
        denied = c.ioctl(fd, os::ioctl::pluton_sign_with_device_key, buf);
        return idle(c);
    });
    OsRigOptions o;
    o.apps = {{manifest("signer", "/test/sign", {{"DeviceAuthentication", "2a5f0c9e-0000-4000-8000-00000000beef"}})},
              {manifest("nosigner", "/test/nosign")}};
    OsRig rig(o);
    run_for(s(1));
    REQUIRE(granted == 64);
    crypto::RawSignature raw{};
    std::copy(sig.begin(), sig.end(), raw.begin());
    const auto key = crypto::EcPublicKey::from_raw(ByteView(*rig.device.security().device_public_key()));
    CHECK(key.verify_digest(digest, raw));
    CHECK((state & 1) == 1);  // secure boot
    CHECK(denied == -EPERM);
    CHECK(rig.count(ev::os_security_capability_denied, {{"app", "nosigner"}, {"capability", "DeviceAuthentication"}}) == 1);
}

TEST_CASE("security-monitor functions without the capability are EPERM (A5)") {
    OsRigOptions o;
    o.apps = {{manifest("attacker", "/bin/misbehave", {}, {"sm-call"})}};
    OsRig rig(o);
    run_for(s(1));
    CHECK(rig.count(ev::os_security_capability_denied, {{"app", "attacker"}, {"capability", "UPDATE_IMAGE"}, {"resource", "stage-begin"}}) == 1);
    CHECK(rig.count(ev::os_security_capability_denied, {{"app", "attacker"}, {"capability", "UPDATE_IMAGE"}, {"resource", "device-reset"}}) == 1);
    CHECK(rig.count(ev::sec_device_reset) == 0);
    CHECK_THAT(rig.console, Catch::Contains("security monitor stage-begin: refused (1)"));
}

TEST_CASE("AllowedApplicationConnections: an inter-core channel to a listed real-time app, EPERM otherwise") {
    const std::string rt_app = "005180bc-402f-4cb3-a662-72937dbcde47", other = "11111111-2222-4333-8444-555555555555";
    std::string reply;
    int denied = 0;
    register_app("/test/ic", [&](AppContext& c) {
        const int fd = c.application_connect(rt_app);
        c.write(fd, std::string_view("hello"));
        std::uint8_t buf[64];
        const long n = c.read(fd, buf);
        if (n > 0) reply.assign(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
        denied = c.application_connect(other);
        return idle(c);
    });
    OsRigOptions o;
    o.os_config = {{"realtime_apps", {{rt_app, "rt0"}, {other, "rt0"}}}};
    o.apps = {{manifest("hlapp", "/test/ic", {{"AllowedApplicationConnections", {rt_app}}})}};
    OsRig rig(o);
    run_for(s(1));
    CHECK(reply == "pong: hello");
    CHECK(rig.rt.messages == 1);
    CHECK(denied == -EPERM);
    CHECK(rig.count(ev::os_security_capability_denied,
                    {{"app", "hlapp"}, {"capability", "AllowedApplicationConnections"}, {"resource", other}}) == 1);
}

TEST_CASE("the inter-core example app exchanges messages with the real-time app") {
    const std::string rt_app = "005180bc-402f-4cb3-a662-72937dbcde47";
    OsRigOptions o;
    o.os_config = {{"realtime_apps", {{rt_app, "rt0"}}}};
    o.apps = {{manifest("intercore", "/bin/intercore", {{"AllowedApplicationConnections", {rt_app}}}, {rt_app, "0.1", "3"})}};
    OsRig rig(o);
    run_for(s(2));
    CHECK(rig.rt.messages == 3);
    CHECK_THAT(rig.console, Catch::Contains("intercore: reply: pong: ping 2"));
}

TEST_CASE("SoftwareUpdateDeferral and SystemTime are granted only when listed") {
    int defer_ok = 1, defer_denied = 0, time_ok = 1, time_denied = 0;
    std::uint64_t after = 0;
    register_app("/test/granted", [&](AppContext& c) {
        defer_ok = c.defer_update(600);
        time_ok = c.set_time(OsRig::kEpoch + 1000);
        after = c.now_unix_ms() / 1000;
        return idle(c);
    });
    register_app("/test/denied", [&](AppContext& c) {
        defer_denied = c.defer_update(600);
        time_denied = c.set_time(0);
        return idle(c);
    });
    OsRigOptions o;
    o.apps = {{manifest("granted", "/test/granted", {{"SoftwareUpdateDeferral", true}, {"SystemTime", true}})},
              {manifest("denied", "/test/denied")}};
    OsRig rig(o);
    run_for(s(1));
    CHECK(defer_ok == 0);
    CHECK(time_ok == 0);
    CHECK(after == static_cast<std::uint64_t>(OsRig::kEpoch + 1000));
    CHECK(rig.kernel().apps().find("granted")->deferral_until_ns > 600'000'000'000ull);
    CHECK(defer_denied == -EPERM);
    CHECK(time_denied == -EPERM);
    CHECK(rig.count(ev::os_security_capability_denied, {{"app", "denied"}, {"capability", "SoftwareUpdateDeferral"}}) == 1);
    CHECK(rig.count(ev::os_security_capability_denied, {{"app", "denied"}, {"capability", "SystemTime"}}) == 1);
}

TEST_CASE("W^X and /proc: mem is read-only, no W+X or unsigned code, maps readable, others' processes hidden (A3)") {
    std::map<std::string, long> rc;
    std::string maps;
    register_app("/test/wx", [&](AppContext& c) {
        rc["mem write"] = c.open("/proc/self/mem", os::o_rdwr);
        rc["task mem write"] = c.open("/proc/self/task/1/mem", os::o_wronly);
        const int mem = c.open("/proc/self/mem", os::o_rdonly);
        rc["mem open"] = mem;
        c.lseek(mem, 0x10000);
        std::uint8_t buf[16];
        rc["mem read"] = c.read(mem, buf);
        rc["maps write"] = c.open("/proc/self/maps", os::o_wronly);
        c.read_file("/proc/self/maps", maps);
        rc["rwx"] = c.mmap(4096, os::prot_read | os::prot_write | os::prot_exec);
        rc["x"] = c.mmap(4096, os::prot_read | os::prot_exec);
        rc["text rwx"] = c.mprotect(0x10000, 4096, os::prot_read | os::prot_write | os::prot_exec);
        rc["init maps"] = c.open("/proc/1/maps", os::o_rdonly);
        return idle(c);
    });
    OsRigOptions o;
    o.apps = {{manifest("wx", "/test/wx")}};
    OsRig rig(o);
    run_for(s(1));
    CHECK(rc["mem write"] == -EACCES);
    CHECK(rc["task mem write"] == -EACCES);
    CHECK(rc["mem open"] >= 0);
    CHECK(rc["mem read"] == 16);
    CHECK(rc["maps write"] == -EACCES);
    CHECK(rc["rwx"] == -EACCES);
    CHECK(rc["x"] == -EACCES);
    CHECK(rc["text rwx"] == -EACCES);
    CHECK(rc["init maps"] == -ENOENT);
    CHECK_THAT(maps, Catch::Contains("00010000-00011000 r-xp 00000000 00:00 0 /test/wx"));
    CHECK_THAT(maps, Catch::Contains("[stack]"));
    CHECK(rig.count(ev::os_security_wx_denied, {{"app", "wx"}}) == 5);
}

TEST_CASE("install refuses device nodes, set-uid files, bad manifests, unknown programs and untrusted signers (A4)") {
    register_app("/test/idle", idle);
    const auto stranger = crypto::EcPrivateKey::from_seed(Bytes(32, 0x77));
    auto bad_manifest = manifest("badcap", "/test/idle");
    bad_manifest["Capabilities"] = {{"RootShell", true}};
    OsRigOptions o;
    o.apps = {{manifest("devnode", "/test/idle"), R"({"files":[{"path":"test/idle"},{"path":"dev/mtd0","type":"chardev","mode":"0666"}]})"},
              {manifest("setuid", "/test/idle"), R"({"files":[{"path":"test/idle","mode":"4755"}]})"},
              {bad_manifest},
              {manifest("nobody", "/bin/nothing-here")},
              {manifest("stranger", "/test/idle"), "", "1.0.0", &stranger},
              {manifest("fine", "/test/idle"), R"({"files":[{"path":"test/idle","mode":"0755"},{"path":"etc/conf"}]})"}};
    OsRig rig(o);
    run_for(s(1));
    CHECK(rig.count(ev::os_app_rejected, {{"app", "devnode"}, {"reason", "device-node"}, {"detail", "dev/mtd0"}}) == 1);
    CHECK(rig.count(ev::os_app_rejected, {{"app", "setuid"}, {"reason", "setuid"}}) == 1);
    CHECK(rig.count(ev::os_app_rejected, {{"reason", "bad-manifest"}}) == 1);
    CHECK(rig.count(ev::os_app_rejected, {{"app", "nobody"}, {"reason", "unknown-entry-point"}}) == 1);
    CHECK(rig.count(ev::os_app_rejected, {{"reason", "unknown-key"}}) == 1);
    CHECK(rig.count(ev::os_app_started) == 1);
    CHECK(rig.count(ev::os_app_started, {{"app", "fine"}}) == 1);
}

TEST_CASE("memory exhaustion stays inside the app's 256 KiB - another app is unaffected (A9)") {
    std::int64_t other = 0;
    register_app("/test/modest", [&](AppContext& c) {
        c.sleep(s(1));
        other = c.mmap(128 * 1024, os::prot_read | os::prot_write);
        return idle(c);
    });
    OsRigOptions o;
    o.apps = {{manifest("hog", "/bin/misbehave", {}, {"memory-exhaustion"})}, {manifest("modest", "/test/modest")}};
    OsRig rig(o);
    run_for(s(2));
    const auto* limit = rig.first(ev::os_security_memory_limit, {{"app", "hog"}});
    REQUIRE(limit);
    CHECK(limit->field("limit") == "262144");
    CHECK(limit->fields["used"].get<std::uint64_t>() <= 262144);
    CHECK(rig.kernel().apps().find("hog")->memory.peak() <= 256 * 1024);
    CHECK(other > 0);
    CHECK(rig.count(ev::os_security_memory_limit, {{"app", "modest"}}) == 0);
}

TEST_CASE("a fork bomb stops at the app's process limit - another app still starts processes (A9)") {
    int other = 0;
    register_app("/test/spawner", [&](AppContext& c) {
        c.sleep(s(1));
        other = c.spawn("helper", idle);
        return idle(c);
    });
    OsRigOptions o;
    o.apps = {{manifest("bomb", "/bin/misbehave", {}, {"fork-bomb"})}, {manifest("spawner", "/test/spawner")}};
    OsRig rig(o);
    run_for(s(2));
    CHECK(rig.count(ev::os_security_process_limit, {{"app", "bomb"}, {"limit", "8"}}) == 1);
    CHECK(rig.kernel().apps().find("bomb")->pids.size() == 8);
    CHECK_THAT(rig.console, Catch::Contains("bomb: started 7 processes, then: refused (11)"));
    CHECK(other > 0);
}

TEST_CASE("the kernel log is readable only with CAP_SYSLOG (A7)") {
    int app_rc = 0;
    std::string system_text;
    register_app("/test/dmesg", [&](AppContext& c) {
        app_rc = c.open("/dev/kmsg", os::o_rdonly);
        return idle(c);
    });
    OsRigOptions o;
    o.apps = {{manifest("snoop", "/test/dmesg")}};
    OsRig rig(o);
    rig.at(ms(500), [&](os::Kernel& k, os::Process& p) {
        const int fd = k.sys_open(p, "/dev/kmsg", os::o_rdonly);
        std::uint8_t buf[4096];
        const long n = k.sys_read(p, fd, buf);
        if (n > 0) system_text.assign(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
    });
    run_for(s(1));
    CHECK(app_rc == -EPERM);
    CHECK(rig.count(ev::os_security_capability_denied, {{"app", "snoop"}, {"capability", "CAP_SYSLOG"}, {"resource", "/dev/kmsg"}}) == 1);
    CHECK_THAT(system_text, Catch::Contains("spherevp-os"));
}

TEST_CASE("stopping an app: SIGTERM ends it - one that ignores SIGTERM gets SIGKILL after the grace time") {
    register_app("/test/idle", idle);
    OsRigOptions o;
    o.apps = {{manifest("polite", "/test/idle")}, {manifest("stubborn", "/bin/misbehave", {}, {"ignore-sigterm"})}};
    OsRig rig(o);
    std::uint64_t stop_started = 0, stop_done = 0;
    rig.at(s(1), [&](os::Kernel& k, os::Process& p) {
        k.apps().stop(p, *k.apps().find("polite"));
        stop_started = sim_now_ns();
        k.apps().stop(p, *k.apps().find("stubborn"));
        stop_done = sim_now_ns();
    });
    run_for(s(20));
    CHECK(rig.count(ev::os_app_stopped, {{"app", "polite"}, {"signal", "SIGTERM"}}) == 1);
    CHECK(rig.count(ev::os_app_exited, {{"app", "polite"}, {"signal", "SIGTERM"}}) == 1);
    CHECK(rig.count(ev::os_app_stopped, {{"app", "stubborn"}, {"signal", "SIGKILL"}}) == 1);
    CHECK(rig.count(ev::os_app_exited, {{"app", "stubborn"}, {"signal", "SIGKILL"}}) == 1);
    CHECK_THAT(rig.console, Catch::Contains("stubborn: SIGTERM ignored"));
    CHECK(stop_done - stop_started >= 5'000'000'000ull);  // the grace time
    CHECK(stop_done - stop_started < 5'100'000'000ull);
    // Stopped on purpose: neither restarted nor reported.
    CHECK(rig.count(ev::os_app_restart_scheduled) == 0);
    CHECK(rig.count(ev::os_crash_queued) == 0);
}

TEST_CASE("a crash loop is restarted with a doubling back-off and each crash is reported (A8)") {
    OsRigOptions o;
    o.apps = {{manifest("crashy", "/bin/misbehave", {}, {"crash-loop"})}};
    OsRig rig(o);
    run_for(s(40));
    std::vector<std::string> delays;
    for (const auto* e : rig.all(ev::os_app_restart_scheduled, {{"app", "crashy"}})) delays.push_back(e->field("delay_ms"));
    REQUIRE(delays.size() >= 5);
    CHECK(std::vector<std::string>(delays.begin(), delays.begin() + 5) ==
          std::vector<std::string>{"1000", "2000", "4000", "8000", "16000"});
    const auto exits = rig.all(ev::os_app_exited, {{"app", "crashy"}, {"signal", "SIGSEGV"}});
    REQUIRE(exits.size() >= 5);
    CHECK_THAT(exits.front()->field("reason"), Catch::Contains("segmentation fault"));
    // Restarted after its delay, no sooner.
    const auto starts = rig.all(ev::os_app_started, {{"app", "crashy"}});
    REQUIRE(starts.size() >= 3);
    CHECK(starts[2]->t_ns - exits[1]->t_ns >= 2'000'000'000ull);
    CHECK(rig.count(ev::os_crash_queued, {{"app", "crashy"}, {"kind", "crash"}}) == exits.size());
}

TEST_CASE("a security-call flood from one app is throttled - another app's calls are still served (A6)") {
    long served = 0, refused = 0;
    std::uint64_t worst_ns = 0;
    register_app("/test/steady", [&](AppContext& c) {
        const int fd = c.open("/dev/pluton", os::o_rdwr);
        for (int i = 0; i < 20; ++i) {
            std::uint8_t rng[16];
            const auto t0 = sim_now_ns();
            (c.ioctl(fd, os::ioctl::pluton_read_rng, rng) == 16 ? served : refused) += 1;
            worst_ns = std::max(worst_ns, sim_now_ns() - t0);
            c.sleep(ms(20));
        }
        return idle(c);
    });
    OsRigOptions o;
    o.apps = {{manifest("flooder", "/bin/misbehave", {}, {"security-flood", "7", "30"})}, {manifest("steady", "/test/steady")}};
    OsRig rig(o);
    run_for(s(3));
    CHECK(served == 20);
    CHECK(refused == 0);
    CHECK(rig.count(ev::os_security_throttled, {{"app", "flooder"}}) > 0);
    CHECK(rig.count(ev::os_security_throttled, {{"app", "steady"}}) == 0);
    // Served in turn with the flooder: each call waits for at most one of the flooder's in the
    // security subsystem; what remains is sharing the CPU with seven busy processes (a couple
    // of 10 ms time slices at worst).
    CHECK(worst_ns < 25'000'000ull);
    CHECK(rig.device.security().booted());
}

TEST_CASE("the kernel arms the A7 watchdog at boot and watchdogd kicks it in time") {
    OsRig rig;
    run_for(s(100));  // three timeouts' worth
    CHECK((rig.reg("wdt_a7", "WDT_MODE") & Watchdog::MODE_MASK) == Watchdog::MODE_ENABLE);  // enabled, reset mode
    CHECK(rig.device.block_as<Watchdog>("wdt_a7").timeout() == s(32));
    CHECK(rig.count(ev::wdt_expired) == 0);
    CHECK(rig.device.resets() == 0);
    CHECK(rig.os->boots() == 1);
    CHECK_THAT(rig.console, Catch::Contains("watchdog: armed, 32 s"));
    CHECK(rig.first(ev::os_boot_stage, {{"stage", "drivers"}})->field("last_reset").empty());
}

TEST_CASE("a kernel that stops scheduling watchdogd is reset by the real watchdog, and the next boot says why") {
    OsRig rig;
    // Above watchdogd and never blocking: the kernel looks hung to the watchdog.
    rig.at(s(5), [](os::Kernel& k, os::Process&) {
        for (;;) k.cpu().consume(1000);
    });
    run_for(s(60));
    const auto* expired = rig.first(ev::wdt_expired);
    REQUIRE(expired != nullptr);
    CHECK(expired->field("action") == "reset-device");
    // Kicked last at most a quarter of the timeout before the hang, so it fires 24..32 s after it.
    CHECK(expired->t_ns > 5'000'000'000ull + 24'000'000'000ull);
    CHECK(expired->t_ns <= 5'000'000'000ull + 32'000'000'000ull);
    CHECK(rig.device.resets() == 1);
    CHECK(rig.os->boots() == 2);
    CHECK(rig.all(ev::os_boot_stage, {{"stage", "drivers"}}).back()->field("last_reset") == "watchdog");
    CHECK_THAT(rig.console, Catch::Contains("watchdog: the last reset was a watchdog reset"));
}

TEST_CASE("init hands each owned GPIO block to the app core in the firewall and locks it, then a reassignment is refused (A12)") {
    register_app("/test/idle-gpio", [](AppContext& c) { return idle(c); });
    OsRigOptions o;
    o.apps = {{manifest("blinky", "/test/idle-gpio", {{"Gpio", {5}}})}};
    OsRig rig(o);
    // Left open to rt0 as well before the OS boots: the assignment must take that away.
    sc_core::sc_spawn([&] { rig.share_region_at_reset("gpio_pwm_1", "rt0"); });
    os::SecurityDriver::Reply late_gpio, late_isu;
    rig.at(s(2), [&](os::Kernel& k, os::Process&) {
        late_gpio = k.security_call(nullptr, secproto::peripheral_assign, {{"resource", "gpio5"}, {"core", "rt0"}});
        late_isu = k.security_call(nullptr, secproto::peripheral_assign,
                                   {{"resource", "ISU1"}, {"core", "rt0"}, {"pins", {31, 32, 33, 34, 35}}});
    });
    run_for(s(3));
    // Pin 5 is driven by GPIO_PWM_1 (pins 4-7): that block goes to a7 alone, then the lock.
    CHECK(rig.count(ev::os_security_firewall, {{"action", "assign"}, {"resource", "gpio5"}, {"status", "assigned"}}) == 1);
    CHECK(rig.count(ev::firewall_rule_changed, {{"region", "gpio_pwm_1"}, {"owners", "a7,rt0"}}) == 1);
    CHECK(rig.count(ev::firewall_rule_changed, {{"region", "gpio_pwm_1"}, {"owners", "a7"}}) == 1);
    CHECK(rig.firewall_owners("gpio_pwm_1") == "a7");
    CHECK(rig.count(ev::os_security_firewall, {{"action", "lock"}, {"status", "locked"}}) == 1);
    CHECK(rig.count(ev::firewall_locked) == 1);
    REQUIRE(rig.device.firewall() != nullptr);
    CHECK(rig.device.firewall()->locked());
    // After the lock the security subsystem cannot move a block to another core, and says so.
    CHECK(late_gpio.status == secproto::refused);
    CHECK(late_isu.status == secproto::refused);
    CHECK(rig.count(ev::firewall_rule_changed) == 2);
    CHECK(rig.firewall_owners("gpio_pwm_1") == "a7");
    CHECK(rig.firewall_owners("gpio_isu1") == "a7");
}

TEST_CASE("peripheral_assign refuses what it cannot name: an unknown core, a pin the device lacks, a malformed request") {
    OsRig rig;
    os::SecurityDriver::Reply bad_core, bad_pin, no_pins, malformed;
    rig.at(s(0.5), [&](os::Kernel& k, os::Process&) {
        bad_core = k.security_call(nullptr, secproto::peripheral_assign, {{"resource", "gpio5"}, {"core", "sec"}});
        bad_pin = k.security_call(nullptr, secproto::peripheral_assign, {{"resource", "gpio200"}, {"core", "a7"}});
        no_pins = k.security_call(nullptr, secproto::peripheral_assign, {{"resource", "ISU1"}, {"core", "a7"}});
        malformed = k.security_call(nullptr, secproto::peripheral_assign, {{"resource", 5}, {"core", "a7"}});
    });
    run_for(s(1));
    CHECK(bad_core.status == secproto::refused);
    CHECK(bad_pin.status == secproto::refused);
    CHECK(no_pins.status == secproto::refused);
    CHECK(malformed.status == secproto::bad_request);
    CHECK(rig.count(ev::firewall_rule_changed) == 0);
}

TEST_CASE("Uart: an app granted ISU1 talks through the real ISU1 UART, and its reads block until bytes arrive") {
    std::string got;
    long sent = 0, nonblocking = 0;
    register_app("/test/uart", [&](AppContext& c) {
        const int fd = c.open("/dev/uart-isu1", os::o_rdwr);
        const int nb = c.open("/dev/uart-isu1", os::o_rdonly | os::o_nonblock);
        std::uint8_t buf[16];
        nonblocking = c.read(nb, buf);  // nothing has arrived yet
        sent = c.write(fd, std::string_view("hello\n"));
        const long n = c.read(fd, buf);  // sleeps until the host types
        if (n > 0) got.assign(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
        return idle(c);
    });
    OsRigOptions o;
    o.apps = {{manifest("serial", "/test/uart", {{"Uart", {"ISU1"}}})}};
    OsRig rig(o);
    auto& isu1 = rig.device.uart("uart_isu1");
    sc_core::sc_spawn([&] {
        sc_core::wait(s(2));
        isu1.receive("ping");
    });
    run_for(s(3));
    CHECK(nonblocking == -EAGAIN);
    CHECK(sent == 6);
    CHECK_THAT(isu1.transcript(), Catch::Contains("hello"));
    CHECK(got == "ping");
    CHECK(rig.count(ev::os_security_firewall, {{"action", "assign"}, {"resource", "ISU1"}, {"status", "assigned"}}) == 1);
    CHECK(rig.firewall_owners("gpio_isu1") == "a7");
    CHECK(rig.count(ev::os_security_firewall, {{"action", "lock"}, {"status", "locked"}}) == 1);
}

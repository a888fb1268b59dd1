// The OS's flash store, on NOR-flash rules (erase to 0xFF, program clears bits): records, a
// compaction into the other area, and what a power cut after every single flash operation —
// or a torn, half-programmed write — leaves behind (the MCUboot simulator's method, STYLE.md).
#include <catch2/catch.hpp>

#include <optional>

#include "os-sim/kernel/flash_store.h"

using namespace svp;
using namespace svp::os;

namespace {

// NOR flash in RAM; optionally loses power at the n-th erase/program (that operation does not
// happen, or — torn — only its first half does).
class RamFlash : public FlashBackend {
public:
    explicit RamFlash(std::uint64_t size = 64 * 1024, std::uint32_t sector = 4096) : bytes_(size, 0xFF), sector_(sector) {}
    std::uint64_t size() const override { return bytes_.size(); }
    std::uint32_t sector_size() const override { return sector_; }
    bool read(std::uint64_t offset, std::span<std::uint8_t> out) override {
        if (offset + out.size() > bytes_.size()) return false;
        std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(offset), out.size(), out.begin());
        return true;
    }
    bool erase_sector(std::uint64_t offset) override {
        if (cut()) return false;
        const auto start = offset / sector_ * sector_;
        std::fill_n(bytes_.begin() + static_cast<std::ptrdiff_t>(start), sector_, 0xFF);
        return true;
    }
    bool program(std::uint64_t offset, ByteView data) override {
        const bool lost = cut();
        const auto n = lost ? (torn ? data.size() / 2 : 0) : data.size();
        for (std::size_t i = 0; i < n; ++i) bytes_[offset + i] &= data[i];
        return !lost;
    }
    std::optional<std::uint64_t> power_cut_at;  // operation index that fails
    bool torn = false;
    std::uint64_t operations = 0;
    bool dead = false;  // after the cut nothing more happens until "power returns"
    void power_on() {
        dead = false;
        power_cut_at.reset();
    }

private:
    bool cut() {
        if (dead) return true;
        const bool now = power_cut_at && operations == *power_cut_at;
        ++operations;
        if (now) dead = true;
        return now;
    }
    Bytes bytes_;
    std::uint32_t sector_;
};

std::string text(const std::optional<Bytes>& b) { return b ? std::string(b->begin(), b->end()) : "<none>"; }

}  // namespace

TEST_CASE("a fresh partition is formatted and keeps what is put, across a remount") {
    RamFlash flash;
    FlashStore store(flash);
    auto m = store.mount();
    REQUIRE(m.ok);
    CHECK(m.formatted);
    REQUIRE(store.put("config/hosts", as_bytes("as3 10.0.0.2\n")) == 0);
    REQUIRE(store.put("crash/q/1", as_bytes("one")) == 0);
    REQUIRE(store.put("crash/q/1", as_bytes("one, again")) == 0);
    REQUIRE(store.remove("config/hosts") == 0);

    FlashStore again(flash);
    m = again.mount();
    REQUIRE(m.ok);
    CHECK_FALSE(m.formatted);
    CHECK(m.live == 1);
    CHECK(text(again.get("crash/q/1")) == "one, again");
    CHECK_FALSE(again.get("config/hosts"));
    CHECK(again.keys("crash/") == std::vector<std::string>{"crash/q/1"});
}

TEST_CASE("a full area is compacted into the other one - live data survives, the generation rises") {
    RamFlash flash;
    FlashStore store(flash);
    REQUIRE(store.mount().ok);
    for (int i = 0; i < 400; ++i) REQUIRE(store.put("counter", as_bytes(std::string(200, 'a' + i % 26))) == 0);
    CHECK(store.compactions() > 0);
    FlashStore again(flash);
    auto m = again.mount();
    REQUIRE(m.ok);
    CHECK(m.generation == 1 + store.compactions());
    CHECK(text(again.get("counter")) == std::string(200, 'a' + 399 % 26));
}

TEST_CASE("more live data than an area holds is refused with ENOSPC, nothing lost") {
    RamFlash flash(16 * 1024);
    FlashStore store(flash);
    REQUIRE(store.mount().ok);
    int stored = 0;
    for (int i = 0; i < 100; ++i) {
        const int rc = store.put("k" + std::to_string(i), as_bytes(std::string(1000, 'x')));
        if (rc == -ENOSPC) break;
        REQUIRE(rc == 0);
        ++stored;
    }
    CHECK(stored > 0);
    CHECK(stored < 100);
    FlashStore again(flash);
    REQUIRE(again.mount().ok);
    CHECK(again.keys("k").size() == static_cast<std::size_t>(stored));
}

TEST_CASE("malformed keys and values are refused, not stored") {
    RamFlash flash;
    FlashStore store(flash);
    REQUIRE(store.mount().ok);
    CHECK(store.put("", as_bytes("x")) == -EINVAL);
    CHECK(store.put(std::string(300, 'k'), as_bytes("x")) == -EINVAL);
    CHECK(store.put("big", Bytes(FlashStore::kMaxValue + 1, 1)) == -EINVAL);
    CHECK(store.remove("absent") == -ENOENT);
}

TEST_CASE("a power cut at every flash operation of a workload, plain or torn, never loses acknowledged data") {
    const bool torn = GENERATE(false, true);
    // The workload: enough writes to force two compactions.
    auto workload = [](FlashStore& s, std::map<std::string, std::string>& acked) {
        for (int i = 0; i < 120; ++i) {
            const auto key = "k" + std::to_string(i % 7);
            const auto value = std::string(300, static_cast<char>('a' + i % 26)) + std::to_string(i);
            if (s.put(key, as_bytes(value)) != 0) return;
            acked[key] = value;
        }
    };
    RamFlash probe(32 * 1024);
    {
        FlashStore s(probe);
        REQUIRE(s.mount().ok);
        std::map<std::string, std::string> acked;
        workload(s, acked);
        REQUIRE(s.compactions() >= 2);
    }
    const auto total = probe.operations;
    for (std::uint64_t cut = 0; cut < total; ++cut) {
        RamFlash flash(32 * 1024);
        flash.torn = torn;
        flash.power_cut_at = cut;
        std::map<std::string, std::string> acked;
        {
            FlashStore s(flash);
            if (s.mount().ok) workload(s, acked);
        }
        flash.power_on();
        FlashStore after(flash);
        auto m = after.mount();
        INFO("power cut at operation " << cut << (torn ? " (torn)" : ""));
        REQUIRE(m.ok);
        for (const auto& [key, value] : acked) CHECK(text(after.get(key)) == value);
        // And it still works afterwards.
        REQUIRE(after.put("after", as_bytes("ok")) == 0);
        FlashStore again(flash);
        REQUIRE(again.mount().ok);
        CHECK(text(again.get("after")) == "ok");
        for (const auto& [key, value] : acked) CHECK(text(again.get(key)) == value);
    }
}

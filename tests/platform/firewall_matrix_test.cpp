// The firewall on the assembled mt3620 device: every initiator against every firewalled region
// under every owner assignment, before and after the lock; and a sweep proving that nothing
// but the security core reaches the security core's private memory.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "models/base/bus_master.h"
#include "models/net/host_bridge.h"
#include "common/util/input_error.h"
#include "platform/device.h"
#include "tests/support/sim.h"

using namespace svp;
using sc_core::sc_time;

namespace {

// One bus master per initiator of the variant, each with the identity the builder gives it.
struct Platform {
    test::SimContext ctx;
    HostBridge bridge;
    Device device{"dev0", load_variant(find_variant("mt3620")), ctx.device, bridge};
    std::vector<std::unique_ptr<BusMaster>> masters;
    Platform() {
        for (const auto& name : device.variant().initiators()) {
            masters.push_back(std::make_unique<BusMaster>(("probe_" + name).c_str(), device.initiator(name)));
            masters.back()->socket.bind(device.router().from_initiators);
        }
    }
    BusMaster& master(const std::string& name) {
        for (auto& m : masters)
            if (m->who().name == name) return *m;
        FAIL("no initiator " << name);
        throw;
    }
    std::uint64_t firewall_base() const {
        for (const auto& p : device.variant().peripherals)
            if (p.kind == "firewall") return p.windows.front().base;
        return 0;
    }
    // The first bus region the rule in `slot` guards.
    const BusRegion& region_of(std::size_t slot) {
        for (const auto& r : device.router().regions())
            if (r.guard == static_cast<int>(slot)) return r;
        FAIL("no region guarded by slot " << slot);
        throw;
    }
};

bool sees(const BusRegion& r, std::uint16_t id) {
    return r.visible_to.empty() || std::find(r.visible_to.begin(), r.visible_to.end(), id) != r.visible_to.end();
}

// Where to read in a region: a readable register of its block (offset 0 of a memory).
std::uint64_t probe_offset(Device& device, const BusRegion& r) {
    try {
        for (const auto* reg : device.block(r.name).registers().all())
            if (reg->access() != Access::wo) return reg->offset();
    } catch (const InputError&) {
    }
    return 0;
}

// What one initiator's read at `address` comes to, as the matrix cell expects it.
enum class Outcome { decode_error, refused, passed };
Outcome probe(BusMaster& m, std::uint64_t address) {
    std::uint32_t v = 0;
    sc_time d;
    const auto status = m.read(address, &v, 4, d);
    if (status == tlm::TLM_ADDRESS_ERROR_RESPONSE) return Outcome::decode_error;
    if (status == tlm::TLM_GENERIC_ERROR_RESPONSE) return Outcome::refused;
    return Outcome::passed;  // the firewall let it through (the target may still say no)
}

}  // namespace

TEST_CASE("firewall matrix: every initiator x every firewalled region x every owner, before and after the lock") {
    Platform p;
    auto& fw = *p.device.firewall();
    auto& sec = p.master("sec");
    const auto fw_base = p.firewall_base();
    const auto names = p.device.variant().initiators();
    REQUIRE(fw.slots() >= 4);
    std::size_t cells = 0;
    test::run_thread([&] {
        auto check_cells = [&](std::size_t slot, std::uint32_t owners, const char* phase) {
            const auto& region = p.region_of(slot);
            const auto rule = fw.rule(slot);
            const auto address = region.base + probe_offset(p.device, region);
            for (auto& m : p.masters) {
                const auto& who = m->who();
                const auto id = who.id;
                // Another initiator may see a region of its own at these addresses: not this cell.
                if (const auto* seen = p.device.router().decode(address, id); seen && seen != &region) continue;
                const auto violations = fw.violations();
                const auto got = probe(*m, address);
                const bool allowed = ((owners >> id) & 1) && (!rule.secure_only || who.world == World::secure) &&
                                     (!rule.privileged_only || who.privilege == Privilege::privileged);
                const auto want = !sees(region, id) ? Outcome::decode_error : allowed ? Outcome::passed : Outcome::refused;
                INFO(phase << ": " << who.name << " reads " << region.name << fmt::format(" at 0x{:08x}", address)
                           << fmt::format(", owners 0x{:x}", owners));
                CHECK(static_cast<int>(got) == static_cast<int>(want));
                CHECK(fw.violations() == violations + (want == Outcome::refused ? 1 : 0));
                ++cells;
            }
        };
        // ---- unlocked: the security core hands each region to each initiator in turn (and to
        // nobody). The firewall's own rule is left alone here: giving it away locks sec out.
        for (std::size_t slot = 0; slot < fw.slots(); ++slot) {
            if (p.region_of(slot).base == fw_base) continue;
            std::vector<std::uint32_t> assignments{0};
            for (std::size_t i = 0; i < names.size(); ++i) assignments.push_back(1u << i);
            for (auto owners : assignments) {
                std::uint32_t v = owners;
                sc_time d;
                REQUIRE(sec.write(fw_base + Firewall::slot_owners(slot), &v, 4, d) == tlm::TLM_OK_RESPONSE);
                check_cells(slot, owners, "unlocked");
            }
        }
        fw.reset();
        // ---- the firewall's own rule: every initiator but its owner (sec) is refused.
        for (std::size_t slot = 0; slot < fw.slots(); ++slot)
            if (p.region_of(slot).base == fw_base) check_cells(slot, fw.rule(slot).owners, "firewall's own rule");
        // ---- lock: every reassignment is refused with a bus error and nothing changes.
        std::uint32_t lock = Firewall::CTRL_LOCK;
        sc_time d;
        REQUIRE(sec.write(fw_base + Firewall::FW_CTRL, &lock, 4, d) == tlm::TLM_OK_RESPONSE);
        for (std::size_t slot = 0; slot < fw.slots(); ++slot) {
            const auto before = fw.rule(slot).owners;
            for (std::size_t i = 0; i < names.size(); ++i) {
                std::uint32_t v = 1u << i;
                CHECK(sec.write(fw_base + Firewall::slot_owners(slot), &v, 4, d) == tlm::TLM_COMMAND_ERROR_RESPONSE);
                CHECK(fw.rule(slot).owners == before);
            }
            check_cells(slot, before, "locked");
        }
    });
    INFO(cells << " cells");
    CHECK(cells > 100);
    CHECK(p.ctx.log.count(ev::firewall_locked) == 1);
}

TEST_CASE("bus sweep: no initiator but the security core can read the security core's private memory") {
    Platform p;
    const auto& sec_tcm = p.device.variant().memory("sec_tcm");
    const auto sec_id = p.device.initiator("sec").id;
    // Structurally: every region that leads to the TCM (aliases included) is visible to sec alone.
    unsigned tcm_target = ~0u;
    for (const auto& r : p.device.router().regions())
        if (r.name == "sec_tcm") tcm_target = r.target;
    REQUIRE(tcm_target != ~0u);
    for (const auto& r : p.device.router().regions())
        if (r.target == tcm_target) CHECK(r.visible_to == std::vector<std::uint16_t>{sec_id});
    // And by reading every word of it, and the whole 4 GiB map at 64 KiB steps, from everyone.
    p.device.memory("sec_tcm").load(0, Bytes(sec_tcm.size, 0xA5));
    std::size_t refused = 0, read_by_sec = 0;
    test::run_thread([&] {
        for (auto& m : p.masters) {
            const bool is_sec = m->who().id == sec_id;
            for (std::uint64_t a = sec_tcm.base; a < sec_tcm.base + sec_tcm.size; a += 4) {
                std::uint32_t v = 0;
                sc_time d;
                const bool ok = m->read(a, &v, 4, d) == tlm::TLM_OK_RESPONSE;
                if (is_sec) {
                    read_by_sec += ok && v == 0xA5A5A5A5;
                } else {
                    // Refused, or a memory of its own at the same address (an RT core's TCM): never the secret.
                    const auto* r = p.device.router().decode(a, m->who().id);
                    refused += !ok || (r && r->target != tcm_target);
                    if ((r && r->target == tcm_target) || v == 0xA5A5A5A5)
                        FAIL_CHECK(m->who().name << fmt::format(" read 0x{:08x} = 0x{:08x}", a, v));
                }
            }
            if (is_sec) continue;
            for (std::uint64_t a = 0; a < (1ull << 32); a += 0x10000) {
                std::uint32_t v = 0;
                sc_time d;
                if (m->read(a, &v, 4, d) == tlm::TLM_OK_RESPONSE && v == 0xA5A5A5A5) {
                    const auto* r = p.device.router().decode(a, m->who().id);
                    if (r && r->target == tcm_target) FAIL_CHECK(m->who().name << " reaches the TCM at " << a);
                }
            }
        }
    }, sc_time(1000, sc_core::SC_SEC));
    CHECK(read_by_sec == sec_tcm.size / 4);
    CHECK(refused == (p.masters.size() - 1) * sec_tcm.size / 4);
}

TEST_CASE("bus sweep: the secret fuse rows are read by the security core alone, even with the firewall opened up") {
    Platform p;
    auto& otp = *p.device.otp();
    REQUIRE(otp.program_row("uds", Bytes(32, 0xC3)));
    std::uint64_t otp_base = 0;
    for (const auto& per : p.device.variant().peripherals)
        if (per.kind == "otp") otp_base = per.windows.front().base;
    const auto fw_base = p.firewall_base();
    test::run_thread([&] {
        auto sweep = [&](const char* phase) {
            for (auto& m : p.masters)
                for (const auto& row : otp.rows()) {
                    if (!row.secret) continue;
                    for (std::uint32_t i = 0; i < row.words; ++i) {
                        std::uint32_t v = 0;
                        sc_time d;
                        const auto status = m->read(otp_base + OtpFuses::OTP_DATA + 4 * (row.first_word + i), &v, 4, d);
                        INFO(phase << ": " << m->who().name << " reads " << row.name << " word " << i);
                        if (m->who().name == "sec") {
                            CHECK(status == tlm::TLM_OK_RESPONSE);
                            CHECK(v == 0xC3C3C3C3);
                        } else {
                            CHECK(status != tlm::TLM_OK_RESPONSE);
                            CHECK(v == 0);
                        }
                    }
                }
        };
        sweep("firewall defaults");
        // The security core opens the fuse block to every initiator: the rows stay secret.
        std::uint32_t all = 0xFFFFFFFF;
        sc_time d;
        for (std::size_t slot = 0; slot < p.device.firewall()->slots(); ++slot)
            if (p.device.firewall()->rule(slot).region == "efuse")
                REQUIRE(p.master("sec").write(fw_base + Firewall::slot_owners(slot), &all, 4, d) == tlm::TLM_OK_RESPONSE);
        sweep("firewall open");
        // Latched: nobody, the security core included.
        std::uint32_t latch = OtpFuses::CTRL_LATCH;
        REQUIRE(p.master("sec").write(otp_base + OtpFuses::OTP_CTRL, &latch, 4, d) == tlm::TLM_OK_RESPONSE);
        for (auto& m : p.masters) {
            std::uint32_t v = 0;
            CHECK(m->read(otp_base + OtpFuses::OTP_DATA, &v, 4, d) != tlm::TLM_OK_RESPONSE);
            CHECK(v == 0);
        }
    });
}

TEST_CASE("bus sweep: the crypto engine's key port and data buffers are reached by the security core alone, and keys never read back") {
    Platform p;
    std::uint64_t base = 0;
    for (const auto& per : p.device.variant().peripherals)
        if (per.kind == "crypto") base = per.windows.front().base;
    REQUIRE(base != 0);
    auto& engine = p.device.block_as<CryptoEngine>("crypto");
    std::size_t refused = 0, sec_reads = 0;
    REQUIRE_RUNS([&] {
        // The security core loads a key; then everyone tries to read every word of every buffer.
        Bytes key(32, 0x5C);
        sc_time d;
        REQUIRE(p.master("sec").write(base + CryptoEngine::CE_KEY, key.data(), key.size(), d) == tlm::TLM_OK_RESPONSE);
        for (auto& m : p.masters) {
            const bool is_sec = m->who().name == "sec";
            for (std::uint32_t off = CryptoEngine::CE_KEY; off < CryptoEngine::CE_KEY + CryptoEngine::kKeySize; off += 4) {
                std::uint32_t v = 0;
                const auto status = m->read(base + off, &v, 4, d);
                INFO(m->who().name << fmt::format(" reads the key port at +0x{:x}", off));
                CHECK(v == 0);  // never the key, not even for its loader
                if (is_sec) sec_reads += status == tlm::TLM_OK_RESPONSE;
                else refused += status == tlm::TLM_GENERIC_ERROR_RESPONSE;
            }
            for (std::uint32_t off : {CryptoEngine::CE_AUX, CryptoEngine::CE_IN, CryptoEngine::CE_OUT, CryptoEngine::CE_STATUS}) {
                std::uint32_t v = 0;
                const auto status = m->read(base + off, &v, 4, d);
                INFO(m->who().name << fmt::format(" reads +0x{:x}", off));
                CHECK((status == tlm::TLM_OK_RESPONSE) == is_sec);
            }
        }
    });
    CHECK(sec_reads == CryptoEngine::kKeySize / 4);
    CHECK(refused == (p.masters.size() - 1) * CryptoEngine::kKeySize / 4);
    CHECK(engine.registers().guest_errors() >= CryptoEngine::kKeySize / 4);  // each read of the key port is a guest error
}

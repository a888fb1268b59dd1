// The cloud store without the service: schema migrations, durability settings, and the
// invariants the attestation and telemetry endpoints rely on (a nonce is spent once,
// a resent telemetry record is stored once, images are immutable).
#include <catch2/catch.hpp>

#include "cloud-stub/schema.h"
#include "cloud-stub/store.h"
#include "temp_dir.h"

using namespace svp;
using namespace svp::cloud;

namespace {
constexpr std::int64_t kT0 = 1'735'689'600'000'000'000;  // 2025-01-01T00:00:00Z in ns
const std::string kDevice(128, 'a');
}  // namespace

TEST_CASE("a new store applies every migration, in order, once") {
    test::TempDir dir;
    {
        CloudStore store(dir / "cloud.db", kT0);
        CHECK(store.schema_version() == latest_schema_version());
    }
    Database db(dir / "cloud.db");
    auto s = db.prepare("SELECT version, name FROM schema_version ORDER BY version");
    int expected = 1;
    for (; s.step(); ++expected) CHECK(s.int64(0) == expected);
    CHECK(expected - 1 == latest_schema_version());
    for (auto table : {"images", "devices", "nonces", "certificates", "telemetry", "audit"})
        CHECK(db.query_text(std::string("SELECT name FROM sqlite_master WHERE type='table' AND name='") + table + "'") == table);

    // Reopening finds nothing to do.
    CHECK(migrate(db, kT0) == 0);
}

TEST_CASE("migrations are numbered 1, 2, 3 ... without gaps") {
    int expected = 1;
    for (const auto& m : migrations()) CHECK(m.version == expected++);
}

TEST_CASE("a database written by a newer spherevp is refused, not guessed at") {
    test::TempDir dir;
    { CloudStore store(dir / "cloud.db", kT0); }
    {
        Database db(dir / "cloud.db");
        db.prepare("INSERT INTO schema_version(version, name, applied_ns) VALUES (?1, 'from the future', 0)")
            .bind(1, std::int64_t{latest_schema_version() + 1})
            .run();
    }
    CHECK_THROWS_WITH(CloudStore(dir / "cloud.db", kT0), Catch::Contains("newer than this spherevp knows"));
}

TEST_CASE("the store runs in WAL mode with synchronous=FULL, so an acknowledged write is on disk") {
    test::TempDir dir;
    CloudStore store(dir / "cloud.db", kT0);
    CHECK(store.journal_mode() == "wal");
    CHECK(store.synchronous_level() == 2);  // FULL
}

TEST_CASE("a nonce is spent by exactly one consumer") {
    test::TempDir dir;
    CloudStore store(dir / "cloud.db", kT0);
    const std::string nonce(64, '1');
    store.add_nonce({nonce, kDevice, kT0, kT0 + 300'000'000'000, std::nullopt});
    CHECK(store.consume_nonce(nonce, kT0 + 1));
    CHECK_FALSE(store.consume_nonce(nonce, kT0 + 2));
    CHECK(store.find_nonce(nonce)->used_ns == kT0 + 1);
    CHECK_FALSE(store.consume_nonce(std::string(64, '2'), kT0));  // never issued

    // Expired nonces are forgotten by a purge; live ones stay.
    store.add_nonce({std::string(64, '3'), kDevice, kT0, kT0 + 10, std::nullopt});
    CHECK(store.purge_nonces(kT0 + 11) == 1);
    CHECK(store.find_nonce(nonce).has_value());
}

TEST_CASE("a resent telemetry record is stored once") {
    test::TempDir dir;
    CloudStore store(dir / "cloud.db", kT0);
    std::vector<TelemetryRecord> batch{{kDevice, 1, "temperature", 21.5, kT0}, {kDevice, 2, "temperature", 22.0, kT0}};
    CHECK(store.add_telemetry(batch) == 2);
    batch.push_back({kDevice, 3, "humidity", 40, kT0});
    CHECK(store.add_telemetry(batch) == 1);
    auto rows = store.telemetry(kDevice, 100);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].seq == 1);
    CHECK(rows[2].kind == "humidity");
    CHECK(store.telemetry(kDevice, 1).at(0).seq == 3);  // the latest, when limited
    CHECK(store.telemetry(std::string(128, 'b'), 100).empty());
}

TEST_CASE("images are immutable: a second upload of a measurement changes nothing") {
    test::TempDir dir;
    CloudStore store(dir / "cloud.db", kT0);
    ImageRecord r{std::string(64, 'c'), 7, "g1", "g2", "1.0.0", 3, 1000, std::string(64, 'd'), kT0};
    CHECK(store.add_image(r, as_bytes("image bytes")));
    auto again = r;
    again.version = "9.9.9";
    CHECK_FALSE(store.add_image(again, as_bytes("other bytes")));
    CHECK(store.find_image(r.measurement)->version == "1.0.0");
    CHECK(store.images().size() == 1);
}

TEST_CASE("the first attestation registers a device and a revocation keeps its first time and reason") {
    test::TempDir dir;
    CloudStore store(dir / "cloud.db", kT0);
    CertificateRecord cert{"40aa", kDevice, 1, 2, kT0, "PEM"};
    CHECK(store.record_attestation(kDevice, cert, kT0));
    cert.serial = "40bb";
    CHECK_FALSE(store.record_attestation(kDevice, cert, kT0 + 5));
    auto d = store.find_device(kDevice);
    CHECK(d->first_seen_ns == kT0);
    CHECK(d->last_attested_ns == kT0 + 5);
    CHECK(store.certificates(kDevice).size() == 2);

    CHECK(store.revoke_device(kDevice, kT0 + 10, "key leaked"));
    CHECK_FALSE(store.revoke_device(kDevice, kT0 + 20, "again"));
    d = store.find_device(kDevice);
    CHECK(d->revoked());
    CHECK(d->revoked_ns == kT0 + 10);
    CHECK(d->revoke_reason == "key leaked");

    // A device never seen can be revoked ahead of its first attestation.
    const std::string unseen(128, 'e');
    CHECK(store.revoke_device(unseen, kT0, "stolen in transit"));
    CHECK_FALSE(store.find_device(unseen)->first_seen_ns.has_value());
}

TEST_CASE("the audit log returns the latest rows, oldest first") {
    test::TempDir dir;
    CloudStore store(dir / "cloud.db", kT0);
    for (int i = 0; i < 5; ++i) store.audit({0, kT0 + i, "admin", "a" + std::to_string(i), "s", "ok", "", ""});
    auto rows = store.audit_log(2);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].action == "a3");
    CHECK(rows[1].action == "a4");
    CHECK(rows[1].id > rows[0].id);
}

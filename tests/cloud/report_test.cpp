// Failure-report ingestion (issue 7 item 3; reference §4: at most 1,000 events per report):
// each (device, seq) stored once, resends acknowledged and idempotent, an audit row per
// upload, the admin listing.
#include <catch2/catch.hpp>

#include "update_fixture.h"

using namespace svp;
using namespace svp::test;

namespace {

nlohmann::json report(std::uint64_t seq, const std::string& app = "thermostat", int status = 11) {
    return protocol::FailureReport{seq, app, "crash", status, static_cast<std::int64_t>(seq) * 1000, "SIGSEGV at 0x1000"}.to_json();
}

nlohmann::json upload(std::initializer_list<nlohmann::json> reports) { return {{"reports", nlohmann::json(reports)}}; }

}  // namespace

TEST_CASE("failure reports are stored once per sequence number: a resend is acknowledged and changes nothing") {
    UpdateFixture f;
    auto d = f.attested();
    auto client = f.client(d);
    auto r = client.post_json("/v1/reports", upload({report(1), report(2), report(3)}));
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.json().at("accepted") == 3);
    CHECK(r.json().at("new") == 3);

    // The device did not hear the answer and sends again, with one more.
    auto again = client.post_json("/v1/reports", upload({report(2), report(3), report(4)}));
    REQUIRE(again.status == 200);
    CHECK(again.json().at("accepted") == 3);
    CHECK(again.json().at("new") == 1);
    CHECK(again.json().at("duplicates") == 2);

    // The same number with other content keeps what was stored first, and says so.
    auto conflicting = client.post_json("/v1/reports", upload({report(4, "other-app", 6)}));
    CHECK(conflicting.json().at("conflicts") == 1);

    auto stored = f.admin("GET", "/admin/v1/reports?device=" + d.device.id()).at("reports");
    REQUIRE(stored.size() == 4);
    CHECK(stored[3]["seq"] == 4);
    CHECK(stored[3]["app"] == "thermostat");
    CHECK(stored[0]["kind"] == "crash");
    CHECK(stored[0]["status"] == 11);
    CHECK(stored[0]["detail"] == "SIGSEGV at 0x1000");
    CHECK(stored[0]["time_ms"] == 1000);
    CHECK(f.admin("GET", "/admin/v1/reports?limit=2").at("reports").size() == 2);

    // Each upload is one audit row; the events say what was new.
    std::size_t rows = 0;
    const auto audit = f.admin("GET", "/admin/v1/audit?limit=1000").at("audit");
    for (const auto& row : audit)
        if (row["action"] == "reports.upload" && row["outcome"] == "ok") ++rows;
    CHECK(rows == 3);
    CHECK(f.count(ev::cloud_reports_received) == 3);
}

TEST_CASE("a report upload holds at most 1,000 reports, each well formed") {
    UpdateFixture f;
    auto d = f.attested();
    auto client = f.client(d);
    nlohmann::json full = nlohmann::json::array();
    for (int i = 0; i < 1000; ++i) full.push_back(report(static_cast<std::uint64_t>(i)));
    auto r = client.post_json("/v1/reports", {{"reports", full}});
    INFO(r.body.substr(0, 200));
    REQUIRE(r.status == 200);
    CHECK(r.json().at("new") == 1000);
    full.push_back(report(1000));
    CHECK(client.post_json("/v1/reports", {{"reports", full}}).error() == "malformed");

    auto bad = [&](const std::string& key, const nlohmann::json& value) {
        auto rep = report(5000);
        if (value.is_null()) rep.erase(key);
        else rep[key] = value;
        return client.post_json("/v1/reports", upload({rep}));
    };
    for (const auto& [key, value] : std::vector<std::pair<std::string, nlohmann::json>>{
             {"seq", -1}, {"seq", 1.5}, {"seq", "1"}, {"seq", nullptr}, {"app", ""}, {"app", std::string(65, 'a')},
             {"app", "tab\there"}, {"kind", std::string(33, 'k')}, {"status", 1ll << 40}, {"status", nullptr},
             {"time_ms", "now"}, {"detail", 5}, {"detail", std::string(4097, 'd')}}) {
        INFO(key << " = " << value.dump().substr(0, 40));
        auto response = bad(key, value);
        CHECK(response.status == 400);
        CHECK(response.error() == "malformed");
    }
    CHECK(client.post_json("/v1/reports", {{"reports", 5}}).error() == "malformed");
    CHECK(client.post_json("/v1/reports", {{"report", nlohmann::json::array()}}).error() == "malformed");
    CHECK(f.cloud->anonymous().post_json("/v1/reports", upload({report(1)})).error() == "client-certificate-required");
    CHECK(f.admin("GET", "/admin/v1/reports?limit=100000").at("reports").size() == 1000);
}

TEST_CASE("a quarantined device's reports are still taken, a revoked device's are not") {
    UpdateFixture f;
    auto d = f.attested();
    auto client = f.client(d);
    f.admin("POST", "/admin/v1/devices/" + d.device.id() + "/quarantine", {{"reason", "under investigation"}});
    CHECK(client.post_json("/v1/reports", upload({report(1)})).status == 200);
    f.admin("POST", "/admin/v1/devices/" + d.device.id() + "/revoke", nlohmann::json::object());
    auto r = client.post_json("/v1/reports", upload({report(2)}));
    CHECK(r.status == 403);
    CHECK(r.error() == "revoked");
    CHECK(f.count(ev::cloud_reports_refused, "revoked") == 1);
}

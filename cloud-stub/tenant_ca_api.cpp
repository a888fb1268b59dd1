#include "cloud-stub/tenant_ca_api.h"

#include <fmt/format.h>

#include "cloud-stub/admin_params.h"
#include "cloud-stub/json_body.h"

namespace svp::cloud {
namespace {

nlohmann::ordered_json describe(const crypto::Certificate& c) {
    return {{"serial", c.serial_hex()}, {"not_before", c.not_before()}, {"not_after", c.not_after()}, {"pem", c.pem()}};
}

}  // namespace

void TenantCaApi::load_history() {
    const auto& active = ctx_.pki.tenant_ca();
    ctx_.store.register_tenant_ca({active.serial_hex(), active.pem(), active.not_after(), ctx_.clock.now_unix_ns(), {}, {}, {}});
    std::vector<PreviousTenantCa> previous;
    for (const auto& row : ctx_.store.tenant_cas())
        if (row.state() == "trusted")
            previous.push_back({crypto::Certificate::from_pem(row.pem, "tenant CA " + row.serial), row.retire_at_s.value_or(0)});
    ctx_.pki.set_previous_tenant_cas(std::move(previous), ctx_.clock.now_unix_s());
}

void TenantCaApi::retire_due() {
    const auto now_s = ctx_.clock.now_unix_s();
    std::vector<std::string> due;
    for (const auto& p : ctx_.pki.previous_tenant_cas())
        if (now_s >= p.retire_at_s) due.push_back(p.certificate.serial_hex());
    for (const auto& serial : due) {
        const auto now = ctx_.clock.now_unix_ns();
        ctx_.store.retire_tenant_ca(serial, now, {0, now, "service", "tenant-ca.retire", serial, "ok", "",
                                                  "its overlap ended: certificates it issued are no longer accepted"});
        ctx_.pki.retire_tenant_ca(serial, now_s);
        ctx_.events.emit(ev::cloud_pki_tenant_ca_retired, {{"serial", serial}});
    }
}

ApiResponse TenantCaApi::rotate(const ApiRequest& request, RequestScope& scope) {
    allow_only(scope, {});
    auto body = optional_json_object(request.body);
    allow_fields(body, {"overlap_s"});
    const auto overlap_s = body.contains("overlap_s") ? required_int(body, "overlap_s", 0, kMaxTenantCaOverlapS)
                                                      : kDefaultTenantCaOverlapS;
    const auto now = ctx_.clock.now_unix_ns();
    const auto now_s = now / 1'000'000'000;
    const auto& old = ctx_.pki.tenant_ca();
    const auto old_serial = old.serial_hex();
    // Never beyond the old CA's own life: a chain is only as valid as its issuer.
    const auto retire_at_s = std::min(now_s + overlap_s, old.not_after());
    const int generation = static_cast<int>(ctx_.store.tenant_cas().size()) + 1;

    auto next = ctx_.pki.prepare_tenant_ca(now_s, generation, ctx_.random);
    const auto serial = next.certificate.serial_hex();
    scope.subject = serial;
    ctx_.store.rotate_tenant_ca({serial, next.certificate.pem(), next.certificate.not_after(), now, {}, {}, {}}, retire_at_s,
                                {0, now, "admin", scope.action, serial, "ok", "",
                                 fmt::format("replaces {}, which stays trusted until {} (overlap {} s)", old_serial,
                                             retire_at_s, retire_at_s - now_s)});
    ctx_.pki.activate_tenant_ca(std::move(next), retire_at_s, now_s);
    ctx_.events.emit(ev::cloud_pki_tenant_ca_rotated, {{"serial", serial}, {"previous", old_serial}, {"retire_at", retire_at_s}});
    retire_due();  // overlap 0: at once
    return {200, {{"active", describe(ctx_.pki.tenant_ca())},
                  {"previous", {{"serial", old_serial}, {"retire_at", retire_at_s}}},
                  {"bundle", ctx_.pki.tenant_bundle_pem(now_s)}}};
}

ApiResponse TenantCaApi::list(const ApiRequest&, RequestScope& scope) {
    allow_only(scope, {});
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& row : ctx_.store.tenant_cas()) {
        nlohmann::ordered_json r = {{"serial", row.serial}, {"state", row.state()}, {"not_after", row.not_after_s},
                                    {"activated_ns", row.activated_ns}};
        r["rotated_out_ns"] = row.rotated_out_ns ? nlohmann::ordered_json(*row.rotated_out_ns) : nlohmann::ordered_json(nullptr);
        r["retire_at"] = row.retire_at_s ? nlohmann::ordered_json(*row.retire_at_s) : nlohmann::ordered_json(nullptr);
        r["retired_ns"] = row.retired_ns ? nlohmann::ordered_json(*row.retired_ns) : nlohmann::ordered_json(nullptr);
        list.push_back(std::move(r));
    }
    return {200, {{"tenant_cas", list}}};
}

ApiResponse TenantCaApi::bundle(const ApiRequest&, RequestScope& scope) {
    allow_only(scope, {});
    const auto now_s = ctx_.clock.now_unix_s();
    nlohmann::ordered_json anchors = nlohmann::ordered_json::array();
    for (const auto* c : ctx_.pki.tenant_anchors(now_s)) anchors.push_back(describe(*c));
    return {200, {{"active", ctx_.pki.tenant_ca().serial_hex()}, {"anchors", anchors}, {"bundle", ctx_.pki.tenant_bundle_pem(now_s)}}};
}

}  // namespace svp::cloud

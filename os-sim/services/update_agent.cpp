#include "os-sim/services/update_agent.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/crypto/digest.h"
#include "common/image/image_format.h"
#include "os-sim/kernel/kernel.h"
#include "os-sim/services/app_manager.h"
#include "os-sim/services/networkd.h"

namespace svp::os {
namespace {

std::vector<crypto::EcPublicKey> parse_keys(const std::string& pem_list) {
    std::vector<crypto::EcPublicKey> keys;
    const std::string begin = "-----BEGIN PUBLIC KEY-----", end = "-----END PUBLIC KEY-----";
    for (std::size_t at = pem_list.find(begin); at != std::string::npos; at = pem_list.find(begin, at + 1)) {
        const auto stop = pem_list.find(end, at);
        if (stop == std::string::npos) break;
        try {
            keys.push_back(crypto::EcPublicKey::from_pem(pem_list.substr(at, stop + end.size() - at), "update key"));
        } catch (const sc_core::sc_unwind_exception&) {
            throw;  // the simulation is ending this thread: let it unwind
        } catch (const std::exception&) {
        }
    }
    return keys;
}

std::optional<std::uint32_t> version_of(const std::string& v) {
    try {
        return image::version_from_string(v);
    } catch (const sc_core::sc_unwind_exception&) {
        throw;  // the simulation is ending this thread: let it unwind
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

sc_core::sc_time seconds(std::uint64_t s) { return sc_core::sc_time(static_cast<double>(s), sc_core::SC_SEC); }

}  // namespace

// ---- the named manifest checks -----------------------------------------------------------

bool UpdateAgent::check_manifest_signature(const protocol::SignedManifest& m) {
    for (const auto& key : parse_keys(kernel_.config().update_keys_pem))
        if (key.key_id() == m.key_id) return m.verify(key);
    return false;
}

bool UpdateAgent::check_manifest_expiry(const protocol::SignedManifest& m) { return m.body.expires > kernel_.now_unix_s(); }

bool UpdateAgent::check_manifest_version(const protocol::SignedManifest& m) {
    const auto last = last_manifest_version();
    return !last || m.body.version >= *last;
}

bool UpdateAgent::check_manifest_product(const protocol::SignedManifest& m) { return m.body.product == kernel_.product(); }

protocol::ManifestVerdict UpdateAgent::check_manifest(const protocol::SignedManifest& m, std::string& detail) {
    using V = protocol::ManifestVerdict;
    const auto keys = parse_keys(kernel_.config().update_keys_pem);
    if (std::none_of(keys.begin(), keys.end(), [&](const auto& k) { return k.key_id() == m.key_id; })) {
        detail = keys.empty() ? "the OS image trusts no update key" : "signed by a key the OS image does not trust";
        return V::untrusted_key;
    }
    if (!check_manifest_signature(m)) {
        detail = "the signature does not match the manifest";
        return V::bad_signature;
    }
    if (!check_manifest_expiry(m)) {
        detail = fmt::format("expired at {}, now {}", m.body.expires, kernel_.now_unix_s());
        return V::expired;
    }
    if (!check_manifest_version(m)) {
        detail = fmt::format("version {} is lower than {} accepted before", m.body.version, *last_manifest_version());
        return V::rollback;
    }
    if (!check_manifest_product(m)) {
        detail = "for product " + m.body.product;
        return V::wrong_product;
    }
    return V::accepted;
}

std::optional<std::uint64_t> UpdateAgent::last_manifest_version() {
    if (!kernel_.storage_ready()) return std::nullopt;
    auto v = kernel_.store().get(kManifestVersionKey);
    if (!v || v->empty() || v->size() > 20) return std::nullopt;
    std::uint64_t n = 0;
    for (auto c : *v) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    return n;
}

// ---- what is installed ---------------------------------------------------------------------

std::vector<protocol::Installed> UpdateAgent::installed() {
    std::vector<protocol::Installed> out;
    std::map<std::string, std::uint32_t> counters;
    auto info = kernel_.security_call(nullptr, secproto::rollback_info);
    if (info.ok() && info.body.contains("stages") && info.body["stages"].is_array())
        for (const auto& s : info.body["stages"])
            if (s.is_object() && s.contains("stage") && s["stage"].is_string())
                counters[s["stage"].get<std::string>()] = s.value("fuse_counter", 0u);
    for (const auto& m : kernel_.handoff().measurements)
        out.push_back({image::to_string(m.component), static_cast<std::uint16_t>(m.type), image::version_to_string(m.version),
                       counters[m.stage]});
    for (const auto& app : kernel_.apps().apps())
        out.push_back({app->manifest.component_id, static_cast<std::uint16_t>(image::ImageType::application), app->version, 0});
    return out;
}

// ---- the loop ------------------------------------------------------------------------------

int UpdateAgent::run(Process& self) {
    // Apps first: the boot time architects read is not delayed by an update check.
    while (!kernel_.apps().apps_started()) kernel_.cpu().block_on(kernel_.apps().apps_running());
    check_install_outcome();
    if (settle_test_boot()) return 0;  // reverting: the device is resetting
    for (;;) {
        const auto outcome = check_once(self);
        if (outcome == Outcome::rebooting) return 0;
        const bool ok = outcome == Outcome::up_to_date;
        kernel_.cpu().block_for(seconds(ok ? kernel_.config().update_period_s : kernel_.config().update_retry_s));
    }
}

void UpdateAgent::check_install_outcome() {
    if (!kernel_.storage_ready()) return;
    auto& store = kernel_.store();
    auto v = store.get(kInstallingKey);
    if (!v) return;
    const auto j = nlohmann::json::parse(v->begin(), v->end(), nullptr, false);
    if (j.is_array())
        for (const auto& img : j) {
            if (!img.is_object()) continue;
            const auto stage = img.value("stage", std::string());
            const auto version = img.value("version", std::string());
            bool booted = false;
            for (const auto& m : kernel_.handoff().measurements)
                if (m.stage == stage && image::version_to_string(m.version) == version) booted = true;
            if (booted) continue;
            // The security subsystem fell back to the previous image: never offer it again.
            store.put(kFailedPrefix + img.value("sha256", std::string("?")), as_bytes(version));
            kernel_.device().emit(ev::os_update_reverted, {{"stage", stage}, {"version", version}});
            kernel_.klog(fmt::format("update-agent: {} {} was reverted after its test boot; it will not be installed again",
                                     stage, version));
        }
    store.remove(kInstallingKey);
}

bool UpdateAgent::settle_test_boot() {
    auto info = kernel_.security_call(nullptr, secproto::rollback_info);
    if (!info.ok() || !info.body.contains("stages") || !info.body["stages"].is_array()) return false;
    std::vector<std::string> testing;
    for (const auto& s : info.body["stages"])
        if (s.is_object() && s.value("test_boot", false)) testing.push_back(s.value("stage", std::string("?")));
    if (testing.empty()) return false;
    const auto window = kernel_.config().update_confirm_after_s;
    kernel_.klog(fmt::format("update-agent: test boot of {}; confirming after {} s of healthy running",
                             fmt::join(testing, ", "), window));
    kernel_.cpu().block_for(seconds(window));
    if (kernel_.apps().healthy_for(window * 1'000'000'000ull)) {
        auto r = kernel_.security_call(nullptr, secproto::confirm_boot);
        if (r.ok()) {
            kernel_.device().emit(ev::os_update_confirmed, {{"stages", testing}});
            kernel_.klog("update-agent: new images confirmed");
            return false;
        }
        kernel_.klog(std::string("update-agent: confirm refused: ") + std::string(secproto::status_name(r.status)));
    }
    // Not healthy: reset, and the security subsystem reverts the unconfirmed images.
    kernel_.klog("update-agent: the test boot is not healthy; resetting to revert it");
    kernel_.device().emit(ev::os_update_rebooting, {{"stages", testing}, {"reason", "unhealthy test boot"}});
    kernel_.security_call(nullptr, secproto::device_reset, {{"reason", "unhealthy test boot: revert"}});
    return true;
}

UpdateAgent::Outcome UpdateAgent::check_once(Process&) {
    auto& dev = kernel_.device();
    nlohmann::json installed_json = nlohmann::json::array();
    const auto now_installed = installed();
    for (const auto& i : now_installed) installed_json.push_back(i.to_json());
    auto result = kernel_.networkd().cloud_post("/v1/updates/check", {{"installed", installed_json}}, /*authenticate=*/true);
    if (!result.response || result.response->status != 200) {
        const auto reason = result.response ? fmt::format("HTTP {}", result.response->status) : result.error;
        kernel_.klog("update-agent: check failed: " + reason);
        dev.emit(ev::os_update_manifest_rejected, {{"reason", "unavailable"}, {"detail", reason}});
        return Outcome::failed;
    }
    protocol::SignedManifest manifest;
    try {
        const auto j = result.response->json();
        if (!j.is_object() || !j.contains("manifest")) throw InputError("no manifest in the answer");
        manifest = protocol::SignedManifest::from_json(j["manifest"]);
    } catch (const sc_core::sc_unwind_exception&) {
        throw;  // the simulation is ending this thread: let it unwind
    } catch (const std::exception& e) {
        dev.emit(ev::os_update_manifest_rejected, {{"reason", "malformed"}, {"detail", e.what()}});
        return Outcome::rejected;
    }
    std::string detail;
    const auto verdict = check_manifest(manifest, detail);
    if (verdict != protocol::ManifestVerdict::accepted) {
        dev.emit(ev::os_update_manifest_rejected,
                 {{"reason", protocol::to_string(verdict)}, {"version", manifest.body.version}, {"detail", detail}});
        kernel_.klog(fmt::format("update-agent: manifest {} refused: {} ({})", manifest.body.version,
                                 protocol::to_string(verdict), detail));
        return Outcome::rejected;
    }
    // A replay of anything older is refused from now on, even after a reset.
    if (kernel_.storage_ready() && last_manifest_version() != manifest.body.version)
        kernel_.store().put(kManifestVersionKey, as_bytes(std::to_string(manifest.body.version)));
    dev.emit(ev::os_update_checked, {{"version", manifest.body.version}, {"images", manifest.body.images.size()}});

    // What would be installed, and whether each image's requirements hold with it.
    std::map<std::string, std::uint32_t> have;  // component -> version
    for (const auto& i : now_installed)
        if (auto v = version_of(i.version)) have[i.component] = *v;
    std::map<std::string, std::string> stage_of_type;
    auto info = kernel_.security_call(nullptr, secproto::rollback_info);
    if (info.ok() && info.body.contains("stages") && info.body["stages"].is_array())
        for (const auto& s : info.body["stages"])
            if (s.is_object() && s.contains("stage") && s["stage"].is_string())
                stage_of_type[s["stage"].get<std::string>()] = s["stage"].get<std::string>();
    std::vector<std::pair<const protocol::ManifestImage*, std::string>> plan;  // image, stage
    auto after = have;
    for (const auto& img : manifest.body.images) {
        const auto v = version_of(img.version);
        if (!v) {
            dev.emit(ev::os_update_withheld, {{"component", img.component}, {"reason", "malformed version"}});
            continue;
        }
        auto current = have.find(img.component);
        if (current != have.end() && current->second == *v) continue;  // installed already
        if (kernel_.storage_ready() && kernel_.store().contains(kFailedPrefix + img.sha256)) {
            dev.emit(ev::os_update_withheld, {{"component", img.component}, {"reason", "reverted after a failed test boot before"}});
            continue;
        }
        if (current != have.end() && current->second > *v) {
            dev.emit(ev::os_update_withheld, {{"component", img.component}, {"reason", "older than the installed version"}});
            continue;
        }
        const auto type = static_cast<image::ImageType>(img.image_type);
        auto stage = stage_of_type.find(std::string(image::to_string(type)));
        if (stage == stage_of_type.end()) {
            dev.emit(ev::os_update_withheld,
                     {{"component", img.component}, {"reason", fmt::format("no A/B slot for image type {}", img.image_type)}});
            continue;
        }
        plan.push_back({&img, stage->second});
        after[img.component] = *v;
    }
    // Mix-and-match (U10): every requirement must hold on the system as it would be after.
    std::vector<std::pair<const protocol::ManifestImage*, std::string>> go;
    for (const auto& [img, stage] : plan) {
        std::string unmet;
        for (const auto& req : img->requires_) {
            const auto need = version_of(req.min_version);
            auto it = after.find(req.component);
            if (!need || it == after.end() || it->second < *need)
                unmet = fmt::format("requires {} >= {}", req.component, req.min_version);
        }
        if (!unmet.empty()) {
            dev.emit(ev::os_update_withheld, {{"component", img->component}, {"reason", unmet}});
            continue;
        }
        go.push_back({img, stage});
    }
    if (go.empty()) {
        dev.emit(ev::os_update_up_to_date, {{"version", manifest.body.version}});
        return Outcome::up_to_date;
    }
    wait_for_deferral();
    std::vector<std::string> staged;
    for (const auto& [img, stage] : go) {
        if (auto error = download_and_stage(*img, stage)) {
            dev.emit(ev::os_update_download_failed, {{"component", img->component}, {"reason", *error}});
            kernel_.klog(fmt::format("update-agent: {} not installed: {}", img->component, *error));
            return Outcome::failed;
        }
        staged.push_back(stage);
    }
    wait_for_deferral();
    if (kernel_.storage_ready()) {
        nlohmann::json installing = nlohmann::json::array();
        for (const auto& [img, stage] : go)
            installing.push_back({{"stage", stage}, {"version", img->version}, {"sha256", img->sha256}});
        kernel_.store().put(kInstallingKey, as_bytes(installing.dump()));
    }
    dev.emit(ev::os_update_rebooting, {{"stages", staged}, {"reason", "install"}});
    kernel_.klog("update-agent: rebooting into the new images");
    kernel_.security_call(nullptr, secproto::device_reset, {{"reason", "update installed"}});
    return Outcome::rebooting;
}

void UpdateAgent::wait_for_deferral() {
    // An app with SoftwareUpdateDeferral may hold the install back for a while (U11).
    for (;;) {
        const auto now = sim_now_ns();
        const AppContainer* holder = nullptr;
        for (const auto& app : kernel_.apps().apps())
            if (app->deferral_until_ns > now && (!holder || app->deferral_until_ns > holder->deferral_until_ns))
                holder = app.get();
        if (!holder) return;
        kernel_.device().emit(ev::os_update_deferred,
                              {{"app", holder->name()},
                               {"until_s", static_cast<double>(holder->deferral_until_ns) / 1e9}});
        kernel_.cpu().block_for(sc_core::sc_time(static_cast<double>(holder->deferral_until_ns - now), sc_core::SC_NS));
    }
}

std::optional<std::string> UpdateAgent::download_and_stage(const protocol::ManifestImage& image, const std::string& stage) {
    const auto& config = kernel_.config();
    if (image.size == 0) return "the manifest gives no size";
    if (image.sha256.size() != 64 || !std::all_of(image.sha256.begin(), image.sha256.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
        return "the manifest gives no image hash";
    auto begin = kernel_.security_call(nullptr, secproto::stage_begin, {{"stage", stage}, {"size", image.size}});
    if (!begin.ok()) return std::string("stage-begin: ") + std::string(secproto::status_name(begin.status));
    crypto::Sha256 hash;
    const auto start_ns = sim_now_ns();
    for (std::uint64_t at = 0; at < image.size;) {
        const auto want = std::min<std::uint64_t>(config.download_chunk_bytes, image.size - at);
        HttpRequest req;
        req.method = "GET";
        req.target = "/v1/images/" + image.sha256;
        req.headers = {{"Range", fmt::format("bytes={}-{}", at, at + want - 1)}};
        // The whole chunk must arrive at the floor rate (plus an allowance for the connection).
        const auto allowed_ns = (want * 1'000'000'000ull) / std::max<std::uint64_t>(config.download_min_bytes_per_s, 1) +
                                config.download_allowance_ms * 1'000'000ull;
        const auto deadline = sc_core::sc_time_stamp() + sc_core::sc_time(static_cast<double>(allowed_ns), sc_core::SC_NS);
        auto r = kernel_.networkd().cloud_request(req, /*authenticate=*/true, want, deadline);
        if (!r.response) return r.error.starts_with("too slow") ? "slow retrieval: " + r.error : r.error;
        if (r.response->status != 206 && !(r.response->status == 200 && at == 0 && want == image.size))
            return fmt::format("HTTP {} for bytes {}-{}", r.response->status, at, at + want - 1);
        if (r.response->body.size() != want)
            return fmt::format("got {} bytes where {} were asked for", r.response->body.size(), want);
        const auto chunk = as_bytes(r.response->body);
        hash.update(chunk);
        for (std::size_t done = 0; done < chunk.size(); done += 1024) {
            const auto n = std::min<std::size_t>(1024, chunk.size() - done);
            auto w = kernel_.security_call(nullptr, secproto::stage_write,
                                           {{"offset", at + done},
                                            {"data", nlohmann::json::binary(std::vector<std::uint8_t>(chunk.begin() + done, chunk.begin() + done + n))}});
            if (!w.ok()) return std::string("stage-write: ") + std::string(secproto::status_name(w.status));
        }
        at += want;
    }
    if (to_hex(ByteView(hash.finish())) != image.sha256) return "the downloaded image does not match its hash";
    kernel_.device().emit(ev::os_update_downloaded,
                          {{"component", image.component}, {"bytes", image.size},
                           {"elapsed_ms", static_cast<double>(sim_now_ns() - start_ns) / 1e6}});
    auto commit = kernel_.security_call(nullptr, secproto::stage_commit);
    if (!commit.ok()) return std::string("stage-commit: ") + std::string(secproto::status_name(commit.status));
    if (!commit.body.is_object() || !commit.body.value("verified", false))
        return "the security subsystem refused it: " +
               (commit.body.is_object() ? commit.body.value("reason", std::string("unknown")) : std::string("unknown"));
    kernel_.device().emit(ev::os_update_staged,
                          {{"stage", stage}, {"slot", commit.body.value("slot", std::string())}, {"version", image.version}});
    return std::nullopt;
}

}  // namespace svp::os

// `spherevp cloud serve|admin`: the cloud-stub security service and its administration.
//
//   spherevp cloud serve --db FILE [--listen 127.0.0.1:PORT] [--seed N] [--clock-file F] [--events F]
//                        [--rate-limit RATE/BURST|off] [--defence-off NAME]...
//     prints one JSON line when ready ({"listening": ..., "service_ca": ..., "admin_token_file": ...})
//     and serves until SIGTERM or SIGINT (exit 0).
//   spherevp cloud admin --url https://127.0.0.1:PORT --ca service-ca.pem --token-file F ACTION
//     ACTION: upload-image FILE | images | devices | revoke ID [--reason R] | quarantine ID [--reason R]
//             | release ID | claim ID PRODUCT GROUP | audit | telemetry | reports
//             | products | create-product NAME | groups PRODUCT | create-group PRODUCT NAME
//             | set-group PRODUCT GROUP | freeze PRODUCT GROUP | unfreeze PRODUCT GROUP
//             | deploy PRODUCT GROUP IMAGE... [--phases P,.. --failure-threshold PCT [--min-outcomes N]]
//             | deployments PRODUCT GROUP | advance-rollout PRODUCT GROUP VERSION | manifests PRODUCT GROUP
//             | tenant-ca | rotate-tenant-ca [--overlap S]
//             | publish-os FEED IMAGE... | os-feeds | default-group [PRODUCT GROUP]
#include <cctype>
#include <iostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "cloud-stub/cloud_client.h"
#include "cloud-stub/cloud_defences.h"
#include "cloud-stub/cloud_service.h"
#include "cloud-stub/rate_limiter.h"
#include "common/crypto/x509.h"
#include "common/util/input_error.h"

namespace svp::cli {
namespace {

void add_serve(CLI::App& group) {
    static cloud::ServeConfig config;
    static std::string db, listen = "127.0.0.1:0", clock_file, events_file, rate_limit;
    static std::uint64_t seed = 0;
    static std::vector<std::string> defences_off;
    auto* cmd = group.add_subcommand("serve", "run the security service (HTTPS, SQLite) until SIGTERM or SIGINT");
    cmd->add_option("--db", db, "SQLite database file; its PKI and admin token are kept next to it")->required();
    cmd->add_option("--listen", listen, "loopback HOST:PORT to listen on; port 0 picks a free one")->capture_default_str();
    auto* seed_opt = cmd->add_option("--seed", seed, "make every random value reproducible (scenario runs; never in production)");
    cmd->add_option("--clock-file", clock_file,
                    "16-byte file with the service time (int64 epoch_unix_ns, uint64 sim_ns; see cloud-stub/README.md)");
    cmd->add_option("--events", events_file, "append the cloud's events here as JSON lines");
    cmd->add_option("--rate-limit", rate_limit,
                    "each device's request budget: RATE/BURST (default 1/60: sixty at once, then one a second), "
                    "or off (tests of what the limit defends only)");
    cmd->add_option("--defence-off", defences_off,
                    "switch off one of the cloud's defences (repeatable; regression-power runs only): " +
                        cloud::defence::cloud_defence_names());
    set_action(cmd, [seed_opt] {
        config.db = db;
        config.defences = cloud::defence::defences_off(defences_off);
        if (!rate_limit.empty()) config.device_rate_limit = cloud::RateLimit::parse(rate_limit);
        if (seed_opt->count() > 0) config.seed = seed;
        if (!clock_file.empty()) config.clock_file = clock_file;
        if (!events_file.empty()) config.events_file = events_file;
        std::optional<cloud::CloudService> service;
        try {
            service.emplace(config);
        } catch (const cloud::DatabaseError& e) {
            throw InputError(db, 0, e.what());
        }
        service->serve(listen, [](const nlohmann::ordered_json& ready) {
            std::cout << ready.dump() << std::endl;  // endl flushes: the runner waits for this line
        });
        return kExitOk;
    });
}

struct AdminOptions {
    std::string url, ca, token_file;
};

AdminOptions& admin_options() {
    static AdminOptions options;
    return options;
}

cloud::CloudClient connect_admin() {
    const auto& o = admin_options();
    auto options = cloud::CloudClientOptions::from_url(o.url);
    options.ca_pem = read_text_file(o.ca);
    crypto::Certificate::from_pem(options.ca_pem, "--ca " + o.ca);  // name the file if it is not one
    auto token = read_text_file(o.token_file);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    options.bearer_token = token;
    return cloud::CloudClient(std::move(options));
}

// Prints the response; 2xx -> 0, a refusal -> 2 (the request was not acceptable), 5xx -> 70.
int report(const cloud::CloudResponse& response) {
    auto j = nlohmann::ordered_json::parse(response.body, nullptr, false);  // keep the service's key order
    if (response.ok()) {
        std::cout << (j.is_discarded() ? response.body : j.dump(2) + "\n");
        return kExitOk;
    }
    std::string detail = j.is_object() && j.contains("detail") && j["detail"].is_string() ? j["detail"].get<std::string>() : response.body;
    std::cerr << fmt::format("spherevp: error: the cloud refused ({}): {}: {}\n", response.status, response.error(), detail);
    return response.status >= 500 ? kExitInternalError : kExitInvalidInput;
}

template <class Call>
int with_client(Call&& call) {
    try {
        auto client = connect_admin();
        return report(call(client));
    } catch (const cloud::CloudClientError& e) {
        throw InputError(fmt::format("--url {}: {}", admin_options().url, e.what()));
    }
}

// One path segment of a URL: product and group names may hold spaces and other characters.
std::string path_segment(const std::string& text) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out.push_back(static_cast<char>(c));
        else out += fmt::format("%{:02X}", c);
    }
    return out;
}

std::string group_path(const std::string& product, const std::string& group) {
    return "/admin/v1/products/" + path_segment(product) + "/groups/" + path_segment(group);
}

std::string query_string(std::initializer_list<std::pair<const char*, std::string>> params) {
    std::string q;
    for (const auto& [key, value] : params) {
        if (value.empty()) continue;
        q += (q.empty() ? "?" : "&") + std::string(key) + "=" + value;  // values here are hex and digits
    }
    return q;
}

void add_device_actions(CLI::App& admin);
void add_deployment_actions(CLI::App& admin);

void add_admin(CLI::App& group) {
    auto* admin = group.add_subcommand("admin", "administer a running cloud stub over its REST API");
    admin->require_subcommand(1);
    admin->fallthrough();  // the connection options may also follow the action
    auto& o = admin_options();
    admin->add_option("--url", o.url, "https://HOST:PORT of the service (its ready line's \"listening\")")->required();
    admin->add_option("--ca", o.ca, "the service CA to trust (its ready line's \"service_ca\")")->required();
    admin->add_option("--token-file", o.token_file, "the admin token file (its ready line's \"admin_token_file\")")->required();

    static std::string image_file;
    auto* upload = admin->add_subcommand("upload-image", "make a signed image known-good (its measurement may attest)");
    upload->add_option("image", image_file, "signed image file")->required();
    set_action(upload, [] {
        auto bytes = read_file(image_file);
        return with_client([&](cloud::CloudClient& c) { return c.upload_image(bytes); });
    });

    auto* images = admin->add_subcommand("images", "list known-good images");
    set_action(images, [] { return with_client([](cloud::CloudClient& c) { return c.get("/admin/v1/images"); }); });

    auto* devices = admin->add_subcommand("devices", "list devices, their state and latest certificate");
    set_action(devices, [] { return with_client([](cloud::CloudClient& c) { return c.get("/admin/v1/devices"); }); });

    static std::string revoke_id, revoke_reason;
    auto* revoke = admin->add_subcommand("revoke", "revoke a device: it can no longer attest or send telemetry");
    revoke->add_option("device", revoke_id, "device id (128 hex digits)")->required();
    revoke->add_option("--reason", revoke_reason, "why (kept in the audit log)");
    set_action(revoke, [] {
        nlohmann::json body = nlohmann::json::object();
        if (!revoke_reason.empty()) body["reason"] = revoke_reason;
        return with_client([&](cloud::CloudClient& c) {
            return c.post_json("/admin/v1/devices/" + revoke_id + "/revoke", body);
        });
    });

    static std::string audit_limit;
    auto* audit = admin->add_subcommand("audit", "show the latest audit rows");
    audit->add_option("--limit", audit_limit, "how many (default 100)")->check(CLI::PositiveNumber);
    set_action(audit, [] {
        return with_client([](cloud::CloudClient& c) { return c.get("/admin/v1/audit" + query_string({{"limit", audit_limit}})); });
    });

    static std::string telemetry_device, telemetry_limit;
    auto* telemetry = admin->add_subcommand("telemetry", "show the latest telemetry records");
    telemetry->add_option("--device", telemetry_device, "only this device (128 hex digits)")
        ->check([](const std::string& s) {
            return s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos ? "" : "not hex";
        });
    telemetry->add_option("--limit", telemetry_limit, "how many (default 100)")->check(CLI::PositiveNumber);
    set_action(telemetry, [] {
        return with_client([](cloud::CloudClient& c) {
            return c.get("/admin/v1/telemetry" + query_string({{"device", telemetry_device}, {"limit", telemetry_limit}}));
        });
    });

    add_device_actions(*admin);
    add_deployment_actions(*admin);
}

// Device state, failure reports.
void add_device_actions(CLI::App& admin) {
    static std::string q_device, q_reason;
    auto* quarantine = admin.add_subcommand("quarantine", "hold a device: no new certificates, manifests or images");
    quarantine->add_option("device", q_device, "device id (128 hex digits)")->required();
    quarantine->add_option("--reason", q_reason, "why (kept in the audit log)");
    set_action(quarantine, [] {
        nlohmann::json body = nlohmann::json::object();
        if (!q_reason.empty()) body["reason"] = q_reason;
        return with_client([&](cloud::CloudClient& c) { return c.post_json("/admin/v1/devices/" + q_device + "/quarantine", body); });
    });

    static std::string r_device;
    auto* release = admin.add_subcommand("release", "lift a device's quarantine");
    release->add_option("device", r_device, "device id (128 hex digits)")->required();
    set_action(release, [] {
        return with_client([&](cloud::CloudClient& c) { return c.request("POST", "/admin/v1/devices/" + r_device + "/release"); });
    });

    static std::string c_device, c_product, c_group;
    auto* claim = admin.add_subcommand("claim", "claim a device into a product's device group");
    claim->add_option("device", c_device, "device id (128 hex digits)")->required();
    claim->add_option("product", c_product, "product name or GUID")->required();
    claim->add_option("group", c_group, "device group name")->required();
    set_action(claim, [] {
        return with_client([&](cloud::CloudClient& c) {
            return c.post_json("/admin/v1/devices/" + c_device + "/claim", {{"product", c_product}, {"group", c_group}});
        });
    });

    static std::string rep_device, rep_limit;
    auto* reports = admin.add_subcommand("reports", "show the latest failure reports");
    reports->add_option("--device", rep_device, "only this device (128 hex digits)")
        ->check([](const std::string& s) {
            return s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos ? "" : "not hex";
        });
    reports->add_option("--limit", rep_limit, "how many (default 100)")->check(CLI::PositiveNumber);
    set_action(reports, [] {
        return with_client([](cloud::CloudClient& c) {
            return c.get("/admin/v1/reports" + query_string({{"device", rep_device}, {"limit", rep_limit}}));
        });
    });
}

struct GroupSettings {
    std::string feed, policy;
    std::int64_t lifetime = 0;
    nlohmann::json json() const {
        nlohmann::json j = nlohmann::json::object();
        if (!feed.empty()) j["os_feed"] = feed;
        if (!policy.empty()) j["update_policy"] = policy;
        if (lifetime > 0) j["manifest_lifetime_s"] = lifetime;
        return j;
    }
};

void add_group_settings(CLI::App* cmd, GroupSettings& s) {
    cmd->add_option("--feed", s.feed, "OS feed")->check(CLI::IsMember({"Retail", "RetailEval"}));
    cmd->add_option("--policy", s.policy, "update policy")
        ->check(CLI::IsMember({"UpdateAll", "No3rdPartyAppUpdates", "NoUpdates"}));
    cmd->add_option("--manifest-lifetime", s.lifetime, "seconds a signed manifest stays valid (default 604800: 7 days)")
        ->check(CLI::PositiveNumber);
}

// Products, device groups, deployments, OS feeds, manifests.
void add_deployment_actions(CLI::App& admin) {
    set_action(admin.add_subcommand("products", "list products"),
               [] { return with_client([](cloud::CloudClient& c) { return c.get("/admin/v1/products"); }); });

    static std::string p_name, p_id, p_description;
    auto* create_product = admin.add_subcommand("create-product", "create a product and its five default device groups");
    create_product->add_option("name", p_name, "product name")->required();
    create_product->add_option("--id", p_id, "its GUID, as its images' headers carry it (default: a new one)");
    create_product->add_option("--description", p_description, "a line about it");
    set_action(create_product, [] {
        nlohmann::json body = {{"name", p_name}};
        if (!p_id.empty()) body["product_id"] = p_id;
        if (!p_description.empty()) body["description"] = p_description;
        return with_client([&](cloud::CloudClient& c) { return c.post_json("/admin/v1/products", body); });
    });

    static std::string g_product;
    auto* groups = admin.add_subcommand("groups", "list a product's device groups");
    groups->add_option("product", g_product, "product name or GUID")->required();
    set_action(groups, [] {
        return with_client([](cloud::CloudClient& c) { return c.get("/admin/v1/products/" + path_segment(g_product) + "/groups"); });
    });

    static std::string cg_product, cg_name;
    static GroupSettings cg_settings;
    auto* create_group = admin.add_subcommand("create-group", "create a device group");
    create_group->add_option("product", cg_product, "product name or GUID")->required();
    create_group->add_option("name", cg_name, "group name")->required();
    add_group_settings(create_group, cg_settings);
    set_action(create_group, [] {
        auto body = cg_settings.json();
        body["name"] = cg_name;
        return with_client([&](cloud::CloudClient& c) {
            return c.post_json("/admin/v1/products/" + path_segment(cg_product) + "/groups", body);
        });
    });

    static std::string sg_product, sg_group;
    static GroupSettings sg_settings;
    auto* set_group = admin.add_subcommand("set-group", "change a device group's OS feed, update policy or manifest lifetime");
    set_group->add_option("product", sg_product, "product name or GUID")->required();
    set_group->add_option("group", sg_group, "group name")->required();
    add_group_settings(set_group, sg_settings);
    set_action(set_group, [] {
        return with_client([&](cloud::CloudClient& c) {
            return c.request("PATCH", group_path(sg_product, sg_group), sg_settings.json().dump());
        });
    });

    static std::string f_product, f_group;
    for (const char* action : {"freeze", "unfreeze"}) {
        auto* cmd = admin.add_subcommand(action, std::string(action) == "freeze"
                                                     ? "stop re-signing a group's manifest (it will expire: a frozen feed)"
                                                     : "re-sign a frozen group's manifest again");
        cmd->add_option("product", f_product, "product name or GUID")->required();
        cmd->add_option("group", f_group, "group name")->required();
        set_action(cmd, [action] {
            return with_client([&](cloud::CloudClient& c) {
                return c.request("POST", group_path(f_product, f_group) + "/" + action);
            });
        });
    }

    static std::string d_product, d_group;
    static std::vector<std::string> d_images, d_requires;
    static std::vector<int> d_phases;
    static int d_threshold = 0, d_min_outcomes = 0;
    auto* deploy = admin.add_subcommand("deploy", "give a device group a new deployment (a set of uploaded app images)");
    deploy->add_option("product", d_product, "product name or GUID")->required();
    deploy->add_option("group", d_group, "group name")->required();
    deploy->add_option("images", d_images, "image ids (measurement or sha256); none deploys no apps");
    deploy->add_option("--requires", d_requires, "COMPONENT:MIN_VERSION every image needs installed (e.g. the OS)");
    deploy->add_option("--phases", d_phases, "stage the rollout: percentages of the group, ascending (10 = 10 % canaries, "
                                              "then the rest once advanced)")
        ->delimiter(',')
        ->check(CLI::Range(1, 100));
    deploy->add_option("--failure-threshold", d_threshold, "with --phases: halt when this percentage of reported installs failed")
        ->check(CLI::Range(1, 100));
    deploy->add_option("--min-outcomes", d_min_outcomes, "with --phases: outcomes needed before the threshold is judged (default 1)")
        ->check(CLI::PositiveNumber);
    set_action(deploy, [] {
        if (d_phases.empty() != (d_threshold == 0))
            throw InputError("deploy: --phases and --failure-threshold go together (a staged rollout needs both)");
        nlohmann::json requires_ = nlohmann::json::array();
        for (const auto& r : d_requires) {
            auto colon = r.rfind(':');
            if (colon == std::string::npos) throw InputError(fmt::format("--requires '{}': expected COMPONENT:MIN_VERSION", r));
            requires_.push_back({{"component", r.substr(0, colon)}, {"min_version", r.substr(colon + 1)}});
        }
        nlohmann::json body = {{"images", d_images}};
        if (!requires_.empty()) body["requires"] = requires_;
        if (!d_phases.empty()) {
            body["rollout"] = {{"phases", d_phases}, {"failure_threshold_percent", d_threshold}};
            if (d_min_outcomes > 0) body["rollout"]["min_outcomes"] = d_min_outcomes;
        }
        return with_client([&](cloud::CloudClient& c) { return c.post_json(group_path(d_product, d_group) + "/deployments", body); });
    });

    static std::string l_product, l_group;
    auto* deployments = admin.add_subcommand("deployments", "list a device group's deployments");
    deployments->add_option("product", l_product, "product name or GUID")->required();
    deployments->add_option("group", l_group, "group name")->required();
    set_action(deployments, [] {
        return with_client([](cloud::CloudClient& c) { return c.get(group_path(l_product, l_group) + "/deployments"); });
    });

    static std::string a_product, a_group;
    static std::int64_t a_version = 0;
    auto* advance = admin.add_subcommand("advance-rollout", "move a staged rollout to its next phase (the last: the whole group)");
    advance->add_option("product", a_product, "product name or GUID")->required();
    advance->add_option("group", a_group, "group name")->required();
    advance->add_option("deployment", a_version, "the deployment's version")->required()->check(CLI::PositiveNumber);
    set_action(advance, [] {
        return with_client([](cloud::CloudClient& c) {
            return c.request("POST", group_path(a_product, a_group) + "/deployments/" + std::to_string(a_version) + "/advance");
        });
    });

    set_action(admin.add_subcommand("tenant-ca", "list the tenant CAs: active, trusted in their overlap, retired"),
               [] { return with_client([](cloud::CloudClient& c) { return c.get("/admin/v1/tenant-ca"); }); });
    static std::int64_t r_overlap = -1;
    auto* rotate = admin.add_subcommand("rotate-tenant-ca", "issue device certificates from a new tenant CA from now on");
    rotate->add_option("--overlap", r_overlap, "seconds the previous CA stays trusted (default 86400: its last certificates "
                                               "expire; 0: retire it now, every device attests again)")
        ->check(CLI::NonNegativeNumber);
    set_action(rotate, [] {
        nlohmann::json body = nlohmann::json::object();
        if (r_overlap >= 0) body["overlap_s"] = r_overlap;
        return with_client([&](cloud::CloudClient& c) { return c.post_json("/admin/v1/tenant-ca/rotate", body); });
    });

    static std::string m_product, m_group;
    static std::uint64_t m_version = 0;
    auto* manifests = admin.add_subcommand("manifests", "list the manifests signed for a group, or print one as served");
    manifests->add_option("product", m_product, "product name or GUID")->required();
    manifests->add_option("group", m_group, "group name")->required();
    manifests->add_option("--version", m_version, "print this manifest, exactly as served (to replay it)")->check(CLI::PositiveNumber);
    set_action(manifests, [] {
        return with_client([](cloud::CloudClient& c) {
            auto path = group_path(m_product, m_group) + "/manifests";
            return c.get(m_version ? path + "/" + std::to_string(m_version) : path);
        });
    });

    static std::string o_feed;
    static std::vector<std::string> o_images;
    auto* publish = admin.add_subcommand("publish-os", "publish an OS release (uploaded OS images) on a feed");
    publish->add_option("feed", o_feed, "Retail or RetailEval")->required()->check(CLI::IsMember({"Retail", "RetailEval"}));
    publish->add_option("images", o_images, "image ids (measurement or sha256)")->required();
    set_action(publish, [] {
        return with_client([](cloud::CloudClient& c) {
            return c.post_json("/admin/v1/os-feeds/" + o_feed + "/releases", {{"images", o_images}});
        });
    });
    set_action(admin.add_subcommand("os-feeds", "list the OS feeds and their releases"),
               [] { return with_client([](cloud::CloudClient& c) { return c.get("/admin/v1/os-feeds"); }); });

    static std::string dg_product, dg_group;
    auto* default_group = admin.add_subcommand("default-group", "show, or set, the group unclaimed devices land in");
    default_group->add_option("product", dg_product, "product name or GUID");
    default_group->add_option("group", dg_group, "group name");
    set_action(default_group, [] {
        if (dg_product.empty() != dg_group.empty()) throw InputError("default-group: give both PRODUCT and GROUP, or neither");
        return with_client([](cloud::CloudClient& c) {
            if (dg_product.empty()) return c.get("/admin/v1/default-group");
            return c.request("PUT", "/admin/v1/default-group", nlohmann::json{{"product", dg_product}, {"group", dg_group}}.dump());
        });
    });
}

}  // namespace

void register_cloud(CLI::App& root) {
    auto* group = root.add_subcommand("cloud", "the cloud-stub security service: serve it, administer it");
    group->require_subcommand(1);
    add_serve(*group);
    add_admin(*group);
}

}  // namespace svp::cli

// `spherevp cloud serve|admin`: the cloud-stub security service and its administration.
//
//   spherevp cloud serve --db FILE [--listen 127.0.0.1:PORT] [--seed N] [--clock-file F] [--events F]
//     prints one JSON line when ready ({"listening": ..., "service_ca": ..., "admin_token_file": ...})
//     and serves until SIGTERM or SIGINT (exit 0).
//   spherevp cloud admin --url https://127.0.0.1:PORT --ca service-ca.pem --token-file F ACTION
//     ACTION: upload-image FILE | images | devices | revoke ID [--reason R] | audit | telemetry
#include <iostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "cloud-stub/cloud_client.h"
#include "cloud-stub/cloud_service.h"
#include "common/crypto/x509.h"
#include "common/util/input_error.h"

namespace svp::cli {
namespace {

void add_serve(CLI::App& group) {
    static cloud::ServeConfig config;
    static std::string db, listen = "127.0.0.1:0", clock_file, events_file;
    static std::uint64_t seed = 0;
    auto* cmd = group.add_subcommand("serve", "run the security service (HTTPS, SQLite) until SIGTERM or SIGINT");
    cmd->add_option("--db", db, "SQLite database file; its PKI and admin token are kept next to it")->required();
    cmd->add_option("--listen", listen, "loopback HOST:PORT to listen on; port 0 picks a free one")->capture_default_str();
    auto* seed_opt = cmd->add_option("--seed", seed, "make every random value reproducible (scenario runs; never in production)");
    cmd->add_option("--clock-file", clock_file,
                    "16-byte file with the service time (int64 epoch_unix_ns, uint64 sim_ns; see cloud-stub/README.md)");
    cmd->add_option("--events", events_file, "append the cloud's events here as JSON lines");
    set_action(cmd, [seed_opt] {
        config.db = db;
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

std::string query_string(std::initializer_list<std::pair<const char*, std::string>> params) {
    std::string q;
    for (const auto& [key, value] : params) {
        if (value.empty()) continue;
        q += (q.empty() ? "?" : "&") + std::string(key) + "=" + value;  // values here are hex and digits
    }
    return q;
}

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
}

}  // namespace

void register_cloud(CLI::App& root) {
    auto* group = root.add_subcommand("cloud", "the cloud-stub security service: serve it, administer it");
    group->require_subcommand(1);
    add_serve(*group);
    add_admin(*group);
}

}  // namespace svp::cli

#include "cloud-stub/cloud_service.h"

#include <unistd.h>

#include <csignal>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include "cloud-stub/cloud_defences.h"
#include "cloud-stub/https_server.h"
#include "cloud-stub/schema.h"
#include "cloud-stub/tls_server_context.h"
#include "common/crypto/deterministic_random.h"
#include "common/util/input_error.h"
#include "common/util/log.h"

namespace svp::cloud {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

ServiceClock make_clock(const ServeConfig& c) {
    return c.clock_file ? ServiceClock::from_file(*c.clock_file) : ServiceClock::wall();
}

// Must run before anything draws from OpenSSL: the whole process's randomness (TLS, ECDSA
// nonces) then follows the seed and the order in which requests arrive.
ServiceRandom make_random(const ServeConfig& c) {
    if (!c.seed) return ServiceRandom::system();
    crypto::use_deterministic_openssl_rand(*c.seed, "cloud");
    return ServiceRandom::seeded(*c.seed);
}

fs::path sibling(const fs::path& db, std::string_view suffix) {
    auto p = fs::absolute(db).lexically_normal();
    p += suffix;
    return p;
}

const fs::path& checked_db(const fs::path& db) {
    if (db.empty()) throw InputError("--db: a database file is required");
    auto dir = fs::absolute(db).parent_path();
    if (!fs::is_directory(dir)) throw InputError(db.string(), 0, "the directory for the database does not exist");
    return db;
}

// "127.0.0.1:PORT", "[::1]:PORT" or "localhost:PORT". The stub is a test double: it never
// listens beyond the host (DESIGN.md: network traffic only to loopback addresses).
asio::ip::tcp::endpoint loopback_endpoint(const std::string& listen) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0)
        throw InputError(fmt::format("--listen: '{}' is not HOST:PORT", listen));
    std::string host = listen.substr(0, colon);
    const std::string port_text = listen.substr(colon + 1);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host == "localhost") host = "127.0.0.1";
    unsigned long port = 0;
    try {
        std::size_t used = 0;
        port = std::stoul(port_text, &used, 10);
        if (used != port_text.size() || port > 65535) throw std::out_of_range("port");
    } catch (const std::exception&) {
        throw InputError(fmt::format("--listen: '{}' is not a port number (0 picks a free one)", port_text));
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) throw InputError(fmt::format("--listen: '{}' is not an IP address", host));
    if (!address.is_loopback())
        throw InputError(fmt::format("--listen: {} is not a loopback address; the cloud stub serves this host only "
                                     "(use 127.0.0.1 or [::1])", host));
    return {address, static_cast<std::uint16_t>(port)};
}

std::string endpoint_text(const asio::ip::tcp::endpoint& e) {
    return e.address().is_v6() ? fmt::format("[{}]:{}", e.address().to_string(), e.port())
                               : fmt::format("{}:{}", e.address().to_string(), e.port());
}

}  // namespace

CloudService::CloudService(const ServeConfig& config)
    : defences_(config.defences),
      clock_(make_clock(config)),
      sync_(config.clock_file ? protocol::SimSync::try_open(*config.clock_file) : std::nullopt),
      random_(make_random(config)),
      store_(checked_db(config.db), clock_.now_unix_ns()),
      deployments_(store_.database()),
      pki_(ServicePki::load_or_create(sibling(config.db, ".pki"), clock_.now_unix_s(), random_,
                                      [this](const std::string& serial) { return store_.tenant_ca_active(serial); })),
      token_(AdminToken::load_or_create(sibling(config.db, ".admin-token"), random_)),
      events_(clock_, config.events_file),
      context_{store_, deployments_, pki_, clock_, random_, events_, limits_, defences_},
      router_(context_, token_) {
    router_.tenant_cas().load_history();
    if (config.device_rate_limit) limits_.devices = RateLimiter(*config.device_rate_limit);
    // A copy of the clock (it shares the mapped file): the log outlives no object of ours.
    log::set_time_source([clock = clock_] { return clock.event_time_ns(); });
    events_.emit(ev::cloud_service_started, {{"schema", store_.schema_version()},
                                             {"pki", pki_.created() ? "created" : "loaded"},
                                             {"seeded", config.seed.has_value()}});
    for (const auto& name : defences_.off())
        events_.emit(ev::sim_defence_off, {{"defence", name}, {"layer", defence::kLayer}});
}

void CloudService::serve(const std::string& listen, const std::function<void(const nlohmann::ordered_json&)>& on_ready) {
    const auto endpoint = loopback_endpoint(listen);
    std::signal(SIGPIPE, SIG_IGN);  // a reader of stdout that went away must not kill the service

    asio::io_context io(1);
    const TenantTrust trust{pki_, clock_};
    auto tls = make_server_tls_context(trust);
    std::optional<HttpsServer> listener;
    try {
        listener.emplace(io, endpoint, tls, router_, !clock_.is_simulated(), sync_ ? &*sync_ : nullptr);
    } catch (const boost::system::system_error& e) {
        throw InputError(fmt::format("--listen {}: cannot listen: {}", listen, e.code().message()));
    }
    auto& server = *listener;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        events_.emit(ev::cloud_service_stopped, {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
        server.stop();
    });
    server.start();

    nlohmann::ordered_json ready = {{"listening", endpoint_text(server.local_endpoint())},
                                    {"service_ca", pki_.paths().service_ca().string()},
                                    {"admin_token_file", token_.path().string()},
                                    {"tenant_ca", pki_.paths().tenant_ca().string()},
                                    {"tenant_ca_bundle", pki_.paths().tenant_ca_bundle().string()},
                                    {"update_key", pki_.paths().update_key_public().string()},
                                    {"db", store_.path().string()},
                                    {"pid", ::getpid()}};
    on_ready(ready);
    io.run();
}

}  // namespace svp::cloud

#include "tests/os/fake_cloud.h"

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <openssl/ssl.h>

#include "common/crypto/digest.h"
#include "common/protocol/attestation.h"

namespace svp::test {
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

crypto::Certificate make_ca(const crypto::EcPrivateKey& key, std::int64_t now) {
    crypto::CertificateRequest r;
    r.common_name = "fake cloud CA";
    r.role = crypto::CertificateRole::authority;
    r.serial = {0x01};
    r.not_before = now - 365 * 86400ll;
    r.not_after = now + 20 * 365 * 86400ll;
    return crypto::issue_certificate(r, key.public_key(), key, nullptr);
}

crypto::Certificate make_server(const crypto::EcPrivateKey& key, const crypto::EcPrivateKey& ca_key,
                                const crypto::Certificate& ca, std::int64_t now) {
    crypto::CertificateRequest r;
    r.common_name = "as3.spherevp.test";
    r.role = crypto::CertificateRole::server;
    r.serial = {0x02};
    r.not_before = now - 365 * 86400ll;
    r.not_after = now + 20 * 365 * 86400ll;
    r.dns_names = {"as3.spherevp.test"};
    return crypto::issue_certificate(r, key.public_key(), ca_key, &ca);
}

}  // namespace

FakeCloud::FakeCloud(std::function<std::int64_t()> now_s)
    : now_s_(std::move(now_s)), ca_key_(crypto::EcPrivateKey::from_seed(Bytes(32, 0xC1))),
      server_key_(crypto::EcPrivateKey::from_seed(Bytes(32, 0xC2))), update_key_(crypto::EcPrivateKey::from_seed(Bytes(32, 0xC3))),
      ca_cert_(make_ca(ca_key_, 1767225600)), server_cert_(make_server(server_key_, ca_key_, ca_cert_, 1767225600)),
      acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
}

FakeCloud::~FakeCloud() {
    stopping_ = true;
    {
        // Wake the blocking accept with a connection of our own.
        asio::io_context io;
        asio::ip::tcp::socket s(io);
        boost::system::error_code ec;
        s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    }
    accept_thread_.join();
    std::vector<std::thread> workers;
    {
        std::lock_guard lock(mutex_);
        workers.swap(workers_);
    }
    for (auto& t : workers) t.join();
}

void FakeCloud::publish(protocol::ManifestBody body) { publish_signed(protocol::SignedManifest::sign(std::move(body), update_key_)); }

void FakeCloud::publish_signed(protocol::SignedManifest m) {
    std::lock_guard lock(mutex_);
    manifest_ = std::move(m);
}

protocol::ManifestImage FakeCloud::add_image(const Bytes& image, std::uint16_t type, const std::string& component,
                                             const std::string& version, std::uint32_t counter) {
    protocol::ManifestImage m;
    m.component = component;
    m.image_type = type;
    m.version = version;
    m.counter = counter;
    m.size = image.size();
    m.sha256 = to_hex(ByteView(crypto::sha256(image)));
    m.measurement = m.sha256;
    std::lock_guard lock(mutex_);
    images_[m.sha256] = image;
    return m;
}

std::size_t FakeCloud::certificates_issued() const {
    std::lock_guard lock(mutex_);
    return certificates_;
}
std::vector<protocol::FailureReport> FakeCloud::reports() const {
    std::lock_guard lock(mutex_);
    std::vector<protocol::FailureReport> out;
    for (const auto& [seq, r] : reports_) out.push_back(r);
    return out;
}
std::size_t FakeCloud::report_uploads() const {
    std::lock_guard lock(mutex_);
    return uploads_;
}
std::size_t FakeCloud::image_requests() const {
    std::lock_guard lock(mutex_);
    return image_requests_;
}
std::size_t FakeCloud::update_checks() const {
    std::lock_guard lock(mutex_);
    return checks_;
}

void FakeCloud::accept_loop() {
    for (;;) {
        asio::ip::tcp::socket socket(io_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (stopping_) return;
        if (ec) continue;
        std::lock_guard lock(mutex_);
        workers_.emplace_back([this, s = std::move(socket)]() mutable { serve(std::move(s)); });
    }
}

void FakeCloud::serve(asio::ip::tcp::socket socket) {
    try {
        ssl::context ctx(ssl::context::tls_server);
        const auto cert = server_cert_.pem(), key = server_key_.pem();
        ctx.use_certificate(asio::buffer(cert), ssl::context::pem);
        ctx.use_private_key(asio::buffer(key), ssl::context::pem);
        // Ask for a client certificate, accept the handshake either way; endpoints decide.
        SSL_CTX_set_verify(ctx.native_handle(), SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
        ssl::stream<asio::ip::tcp::socket> stream(std::move(socket), ctx);
        stream.handshake(ssl::stream_base::server);
        Request req;
        if (X509* peer = SSL_get_peer_certificate(stream.native_handle())) {
            crypto::Certificate leaf{crypto::X509Ptr(peer)};
            if (!crypto::verify_certificate(leaf, ca_cert_, now_s_())) {
                req.authenticated = true;
                req.device_id = protocol::device_id(leaf.public_key().raw());
            }
        }
        beast::flat_buffer buffer;
        http::request<http::string_body> in;
        http::read(stream, buffer, in);
        req.method = std::string(in.method_string());
        req.target = std::string(in.target());
        req.body = in.body();
        for (const auto& f : in) req.headers[std::string(f.name_string())] = std::string(f.value());
        auto res = handle(req);
        if (res.hang_up) return;  // the socket closes without an answer
        http::response<http::string_body> out{static_cast<http::status>(res.status), 11};
        out.set(http::field::connection, "close");
        out.set(http::field::content_type, "application/json");
        for (const auto& [k, v] : res.headers) out.set(k, v);
        out.body() = res.body;
        out.prepare_payload();
        http::write(stream, out);
        boost::system::error_code ec;
        stream.shutdown(ec);
    } catch (const std::exception&) {
        // A connection the device dropped, or the simulation ending: nothing to answer.
    }
}

FakeCloud::Response FakeCloud::handle(const Request& r) {
    using nlohmann::json;
    auto error = [](int status, const std::string& why) { return Response{status, json{{"error", why}}.dump(), {}, false}; };
    if (r.method == "POST" && r.target == "/v1/attestation/challenge") {
        Bytes nonce(protocol::kNonceSize);
        for (std::size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<std::uint8_t>(i * 7 + 1);
        return {200, json{{"nonce", to_hex(nonce)}, {"expires_at", now_s_() + 300}}.dump(), {}, false};
    }
    if (r.method == "POST" && r.target == "/v1/attestation/quote") {
        try {
            const auto q = protocol::Quote::from_json(json::parse(r.body));
            std::lock_guard lock(mutex_);
            crypto::CertificateRequest cr;
            cr.common_name = protocol::device_id(q.device_key).substr(0, 32);
            cr.role = crypto::CertificateRole::client;
            cr.serial = {static_cast<std::uint8_t>(0x10 + next_serial_++)};
            cr.not_before = now_s_() - 60;
            cr.not_after = now_s_() + certificate_lifetime_s.load();
            const auto cert = crypto::issue_certificate(cr, crypto::EcPublicKey::from_raw(ByteView(q.device_key)), ca_key_, &ca_cert_);
            ++certificates_;
            return {200, json{{"certificate", cert.pem()}, {"serial", cert.serial_hex()}, {"not_after", cert.not_after()}}.dump(), {}, false};
        } catch (const std::exception& e) {
            return error(400, e.what());
        }
    }
    if (!r.authenticated) return error(401, "client certificate required");
    if (r.method == "POST" && r.target == "/v1/updates/check") {
        std::lock_guard lock(mutex_);
        ++checks_;
        if (!manifest_) return error(404, "no deployment");
        return {200, json{{"manifest", manifest_->to_json()}}.dump(), {}, false};
    }
    if (r.method == "GET" && r.target.starts_with("/v1/images/")) {
        std::lock_guard lock(mutex_);
        ++image_requests_;
        auto it = images_.find(r.target.substr(11));
        if (it == images_.end()) return error(404, "no such image");
        const auto& img = it->second;
        std::uint64_t first = 0, last = img.size() - 1;
        if (auto range = r.headers.find("Range"); range != r.headers.end()) {
            if (std::sscanf(range->second.c_str(), "bytes=%lu-%lu", &first, &last) != 2 || first > last || last >= img.size())
                return error(416, "bad range");
        }
        std::string body(img.begin() + static_cast<std::ptrdiff_t>(first), img.begin() + static_cast<std::ptrdiff_t>(last + 1));
        body.append(extra_image_bytes.load(), 'X');
        return {206, body, {{"Content-Range", fmt::format("bytes {}-{}/{}", first, last, img.size())}}, false};
    }
    if (r.method == "POST" && r.target == "/v1/reports") {
        try {
            const auto j = json::parse(r.body);
            std::lock_guard lock(mutex_);
            ++uploads_;
            int accepted = 0;
            for (const auto& rep : j.at("reports")) {
                auto report = protocol::FailureReport::from_json(rep);
                accepted += reports_.emplace(report.seq, report).second;
            }
            if (drop_report_answers > 0) {
                --drop_report_answers;
                return {0, "", {}, true};
            }
            return {200, json{{"accepted", accepted}}.dump(), {}, false};
        } catch (const std::exception& e) {
            return error(400, e.what());
        }
    }
    return error(404, "not found");
}

}  // namespace svp::test

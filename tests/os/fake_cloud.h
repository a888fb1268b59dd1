// A test double of the cloud's device-facing side, in-process on a loopback port, with real
// TLS (Boost.Asio SSL) and real certificates: attestation (challenge, quote -> a device
// certificate from its own CA), update checks (a manifest the test signs), image downloads
// with Range, and failure reports stored once per sequence number. Knobs make it misbehave the
// way SCENARIOS U8 and C10 need. Built against common/protocol, the contract the real stub
// implements too; the end-to-end runs with the real stub come when both sides have landed.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <utility>  // before Asio: Boost 1.74 uses std::exchange without including <utility> in C++20

#include <boost/asio.hpp>

#include "common/crypto/x509.h"
#include "common/protocol/updates.h"

namespace svp::test {

class FakeCloud {
public:
    // `now_s` is the cloud's clock (tests pass the simulated one).
    explicit FakeCloud(std::function<std::int64_t()> now_s);
    ~FakeCloud();
    FakeCloud(const FakeCloud&) = delete;
    FakeCloud& operator=(const FakeCloud&) = delete;

    std::uint16_t port() const { return port_; }
    std::string roots_pem() const { return ca_cert_.pem(); }
    const crypto::EcPrivateKey& update_key() const { return update_key_; }

    // What /v1/updates/check answers (nothing set: 404).
    void publish(protocol::ManifestBody body);
    void publish_signed(protocol::SignedManifest m);
    // An image the device may download by its SHA-256; returns its manifest entry.
    protocol::ManifestImage add_image(const Bytes& image, std::uint16_t type, const std::string& component,
                                      const std::string& version, std::uint32_t counter);

    // Knobs.
    std::atomic<std::int64_t> certificate_lifetime_s{86400};
    std::atomic<std::size_t> extra_image_bytes{0};       // endless data: more than the range asked for
    std::atomic<int> drop_report_answers{0};             // store a report upload, then hang up unanswered

    // What happened.
    std::size_t certificates_issued() const;
    std::vector<protocol::FailureReport> reports() const;  // each sequence number once
    std::size_t report_uploads() const;                    // requests, duplicates included
    std::size_t image_requests() const;
    std::size_t update_checks() const;

private:
    struct Request {
        std::string method, target, body;
        std::map<std::string, std::string> headers;
        bool authenticated = false;
        std::string device_id;
    };
    struct Response {
        int status = 200;
        std::string body;
        std::vector<std::pair<std::string, std::string>> headers;
        bool hang_up = false;
    };
    void accept_loop();
    void serve(boost::asio::ip::tcp::socket socket);
    Response handle(const Request& r);

    std::function<std::int64_t()> now_s_;
    crypto::EcPrivateKey ca_key_, server_key_, update_key_;
    crypto::Certificate ca_cert_, server_cert_;
    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread accept_thread_;
    mutable std::mutex mutex_;
    std::vector<std::thread> workers_;
    std::optional<protocol::SignedManifest> manifest_;
    std::map<std::string, Bytes> images_;  // sha256 hex -> bytes
    std::map<std::uint64_t, protocol::FailureReport> reports_;
    std::size_t uploads_ = 0, image_requests_ = 0, checks_ = 0, certificates_ = 0;
    std::uint64_t next_serial_ = 1;
};

}  // namespace svp::test

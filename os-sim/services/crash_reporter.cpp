#include "os-sim/services/crash_reporter.h"

#include <fmt/format.h>

#include "os-sim/kernel/kernel.h"
#include "os-sim/services/networkd.h"

namespace svp::os {
namespace {

std::string seq_key(std::uint64_t seq) { return fmt::format("{}{:020}", CrashReporter::kQueuePrefix, seq); }

std::optional<std::uint64_t> parse_seq(const std::string& text) {
    if (text.empty() || text.size() > 20) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

}  // namespace

std::size_t CrashReporter::queued() const {
    return kernel_.storage_ready() ? kernel_.store().keys(kQueuePrefix).size() : 0;
}

std::uint64_t CrashReporter::next_seq() {
    if (!next_) {
        // After a reset: past both the stored counter and any report still queued.
        std::uint64_t n = 1;
        auto& store = kernel_.store();
        if (auto v = store.get(kNextSeqKey))
            if (auto s = parse_seq(std::string(v->begin(), v->end()))) n = std::max(n, *s);
        const auto keys = store.keys(kQueuePrefix);
        if (!keys.empty())
            if (auto s = parse_seq(keys.back().substr(std::string(kQueuePrefix).size()))) n = std::max(n, *s + 1);
        next_ = n;
    }
    return *next_;
}

bool CrashReporter::enqueue(protocol::FailureReport report) {
    if (!kernel_.storage_ready()) {
        kernel_.klog(fmt::format("crash-reporter: no storage; the report for {} is lost", report.app));
        return false;
    }
    auto& store = kernel_.store();
    report.seq = next_seq();
    auto keys = store.keys(kQueuePrefix);
    while (keys.size() >= kernel_.config().report_queue_max && !keys.empty()) {
        const auto oldest = keys.front();
        keys.erase(keys.begin());
        store.remove(oldest);
        kernel_.device().emit(ev::os_crash_dropped, {{"seq", oldest.substr(std::string(kQueuePrefix).size())}});
    }
    const auto body = report.to_json().dump();
    if (store.put(seq_key(report.seq), as_bytes(body)) < 0) {
        kernel_.klog(fmt::format("crash-reporter: could not write the report for {}", report.app));
        return false;
    }
    next_ = report.seq + 1;
    store.put(kNextSeqKey, as_bytes(std::to_string(*next_)));
    kernel_.device().emit(ev::os_crash_queued,
                          {{"app", report.app}, {"seq", report.seq}, {"kind", report.kind}, {"status", report.status}});
    queued_event_.notify(sc_core::SC_ZERO_TIME);
    return true;
}

bool CrashReporter::upload() {
    if (!kernel_.storage_ready()) return true;
    auto& store = kernel_.store();
    for (;;) {
        auto keys = store.keys(kQueuePrefix);
        if (keys.empty()) return true;
        if (keys.size() > kBatch) keys.resize(kBatch);
        nlohmann::json reports = nlohmann::json::array();
        std::vector<std::string> sent;
        for (const auto& key : keys) {
            auto v = store.get(key);
            auto j = v ? nlohmann::json::parse(v->begin(), v->end(), nullptr, false) : nlohmann::json();
            try {
                reports.push_back(protocol::FailureReport::from_json(j).to_json());
                sent.push_back(key);
            } catch (const sc_core::sc_unwind_exception&) {
                throw;  // the simulation is ending this thread: let it unwind
            } catch (const std::exception& e) {
                kernel_.klog("crash-reporter: dropping a malformed queued report: " + std::string(e.what()));
                store.remove(key);
            }
        }
        if (sent.empty()) continue;
        auto result = kernel_.networkd().cloud_post("/v1/reports", {{"reports", reports}}, /*authenticate=*/true);
        std::string failure;
        if (!result.response)
            failure = result.error;
        else if (result.response->status != 200)
            failure = fmt::format("HTTP {}", result.response->status);
        else if (!result.response->json().is_object() || !result.response->json().contains("accepted"))
            failure = "malformed answer";
        if (!failure.empty()) {
            kernel_.device().emit(ev::os_crash_upload_failed, {{"reason", failure}, {"queued", store.keys(kQueuePrefix).size()}});
            return false;
        }
        // Acknowledged: only now do the reports leave the flash.
        for (const auto& key : sent) store.remove(key);
        kernel_.device().emit(ev::os_crash_uploaded,
                              {{"count", sent.size()}, {"first_seq", sent.front().substr(std::string(kQueuePrefix).size())},
                               {"last_seq", sent.back().substr(std::string(kQueuePrefix).size())},
                               {"accepted", result.response->json().value("accepted", 0)}});
    }
}

int CrashReporter::run(Process&) {
    std::uint64_t retry_s = 60;
    for (;;) {
        if (queued() == 0) {
            kernel_.cpu().block_on(queued_event_);
            continue;
        }
        // Batch whatever else fails in the next moments into the same upload.
        kernel_.cpu().block_for(sc_core::sc_time(static_cast<double>(kernel_.config().report_upload_delay_s), sc_core::SC_SEC));
        if (upload()) {
            retry_s = 60;
        } else {
            kernel_.cpu().block_for(sc_core::sc_time(static_cast<double>(retry_s), sc_core::SC_SEC));
            retry_s = std::min<std::uint64_t>(retry_s * 2, 3600);
        }
    }
}

}  // namespace svp::os

#include "scenarios/engine/cloud_service.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cloud-stub/cloud_client.h"
#include "common/util/input_error.h"

namespace svp::scenario {

CloudService CloudService::start(const std::filesystem::path& spherevp, const std::filesystem::path& work_dir,
                                 std::uint64_t seed, const std::filesystem::path& sync_file,
                                 const std::vector<std::string>& defences_off) {
    CloudService c;
    c.events_file_ = work_dir / "cloud-events.jsonl";
    std::vector<std::string> args{spherevp.string(), "cloud", "serve", "--db", (work_dir / "cloud.db").string(),
                                  "--listen", "127.0.0.1:0", "--seed", std::to_string(seed), "--clock-file",
                                  sync_file.string(), "--events", c.events_file_.string()};
    for (const auto& d : defences_off) args.insert(args.end(), {"--defence-off", d});
    c.process_ = Subprocess::start(args, {true, (work_dir / "cloud.log").string()});
    // The service prints one JSON line once it listens (cloud-stub/README.md).
    auto line = c.process_->read_line(std::chrono::seconds(30));
    if (!line)
        throw std::runtime_error("the cloud stub did not start; see " + (work_dir / "cloud.log").string());
    auto ready = nlohmann::json::parse(*line, nullptr, false);
    if (ready.is_discarded() || !ready.contains("listening"))
        throw std::runtime_error("unexpected start-up line from the cloud stub: " + *line);
    const auto listening = ready["listening"].get<std::string>();
    c.port_ = static_cast<std::uint16_t>(std::stoi(listening.substr(listening.rfind(':') + 1)));
    c.service_ca_file_ = ready["service_ca"].get<std::string>();
    c.service_ca_pem_ = read_text_file(c.service_ca_file_);
    auto token = read_text_file(ready["admin_token_file"].get<std::string>());
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    c.admin_token_ = token;
    return c;
}

void CloudService::upload_image(const Bytes& image) {
    cloud::CloudClientOptions o;
    o.host = "127.0.0.1";
    o.port = port_;
    o.ca_pem = service_ca_pem_;
    o.bearer_token = admin_token_;
    cloud::CloudClient client(o);
    auto r = client.upload_image(image);
    if (!r.ok()) throw std::runtime_error(fmt::format("cloud refused an image upload: {} {}", r.status, r.body));
}

cloud::CloudResponse CloudService::request(bool as_admin, const std::string& method, const std::string& target,
                                           const nlohmann::json& body, std::int64_t service_unix_s) const {
    cloud::CloudClientOptions o;
    o.host = "127.0.0.1";
    o.port = port_;
    o.ca_pem = service_ca_pem_;
    if (as_admin) o.bearer_token = admin_token_;
    o.verify_time = [service_unix_s] { return service_unix_s; };
    cloud::CloudClient client(o);
    return client.request(method, target, body.is_null() ? std::string() : body.dump());
}

std::vector<Event> CloudService::stop_and_collect_events() {
    if (process_) process_->stop();
    std::vector<Event> events;
    std::string text;
    try {
        text = read_text_file(events_file_);
    } catch (const InputError&) {
        return events;  // it wrote none
    }
    std::size_t line_no = 0, start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        ++line_no;
        if (end > start)
            events.push_back(Event::from_json_line(std::string_view(text).substr(start, end - start),
                                                   fmt::format("{}:{}", events_file_.string(), line_no)));
        start = end + 1;
    }
    return events;
}

}  // namespace svp::scenario

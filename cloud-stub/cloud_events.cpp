#include "cloud-stub/cloud_events.h"

#include <cerrno>
#include <cstring>

#include "common/util/input_error.h"
#include "common/util/log.h"

namespace svp::cloud {

CloudEventLog::CloudEventLog(const ServiceClock& clock, const std::optional<std::filesystem::path>& file)
    : clock_(clock), file_(nullptr, std::fclose) {
    if (!file) return;
    file_.reset(std::fopen(file->c_str(), "ae"));
    if (!file_) throw InputError(file->string(), 0, std::string("cannot open event log: ") + std::strerror(errno));
}

void CloudEventLog::emit(const EventType& type, Fields fields) {
    Event e{clock_.event_time_ns(), "cloud", std::string(type.src), std::string(type.name), std::move(fields)};
    auto line = e.to_json_line();
    log::get(std::string(type.src))->info("{} {}", type.name, e.fields.dump());
    if (!file_) return;
    line.push_back('\n');
    if (std::fwrite(line.data(), 1, line.size(), file_.get()) != line.size() || std::fflush(file_.get()) != 0)
        throw std::runtime_error("event log: write failed: " + std::string(std::strerror(errno)));
}

}  // namespace svp::cloud

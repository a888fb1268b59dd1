#include "cloud-stub/service_clock.h"

namespace svp::cloud {

ServiceClock ServiceClock::wall() { return ServiceClock(); }

ServiceClock ServiceClock::from_file(const std::filesystem::path& clock_file) {
    ServiceClock clock;
    clock.file_ = std::make_shared<ClockFileReader>(clock_file);
    return clock;
}

std::int64_t ServiceClock::now_unix_ns() const {
    if (file_) return file_->read().unix_ns();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::uint64_t ServiceClock::event_time_ns() const {
    if (file_) return file_->read().sim_ns;
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started_).count());
}

}  // namespace svp::cloud

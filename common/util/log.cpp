#include "common/util/log.h"

#include <mutex>
#include <unordered_map>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "common/util/input_error.h"

namespace svp::log {
namespace {

std::mutex g_mutex;
std::function<std::uint64_t()> g_now = [] { return std::uint64_t{0}; };
spdlog::level::level_enum g_level = spdlog::level::warn;
std::shared_ptr<spdlog::sinks::sink> g_sink;

class TimeFlag : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
        auto ns = g_now();
        auto text = fmt::format("{:>4}.{:09} s", ns / 1'000'000'000ULL, ns % 1'000'000'000ULL);
        dest.append(text.data(), text.data() + text.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<TimeFlag>(); }
};

std::shared_ptr<spdlog::sinks::sink> sink_locked() {
    if (!g_sink) {
        g_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<TimeFlag>('*').set_pattern("[%*] [%n] [%l] %v");
        g_sink->set_formatter(std::move(formatter));
    }
    return g_sink;
}

}  // namespace

spdlog::level::level_enum parse_level(std::string_view text) {
    static const std::pair<std::string_view, spdlog::level::level_enum> names[] = {
        {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
        {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
        {"error", spdlog::level::err},   {"off", spdlog::level::off}};
    for (auto& [name, level] : names)
        if (name == text) return level;
    throw InputError("--log-level: unknown level '" + std::string(text) +
                     "' (expected trace, debug, info, warn, error or off)");
}

void setup(spdlog::level::level_enum level) {
    std::lock_guard lock(g_mutex);
    g_level = level;
    sink_locked();
    spdlog::apply_all([&](std::shared_ptr<spdlog::logger> l) { l->set_level(level); });
}

void set_time_source(std::function<std::uint64_t()> now_ns) {
    std::lock_guard lock(g_mutex);
    g_now = std::move(now_ns);
}

std::shared_ptr<spdlog::logger> get(const std::string& component) {
    std::lock_guard lock(g_mutex);
    if (auto existing = spdlog::get(component)) return existing;
    auto logger = std::make_shared<spdlog::logger>(component, sink_locked());
    logger->set_level(g_level);
    spdlog::register_logger(logger);
    return logger;
}

}  // namespace svp::log

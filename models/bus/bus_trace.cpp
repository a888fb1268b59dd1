#include "models/bus/bus_trace.h"

#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/util/input_error.h"

namespace svp {
namespace {

std::string status_name(tlm::tlm_response_status s) {
    switch (s) {
    case tlm::TLM_OK_RESPONSE: return "ok";
    case tlm::TLM_ADDRESS_ERROR_RESPONSE: return "address-error";
    case tlm::TLM_COMMAND_ERROR_RESPONSE: return "command-error";
    case tlm::TLM_GENERIC_ERROR_RESPONSE: return "refused";  // the firewall's answer
    case tlm::TLM_BURST_ERROR_RESPONSE: return "burst-error";
    case tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE: return "byte-enable-error";
    default: return "incomplete";
    }
}

std::uint64_t ps(sc_core::sc_time t) { return t.value() / sc_core::sc_time(1, sc_core::SC_PS).value(); }

std::uint64_t parse_address(const std::string& text, const std::string& spec) {
    try {
        std::size_t used = 0;
        const auto v = std::stoull(text, &used, 0);
        if (used == text.size()) return v;
    } catch (const std::exception&) {
    }
    throw InputError(fmt::format("--trace-filter {}: '{}' is not an address (like 0x38000000)", spec, text));
}

}  // namespace

bool BusTraceFilter::accepts(std::string_view initiator, std::uint64_t address) const {
    if (!initiators.empty() && !initiators.count(std::string(initiator))) return false;
    if (ranges.empty()) return true;
    for (const auto& [first, last] : ranges)
        if (address >= first && address <= last) return true;
    return false;
}

void add_bus_trace_filter(BusTraceFilter& filter, const std::string& spec) {
    const auto eq = spec.find('=');
    const std::string key = spec.substr(0, eq), value = eq == std::string::npos ? "" : spec.substr(eq + 1);
    if (eq == std::string::npos || value.empty())
        throw InputError("--trace-filter '" + spec + "': expected initiator=NAME[,NAME] or range=FIRST-LAST");
    if (key == "initiator") {
        std::size_t at = 0;
        while (at <= value.size()) {
            const auto comma = value.find(',', at);
            const auto name = value.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
            if (name.empty()) throw InputError("--trace-filter '" + spec + "': an empty initiator name");
            filter.initiators.insert(name);
            if (comma == std::string::npos) break;
            at = comma + 1;
        }
    } else if (key == "range") {
        const auto dash = value.find('-');
        if (dash == std::string::npos) throw InputError("--trace-filter '" + spec + "': expected range=FIRST-LAST");
        const auto first = parse_address(value.substr(0, dash), spec), last = parse_address(value.substr(dash + 1), spec);
        if (last < first) throw InputError("--trace-filter '" + spec + "': the range ends before it starts");
        filter.ranges.emplace_back(first, last);
    } else {
        throw InputError("--trace-filter '" + spec + "': unknown key '" + key + "' (expected initiator or range)");
    }
}

BusTrace::Format BusTrace::format_for(const std::string& path) {
    return path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0 ? Format::chrome : Format::json_lines;
}

BusTrace::BusTrace(const std::string& path, Format format, BusTraceFilter filter, std::vector<std::string> initiators)
    : out_(path, std::ios::trunc), format_(format), filter_(std::move(filter)), initiators_(std::move(initiators)) {
    if (!out_) throw std::runtime_error(path + ": cannot open the bus trace for writing");
    if (format_ == Format::chrome) {
        out_ << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
        // One named track per initiator.
        out_ << R"({"name":"process_name","ph":"M","pid":1,"args":{"name":"bus"}})";
        for (std::size_t i = 0; i < initiators_.size(); ++i)
            out_ << ",\n"
                 << nlohmann::json{{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", i}, {"args", {{"name", initiators_[i]}}}}.dump();
    }
}

BusTrace::~BusTrace() {
    if (format_ == Format::chrome) out_ << "\n]}\n";
}

void BusTrace::attach(Router& router) {
    router.add_observer([this](const BusRegion* region, const tlm::tlm_generic_payload& tx, sc_core::sc_time start,
                               sc_core::sc_time duration) { record(region, tx, start, duration); });
}

void BusTrace::record(const BusRegion* region, const tlm::tlm_generic_payload& tx, sc_core::sc_time start,
                      sc_core::sc_time duration) {
    const auto who = initiator_name(tx);
    if (!filter_.accepts(who, tx.get_address())) return;
    ++recorded_;
    const std::string cmd = tx.is_read() ? "read" : tx.is_write() ? "write" : "ignore";
    const std::string where = region ? region->name : "unmapped";
    const auto address = fmt::format("0x{:08x}", tx.get_address());
    if (format_ == Format::json_lines) {
        nlohmann::ordered_json j;
        j["t_ps"] = ps(start);
        j["dur_ps"] = ps(duration);
        j["initiator"] = std::string(who);
        j["cmd"] = cmd;
        j["addr"] = address;
        j["len"] = tx.get_data_length();
        j["region"] = where;
        j["status"] = status_name(tx.get_response_status());
        out_ << j.dump() << '\n';
    } else {
        const auto* ext = initiator_of(tx);
        nlohmann::ordered_json j;
        j["name"] = cmd + " " + where;
        j["cat"] = "bus";
        j["ph"] = "X";
        j["ts"] = static_cast<double>(ps(start)) / 1e6;  // microseconds
        j["dur"] = static_cast<double>(ps(duration)) / 1e6;
        j["pid"] = 1;
        j["tid"] = ext ? ext->id : 0xFFFF;
        j["args"] = {{"addr", address}, {"len", tx.get_data_length()}, {"status", status_name(tx.get_response_status())}};
        out_ << ",\n" << j.dump();
    }
}

}  // namespace svp

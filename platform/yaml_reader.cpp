#include "platform/yaml_reader.h"

#include <cmath>

#include <fmt/format.h>

namespace svp::yaml {

int line_of(const YAML::Node& node) {
    const auto mark = node.Mark();
    return mark.line >= 0 ? mark.line + 1 : 0;
}

YAML::Node load_file(const std::string& path) {
    try {
        return YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
        throw InputError(path, 0, "cannot open file");
    } catch (const YAML::ParserException& e) {
        throw InputError(path, e.mark.line + 1, "YAML syntax: " + e.msg);
    }
}

YAML::Node load_string(const std::string& text, const std::string& name) {
    try {
        return YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        throw InputError(name, e.mark.line + 1, "YAML syntax: " + e.msg);
    }
}

Map::Map(const YAML::Node& node, std::string file, std::string what)
    : node_(node), file_(std::move(file)), what_(std::move(what)) {
    if (!node_ || !node_.IsMap())
        throw InputError(file_, line_of(node_), what_ + ": expected a mapping (key: value lines)");
}

void Map::fail(const std::string& key, const std::string& message) const {
    auto n = node_[key];
    throw InputError(file_, n ? line_of(n) : line_of(node_), fmt::format("{}: {}: {}", what_, key, message));
}

void Map::fail_here(const std::string& message) const {
    throw InputError(file_, line_of(node_), fmt::format("{}: {}", what_, message));
}

bool Map::has(const std::string& key) const { return static_cast<bool>(node_[key]); }

YAML::Node Map::node(const std::string& key) const {
    auto n = node_[key];
    if (!n) fail_here(fmt::format("missing required key '{}'", key));
    return n;
}

std::optional<YAML::Node> Map::optional(const std::string& key) const {
    auto n = node_[key];
    if (!n) return std::nullopt;
    return n;
}

std::string Map::str(const std::string& key) const {
    auto n = node(key);
    if (!n.IsScalar()) fail(key, "expected a single value");
    return n.as<std::string>();
}

std::string Map::str(const std::string& key, const std::string& fallback) const {
    return has(key) ? str(key) : fallback;
}

std::uint64_t parse_u64(const YAML::Node& n, const std::string& file, const std::string& what) {
    if (!n.IsScalar()) throw InputError(file, line_of(n), what + ": expected a number");
    const auto text = n.as<std::string>();
    try {
        std::size_t used = 0;
        const auto v = std::stoull(text, &used, 0);
        if (used == text.size() && !text.empty() && text[0] != '-') return v;
    } catch (const std::exception&) {
    }
    throw InputError(file, line_of(n), fmt::format("{}: '{}' is not a non-negative integer", what, text));
}

std::uint64_t parse_size(const YAML::Node& n, const std::string& file, const std::string& what) {
    if (!n.IsScalar()) throw InputError(file, line_of(n), what + ": expected a size");
    const auto text = n.as<std::string>();
    static const std::pair<const char*, std::uint64_t> units[] = {
        {"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}, {"B", 1}};
    for (auto [suffix, scale] : units) {
        const std::string s = suffix;
        if (text.size() > s.size() && text.compare(text.size() - s.size(), s.size(), s) == 0) {
            YAML::Node number(text.substr(0, text.size() - s.size()));
            try {
                std::size_t used = 0;
                const auto digits = text.substr(0, text.size() - s.size());
                const auto v = std::stoull(digits, &used, 0);
                if (used == digits.size()) return v * scale;
            } catch (const std::exception&) {
            }
            throw InputError(file, line_of(n), fmt::format("{}: '{}' is not a size (like 4096, 0x1000, 4KiB, 16MiB)", what, text));
        }
    }
    try {
        return parse_u64(n, file, what);
    } catch (const InputError&) {
        throw InputError(file, line_of(n), fmt::format("{}: '{}' is not a size (like 4096, 0x1000, 4KiB, 16MiB)", what, text));
    }
}

std::uint64_t parse_duration_ns(const YAML::Node& n, const std::string& file, const std::string& what) {
    if (!n.IsScalar()) throw InputError(file, line_of(n), what + ": expected a duration");
    const auto text = n.as<std::string>();
    static const std::pair<const char*, double> units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"min", 60e9},
                                                           {"s", 1e9}, {"h", 3600e9}, {"d", 86400e9}};
    for (auto [suffix, scale] : units) {
        const std::string s = suffix;
        if (text.size() > s.size() && text.compare(text.size() - s.size(), s.size(), s) == 0) {
            const auto digits = text.substr(0, text.size() - s.size());
            try {
                std::size_t used = 0;
                const double v = std::stod(digits, &used);
                if (used == digits.size() && v >= 0 && std::isfinite(v))
                    return static_cast<std::uint64_t>(std::llround(v * scale));
            } catch (const std::exception&) {
            }
            break;
        }
    }
    throw InputError(file, line_of(n), fmt::format("{}: '{}' is not a duration (like 250ms, 10s, 24h)", what, text));
}

std::string format_duration_ns(std::uint64_t ns) {
    if (ns >= 3600'000'000'000ull && ns % 60'000'000'000ull == 0) return fmt::format("{:.2f} h", ns / 3600e9);
    if (ns >= 1'000'000'000ull) return fmt::format("{:.3f} s", ns / 1e9);
    if (ns >= 1'000'000ull) return fmt::format("{:.3f} ms", ns / 1e6);
    if (ns >= 1'000ull) return fmt::format("{:.3f} us", ns / 1e3);
    return fmt::format("{} ns", ns);
}

std::uint64_t Map::u64(const std::string& key) const { return parse_u64(node(key), file_, what_ + ": " + key); }
std::uint64_t Map::u64(const std::string& key, std::uint64_t fallback) const { return has(key) ? u64(key) : fallback; }
std::uint64_t Map::size(const std::string& key) const { return parse_size(node(key), file_, what_ + ": " + key); }
std::uint64_t Map::size(const std::string& key, std::uint64_t fallback) const { return has(key) ? size(key) : fallback; }

double Map::number(const std::string& key) const {
    auto n = node(key);
    if (n.IsScalar()) {
        const auto text = n.as<std::string>();
        try {
            std::size_t used = 0;
            const double v = std::stod(text, &used);
            if (used == text.size() && std::isfinite(v)) return v;
        } catch (const std::exception&) {
        }
    }
    fail(key, "expected a number");
}

double Map::number(const std::string& key, double fallback) const { return has(key) ? number(key) : fallback; }

bool Map::boolean(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    auto n = node(key);
    if (n.IsScalar()) {
        const auto text = n.as<std::string>();
        if (text == "true" || text == "yes" || text == "on") return true;
        if (text == "false" || text == "no" || text == "off") return false;
    }
    fail(key, "expected true or false");
}

std::vector<std::string> Map::strings(const std::string& key) const {
    std::vector<std::string> out;
    if (!has(key)) return out;
    auto n = node(key);
    if (n.IsScalar()) return {n.as<std::string>()};
    if (!n.IsSequence()) fail(key, "expected a list");
    for (const auto& item : n) {
        if (!item.IsScalar()) throw InputError(file_, line_of(item), what_ + ": " + key + ": expected a list of names");
        out.push_back(item.as<std::string>());
    }
    return out;
}

void Map::only(std::initializer_list<const char*> allowed) const {
    for (const auto& kv : node_) {
        const auto key = kv.first.as<std::string>();
        bool ok = false;
        for (const char* a : allowed) ok = ok || key == a;
        if (!ok) {
            std::string list;
            for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
            throw InputError(file_, line_of(kv.first),
                             fmt::format("{}: unknown key '{}' (expected one of: {})", what_, key, list));
        }
    }
}

}  // namespace svp::yaml

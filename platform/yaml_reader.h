// Reading YAML that people write: every value is fetched through these helpers, which know
// the file name and turn any problem into `file:line: what is wrong` (rule 4 of the design).
// Mappings are strict: a key the reader does not expect is an error, so a typo never passes
// silently as a default.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/util/input_error.h"

namespace svp::yaml {

// Parses a file; a syntax error becomes an InputError at its line.
YAML::Node load_file(const std::string& path);
YAML::Node load_string(const std::string& text, const std::string& name);

int line_of(const YAML::Node& node);  // 1-based; 0 when unknown

class Map {
public:
    // `node` must be a mapping; `what` names it in errors ("core 'a7'").
    Map(const YAML::Node& node, std::string file, std::string what);
    ~Map() = default;

    bool has(const std::string& key) const;
    YAML::Node node(const std::string& key) const;           // required
    std::optional<YAML::Node> optional(const std::string& key) const;

    std::string str(const std::string& key) const;
    std::string str(const std::string& key, const std::string& fallback) const;
    std::uint64_t u64(const std::string& key) const;          // decimal or 0x hex
    std::uint64_t u64(const std::string& key, std::uint64_t fallback) const;
    std::uint64_t size(const std::string& key) const;         // 4096, 0x1000, 4KiB, 16MiB
    std::uint64_t size(const std::string& key, std::uint64_t fallback) const;
    double number(const std::string& key) const;
    double number(const std::string& key, double fallback) const;
    bool boolean(const std::string& key, bool fallback) const;
    std::vector<std::string> strings(const std::string& key) const;  // a sequence of scalars (or [])

    // Throws for the first key not in `allowed`.
    void only(std::initializer_list<const char*> allowed) const;

    [[noreturn]] void fail(const std::string& key, const std::string& message) const;
    [[noreturn]] void fail_here(const std::string& message) const;
    const std::string& file() const { return file_; }
    int line() const { return line_of(node_); }
    const YAML::Node& raw() const { return node_; }

private:
    YAML::Node node_;
    std::string file_, what_;
};

// Scalar conversions with the same error style, for values outside a Map.
std::uint64_t parse_u64(const YAML::Node& n, const std::string& file, const std::string& what);
std::uint64_t parse_size(const YAML::Node& n, const std::string& file, const std::string& what);
// "10s", "250ms", "3us", "5ns", "24h", "1.5min" -> nanoseconds.
std::uint64_t parse_duration_ns(const YAML::Node& n, const std::string& file, const std::string& what);
std::string format_duration_ns(std::uint64_t ns);

}  // namespace svp::yaml

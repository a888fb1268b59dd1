#include "scenarios/engine/scenario.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "common/defences/defences.h"
#include "common/events/event.h"
#include "common/image/image_format.h"
#include "models/cpu/armv7m/elf_loader.h"
#include "models/security/fault_injection.h"
#include "platform/variant.h"
#include "platform/yaml_reader.h"

namespace svp::scenario {
namespace {

using yaml::Map;

nlohmann::json to_json(const YAML::Node& n) {
    if (n.IsMap()) {
        auto j = nlohmann::json::object();
        for (const auto& kv : n) j[kv.first.as<std::string>()] = to_json(kv.second);
        return j;
    }
    if (n.IsSequence()) {
        auto j = nlohmann::json::array();
        for (const auto& x : n) j.push_back(to_json(x));
        return j;
    }
    if (n.IsNull()) return nullptr;
    const auto s = n.as<std::string>();
    if (n.Tag() == "!") return s;  // quoted: keep text
    if (s == "true") return true;
    if (s == "false") return false;
    try {
        std::size_t used = 0;
        long long v = std::stoll(s, &used, 10);
        if (used == s.size()) return v;
    } catch (const std::exception&) {
    }
    return s;
}

std::int64_t parse_epoch(const Map& m, const std::string& key) {
    const auto text = m.str(key);
    std::tm tm{};
    const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end != '\0') m.fail(key, "'" + text + "' is not a UTC time like 2026-01-01T00:00:00Z");
    return static_cast<std::int64_t>(timegm(&tm));
}

std::pair<std::string, std::string> split_event(const Map& m, const std::string& key, const std::string& text) {
    const auto slash = text.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == text.size())
        m.fail(key, "'" + text + "' is not SRC/EVENT (like sec.boot/image.rejected); `spherevp events` lists them");
    auto src = text.substr(0, slash), ev = text.substr(slash + 1);
    for (const auto& t : all_event_types())
        if (t.src == src && t.name == ev) return {src, ev};
    m.fail(key, "no event type '" + text + "'; `spherevp events` lists them");
}

const std::string_view kFaultPoints[] = {
    fault_point::image_type, fault_point::product, fault_point::fits_slot, fault_point::development,
    fault_point::signer, fault_point::signature, fault_point::rollback, fault_point::signature_recheck,
    fault_point::rollback_recheck, fault_point::counter_read};

bool known_fault_point(const std::string& p) {
    return std::find(std::begin(kFaultPoints), std::end(kFaultPoints), p) != std::end(kFaultPoints);
}

std::string fault_point_list() {
    std::string out;
    for (auto p : kFaultPoints) out += (out.empty() ? "" : ", ") + std::string(p);
    return out;
}

}  // namespace

std::string Expectation::describe() const {
    std::string where_text;
    for (const auto& [k, v] : where) where_text += fmt::format("{}{}={}", where_text.empty() ? " where " : ", ", k, v);
    if (kind == Kind::state) {
        std::string p;
        for (const auto& [k, v] : params) p += fmt::format(" {}={}", k, v);
        return "state " + state + p + " at the end";
    }
    if (kind == Kind::occurs)
        return fmt::format("{}/{}{} {}", src, ev, where_text,
                           within_ns ? "within " + yaml::format_duration_ns(within_ns) : "by the end");
    return fmt::format("never {}/{}{}{}", src, ev, where_text,
                       for_ns ? " for " + yaml::format_duration_ns(for_ns) : "");
}

const ImageSpec& Scenario::image(const std::string& n) const {
    for (const auto& i : images)
        if (i.name == n) return i;
    throw InputError(file, 0, "no image named '" + n + "'");
}

namespace {

// A name a scenario refers to (an image's key, a flashed image...), checked once every file
// has been read: a fragment may name what the including scenario defines, and vice versa.
struct Reference {
    enum class Kind { key, image } kind;
    std::string name, what, file;
    int line = 0;
};

// Text substitution of `${name}` in a fragment, before it is parsed, so lines stay where they
// were. Every `${...}` must be a declared parameter.
std::string substitute(const std::string& text, const std::map<std::string, std::string>& values, const std::string& file) {
    std::string out;
    std::size_t at = 0;
    while (true) {
        const auto open = text.find("${", at);
        if (open == std::string::npos) break;
        const auto close = text.find('}', open);
        const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(open), '\n'));
        if (close == std::string::npos) throw InputError(file, line, "unterminated '${' (write ${name})");
        const auto name = text.substr(open + 2, close - open - 2);
        auto v = values.find(name);
        if (v == values.end()) throw InputError(file, line, "'${" + name + "}' is not a parameter of this fragment (declare it under params:)");
        out += text.substr(at, open - at) + v->second;
        at = close + 1;
    }
    return out + text.substr(at);
}

class Loader {
public:
    explicit Loader(Scenario& s) : s_(s) {}

    // The scenario file itself: its own keys override what its fragments set.
    void scenario_file(const std::string& path) {
        Map top(yaml::load_file(path), path, "scenario");
        top.only({"include", "name", "summary", "tags", "defences", "variant", "seed", "epoch", "duration", "devices", "cloud", "product", "keys",
                  "images", "device", "timeline", "expect"});
        stack_.push_back(std::filesystem::weakly_canonical(path).string());
        includes(top);
        apply(top);
        stack_.pop_back();
        finish(top);
    }

private:
    void includes(const Map& top) {
        auto list = top.optional("include");
        if (!list) return;
        if (!list->IsSequence()) top.fail("include", "expected a list of fragment files (or {file:, with:} entries)");
        for (const auto& entry : *list) {
            std::string file;
            std::map<std::string, std::string> with;
            std::map<std::string, int> with_lines;
            const int line = yaml::line_of(entry);
            if (entry.IsScalar()) {
                file = entry.as<std::string>();
            } else {
                Map m(entry, top.file(), "include");
                m.only({"file", "with"});
                file = m.str("file");
                if (auto w = m.optional("with")) {
                    Map wm(*w, top.file(), "include: with");
                    for (const auto& kv : wm.raw()) {
                        const auto k = kv.first.as<std::string>();
                        if (!kv.second.IsScalar()) wm.fail(k, "a parameter is a single value");
                        with[k] = kv.second.as<std::string>();
                        with_lines[k] = yaml::line_of(kv.first);
                        if (with[k].find('\n') != std::string::npos) wm.fail(k, "a parameter value is one line");
                    }
                }
            }
            const auto resolved = (std::filesystem::path(top.file()).parent_path() / file).lexically_normal().string();
            if (!std::filesystem::exists(resolved)) throw InputError(top.file(), line, "include: no such fragment: " + resolved);
            const auto canonical = std::filesystem::weakly_canonical(resolved).string();
            if (std::find(stack_.begin(), stack_.end(), canonical) != stack_.end())
                throw InputError(top.file(), line, "include: " + resolved + " includes itself (through this file)");
            if (stack_.size() > 8) throw InputError(top.file(), line, "include: fragments nested deeper than 8");
            fragment(resolved, canonical, with, with_lines, top.file(), line);
        }
    }

    void fragment(const std::string& path, const std::string& canonical, const std::map<std::string, std::string>& with,
                  const std::map<std::string, int>& with_lines, const std::string& from, int from_line) {
        const auto text = read_text_file(path);
        // First pass: the declared parameters and their defaults (placeholders stand in for values).
        std::map<std::string, std::string> placeholders;
        {
            std::size_t at = 0;
            while ((at = text.find("${", at)) != std::string::npos) {
                const auto close = text.find('}', at);
                if (close == std::string::npos) break;
                placeholders[text.substr(at + 2, close - at - 2)] = "0";
                at = close;
            }
        }
        std::map<std::string, std::string> values;
        std::set<std::string> required;
        {
            Map probe(yaml::load_string(substitute(text, placeholders, path), path), path, "fragment");
            if (auto params = probe.optional("params")) {
                Map pm(*params, path, "params");
                for (const auto& kv : pm.raw()) {
                    const auto k = kv.first.as<std::string>();
                    if (kv.second.IsNull()) values[k];  // declared; must be given
                    else if (kv.second.IsScalar()) values[k] = kv.second.as<std::string>();
                    else pm.fail(k, "a default is a single value (or empty: must be given)");
                    if (kv.second.IsNull()) required.insert(k);
                }
            }
        }
        for (const auto& [k, v] : with) {
            if (!values.count(k))
                throw InputError(from, with_lines.at(k), "include: " + path + " has no parameter '" + k + "'" + param_list(values));
            values[k] = v;
            required.erase(k);
        }
        for (const auto& k : required)
            throw InputError(from, from_line, "include: " + path + " needs a value for '" + k + "' (with: {" + k + ": ...})");
        Map top(yaml::load_string(substitute(text, values, path), path), path, "fragment");
        top.only({"params", "include", "summary", "tags", "defences", "variant", "seed", "epoch", "duration", "cloud", "product", "keys", "images",
                  "device", "timeline", "expect"});
        s_.includes.push_back(path);
        stack_.push_back(canonical);
        includes(top);
        apply(top);
        stack_.pop_back();
    }

    static std::string param_list(const std::map<std::string, std::string>& values) {
        std::string out;
        for (const auto& [k, v] : values) out += (out.empty() ? " (it has: " : ", ") + k;
        return out.empty() ? " (it has none)" : out + ")";
    }

    void apply(const Map& top);
    void finish(const Map& top);

    Scenario& s_;
    std::vector<std::string> stack_;
    std::vector<Reference> refs_;
    std::optional<std::pair<std::string, int>> duration_from_, product_from_;
    bool has_images_ = false, has_device_ = false;
};

void Loader::apply(const Map& top) {
    Scenario& s = s_;
    const std::string& path = top.file();
    if (top.has("name")) s.name = top.str("name");
    s.summary = top.str("summary", s.summary);
    for (const auto& t : top.strings("tags"))
        if (std::find(s.tags.begin(), s.tags.end(), t) == s.tags.end()) s.tags.push_back(t);
    for (const auto& d : top.strings("defences")) {
        if (!known_defence(d)) top.fail("defences", "no defence '" + d + "' (known: " + defence_names() + ")");
        if (std::find(s.defences.begin(), s.defences.end(), d) == s.defences.end()) s.defences.push_back(d);
    }
    s.variant = top.str("variant", s.variant);
    s.seed = top.u64("seed", s.seed);
    if (top.has("epoch")) s.epoch_unix_s = parse_epoch(top, "epoch");
    if (top.has("duration")) {
        s.duration_ns = yaml::parse_duration_ns(top.node("duration"), path, "scenario: duration");
        if (s.duration_ns == 0) top.fail("duration", "must be longer than 0");
        duration_from_ = {path, yaml::line_of(top.node("duration"))};
    }
    if (top.has("devices")) {
        s.devices = static_cast<int>(top.u64("devices", 1));
        if (s.devices != 1) top.fail("devices", "this build simulates exactly one device per scenario");
    }
    if (top.has("product")) {
        s.product = top.str("product");
        image::guid_from_string(s.product, fmt::format("{}:{}: product", path, yaml::line_of(top.node("product"))));
        product_from_ = {path, yaml::line_of(top.node("product"))};
    }

    if (auto cloud = top.optional("cloud")) {
        if (cloud->IsScalar() && cloud->as<std::string>() == "none") {
            s.cloud = false;
        } else {
            Map c(*cloud, path, "cloud");
            c.only({"known_good"});
            s.cloud = true;
            for (const auto& n : c.strings("known_good")) {
                if (std::find(s.cloud_known_good.begin(), s.cloud_known_good.end(), n) == s.cloud_known_good.end())
                    s.cloud_known_good.push_back(n);
                refs_.push_back({Reference::Kind::image, n, "cloud: known_good", path, yaml::line_of(c.node("known_good"))});
            }
        }
    }

    if (auto keys = top.optional("keys")) {
        Map km(*keys, path, "keys");
        for (const auto& kv : km.raw()) {
            KeySpec k;
            k.name = kv.first.as<std::string>();
            k.line = yaml::line_of(kv.first);
            if (!kv.second.IsNull()) {
                Map m(kv.second, path, "key '" + k.name + "'");
                m.only({"file"});
                if (m.has("file")) {
                    k.file = (std::filesystem::path(path).parent_path() / m.str("file")).string();
                    if (!std::filesystem::exists(k.file)) m.fail("file", "no such file: " + k.file);
                }
            }
            auto same = std::find_if(s.keys.begin(), s.keys.end(), [&](const KeySpec& x) { return x.name == k.name; });
            if (same != s.keys.end()) *same = k;  // the including file's definition wins
            else s.keys.push_back(k);
        }
    }

    auto add_image = [&](const ImageSpec& i) {
        auto same = std::find_if(s.images.begin(), s.images.end(), [&](const ImageSpec& x) { return x.name == i.name; });
        if (same != s.images.end()) *same = i;  // the including file's definition wins
        else s.images.push_back(i);
    };
    if (auto images_node = top.optional("images")) {
        has_images_ = true;
        Map images(*images_node, path, "images");
        for (const auto& kv : images.raw()) {
            ImageSpec i;
            i.name = kv.first.as<std::string>();
            Map m(kv.second, path, "image '" + i.name + "'");
            i.line = m.line();
            i.source = path;
            if (m.has("file")) {
                // A ready-made image, as `spherevp image pack` + `sign` produce it.
                m.only({"file"});
                i.file = (std::filesystem::path(path).parent_path() / m.str("file")).string();
                if (!std::filesystem::exists(i.file)) m.fail("file", "no such file: " + i.file);
                add_image(i);
                continue;
            }
            m.only({"type", "component", "version", "counter", "key", "development", "payload", "payload_size", "os_config",
                    "manifest", "product", "load_address", "entry_point", "elf"});
            i.type = m.str("type");
            if (!image::image_type_from_string(i.type)) m.fail("type", "unknown image type '" + i.type + "'");
            i.component = m.str("component");
            image::guid_from_string(i.component, fmt::format("{}:{}: image '{}': component", path, m.line(), i.name));
            i.version = m.str("version", i.version);
            try {
                image::version_from_string(i.version);
            } catch (const InputError& e) {
                m.fail("version", e.message());
            }
            i.counter = static_cast<std::uint32_t>(m.u64("counter", 0));
            i.key = m.str("key");
            refs_.push_back({Reference::Kind::key, i.key, "image '" + i.name + "': key", path, yaml::line_of(m.node("key"))});
            i.development = m.boolean("development", false);
            i.payload_text = m.str("payload", "");
            i.payload_size = m.size("payload_size", 0);
            i.os_config = m.boolean("os_config", false);
            i.product = m.str("product", s.product);
            i.load_address = static_cast<std::uint32_t>(m.u64("load_address", 0));
            i.entry_point = static_cast<std::uint32_t>(m.u64("entry_point", 0));
            if (auto man = m.optional("manifest")) i.manifest = to_json(*man);
            if (i.type == "application" && !i.manifest.is_object()) m.fail_here("an application image needs a manifest");
            if (m.has("elf")) {
                // Real-time firmware: the payload is a cross-compiled ELF ("${firmware}/..." is
                // the build's firmware folder); it must exist and be an ARM ELF now, not at run time.
                if (i.type != "rt-firmware") m.fail("elf", "only an rt-firmware image takes an ELF payload");
                if (m.has("payload") || i.os_config) m.fail("elf", "give either elf: or payload:/os_config:, not both");
                i.elf = resolve_firmware_path(m.str("elf"), std::filesystem::path(path).parent_path()).string();
                if (!std::filesystem::exists(i.elf))
                    m.fail("elf", "no such file: " + i.elf + " (build the firmware: cmake --build --preset release; "
                                  "SPHEREVP_FIRMWARE_DIR overrides where ${firmware} points)");
                try {
                    armv7m::read_elf(i.elf);
                } catch (const InputError& e) {
                    m.fail("elf", e.what());
                }
            }
            if (i.type == "rt-firmware" && i.elf.empty()) m.fail_here("an rt-firmware image needs elf: (the firmware to run)");
            if (i.type == "rt-firmware" && (!i.manifest.is_object() || !i.manifest.contains("core")))
                m.fail_here("an rt-firmware image needs manifest: {name: ..., core: rt0} (the core it runs on)");
            add_image(i);
        }
    }

    if (auto device = top.optional("device")) {
        has_device_ = true;
        Map d(*device, path, "device");
        d.only({"trusted_keys", "revoked_keys", "counters", "debug_locked", "flash"});
        s.device.line = d.line();
        s.device.source = path;
        if (d.has("trusted_keys")) {
            s.device.trusted_keys = d.strings("trusted_keys");
            for (const auto& k : s.device.trusted_keys)
                refs_.push_back({Reference::Kind::key, k, "device: trusted_keys", path, yaml::line_of(d.node("trusted_keys"))});
        }
        if (d.has("revoked_keys")) s.device.revoked_keys = d.strings("revoked_keys");
        for (const auto& k : s.device.revoked_keys)
            if (std::find(s.device.trusted_keys.begin(), s.device.trusted_keys.end(), k) == s.device.trusted_keys.end())
                d.fail("revoked_keys", "'" + k + "' is not among trusted_keys");
        if (auto counters = d.optional("counters")) {
            Map c(*counters, path, "device.counters");
            for (const auto& kv : c.raw())
                s.device.counters[kv.first.as<std::string>()] = static_cast<unsigned>(c.u64(kv.first.as<std::string>()));
        }
        s.device.debug_locked = d.boolean("debug_locked", s.device.debug_locked);
        if (auto flash_node = d.optional("flash")) {
            Map flash(*flash_node, path, "device.flash");
            for (const auto& kv : flash.raw()) {
                const auto part = kv.first.as<std::string>();
                std::vector<std::string> names = flash.strings(part);
                for (const auto& n : names)
                    refs_.push_back({Reference::Kind::image, n, "device.flash: " + part, path, yaml::line_of(kv.first)});
                s.device.flash[part] = names;
            }
        }
    }

    if (auto timeline = top.optional("timeline")) {
        if (!timeline->IsSequence()) top.fail("timeline", "expected a list of actions");
        for (const auto& node : *timeline) {
            Map m(node, path, "timeline action");
            Action a;
            a.line = m.line();
            a.source = path;
            if (m.has("after")) {
                // Triggered: `after: SRC/EVENT` (+ optional `where:`), `at:` is then a delay.
                std::tie(a.after_src, a.after_ev) = split_event(m, "after", m.str("after"));
                if (auto where = m.optional("after_where")) {
                    Map w(*where, path, "after_where");
                    for (const auto& kv : w.raw()) a.after_where[kv.first.as<std::string>()] = kv.second.as<std::string>();
                }
                if (m.has("at")) a.at_ns = yaml::parse_duration_ns(m.node("at"), path, "timeline action: at");
            } else {
                a.at_ns = yaml::parse_duration_ns(m.node("at"), path, "timeline action: at");
            }
            a.kind = m.str("do");
            if (a.kind == "tamper-flash") {
                m.only({"at", "after", "after_where", "do", "partition", "offset", "bytes"});
                a.partition = m.str("partition");
                a.offset = m.u64("offset");
                try {
                    a.bytes = from_hex(m.str("bytes"), "bytes");
                } catch (const InputError& e) {
                    m.fail("bytes", e.message());
                }
                if (a.bytes.empty()) m.fail("bytes", "give at least one byte");
            } else if (a.kind == "glitch") {
                m.only({"at", "after", "after_where", "do", "point", "nth"});
                a.point = m.str("point");
                if (!known_fault_point(a.point)) m.fail("point", "unknown fault point '" + a.point + "' (" + fault_point_list() + ")");
                a.nth = static_cast<unsigned>(m.u64("nth", 1));
                if (a.nth == 0) m.fail("nth", "counts from 1");
            } else if (a.kind == "link") {
                m.only({"at", "after", "after_where", "do", "delay", "loss", "down", "corrupt", "nth"});
                if (m.has("delay")) a.delay_ns = yaml::parse_duration_ns(m.node("delay"), path, "link: delay");
                a.loss = m.number("loss", 0.0);
                if (a.loss < 0 || a.loss >= 1) m.fail("loss", "a probability in [0, 1)");
                a.down = m.boolean("down", false);
                a.corrupt = m.str("corrupt", "");
                if (!a.corrupt.empty() && a.corrupt != "uplink" && a.corrupt != "downlink")
                    m.fail("corrupt", "uplink or downlink");
                a.nth = static_cast<unsigned>(m.u64("nth", 1));
                if (a.nth == 0) m.fail("nth", "counts from 1");
            } else if (a.kind == "redirect-cloud") {
                m.only({"at", "after", "after_where", "do", "to"});
                a.to = m.str("to");
                if (a.to != "spoof" && a.to != "cloud") m.fail("to", "spoof (a server with an untrusted certificate) or cloud");
                if (!s.cloud) m.fail_here("redirect-cloud needs a cloud (remove cloud: none)");
            } else if (a.kind == "attach-debugger") {
                m.only({"at", "after", "after_where", "do", "core"});
                a.core = m.str("core", "a7");
            } else if (a.kind == "bus-write" || a.kind == "bus-read") {
                m.only({"at", "after", "after_where", "do", "initiator", "address", "value", "width"});
                a.initiator = m.str("initiator");
                a.address = m.u64("address");
                a.width = static_cast<unsigned>(m.u64("width", 4));
                if (a.width != 1 && a.width != 2 && a.width != 4) m.fail("width", "1, 2 or 4 bytes");
                if (a.address % a.width) m.fail("address", "not aligned to the access width");
                if (a.kind == "bus-write") {
                    const auto v = m.u64("value");
                    if (a.width < 4 && v >> (8 * a.width)) m.fail("value", "does not fit the access width");
                    if (v > 0xFFFFFFFFull) m.fail("value", "does not fit 32 bits");
                    a.value = static_cast<std::uint32_t>(v);
                } else if (m.has("value")) {
                    m.fail("value", "a bus-read takes no value");
                }
            } else if (a.kind == "start-rt-core" || a.kind == "stop-rt-core") {
                // IO_CORE_CONTROL run/stop of a real-time core (its firmware must be loaded).
                m.only({"at", "after", "after_where", "do", "core"});
                a.core = m.str("core");
            } else if (a.kind == "uart-input") {
                // Bytes on the UART's receive line, as a device wired to it sends them.
                m.only({"at", "after", "after_where", "do", "uart", "text"});
                a.peripheral = m.str("uart");
                a.text = m.str("text");
                if (a.text.empty()) m.fail("text", "give at least one character");
            } else if (a.kind == "set-sensor") {
                m.only({"at", "after", "after_where", "do", "i2c", "address", "temperature_c", "humidity"});
                a.peripheral = m.str("i2c");
                a.channel = static_cast<unsigned>(m.u64("address"));
                if (m.has("temperature_c")) a.temperature_c = m.number("temperature_c");
                if (m.has("humidity")) a.humidity = m.number("humidity");
                if (!a.temperature_c && !a.humidity) m.fail_here("set-sensor: give temperature_c, humidity or both");
                if (a.humidity && (*a.humidity < 0 || *a.humidity > 100)) m.fail("humidity", "a relative humidity in 0..100 %");
            } else if (a.kind == "set-adc-input") {
                m.only({"at", "after", "after_where", "do", "adc", "channel", "mv"});
                a.peripheral = m.str("adc");
                a.channel = static_cast<unsigned>(m.u64("channel"));
                if (a.channel > 7) m.fail("channel", "the ADC has channels 0..7");
                a.mv = m.number("mv");
                if (*a.mv < 0 || *a.mv > 5000) m.fail("mv", "a voltage in 0..5000 mV");
            } else if (a.kind == "debug-read-secret" || a.kind == "reset" || a.kind == "power-cut") {
                m.only({"at", "do"});
            } else if (is_cloud_action(a.kind)) {
                // The cloud's administrator, or an attacker, acting on the stub at this moment.
                m.only({"at", "after", "after_where", "do", "reason"});
                if (a.kind != "revoke-device" && m.has("reason")) m.fail("reason", "only revoke-device takes a reason");
                a.reason = m.str("reason", "");
                if (!s.cloud) m.fail_here(a.kind + " needs a cloud (remove cloud: none)");
            } else {
                m.fail("do", "unknown action '" + a.kind +
                                 "' (known: tamper-flash, glitch, link, redirect-cloud, attach-debugger, debug-read-secret, reset, "
                                 "power-cut, bus-write, bus-read, start-rt-core, stop-rt-core, uart-input, set-sensor, set-adc-input, "
                                 "revoke-device, replay-attestation, clone-challenge, clone-quote)");
            }
            s.timeline.push_back(a);
        }
    }

    if (auto expect_node = top.optional("expect")) {
        const auto& expect = *expect_node;
        if (!expect.IsSequence()) top.fail("expect", "expected a list of expectations");
        for (const auto& node : expect) {
            Map m(node, path, "expectation");
            Expectation e;
            e.line = m.line();
            e.source = path;
            if (m.has("state")) {
                e.kind = Expectation::Kind::state;
                e.state = m.str("state");
                static const std::map<std::string, std::vector<std::string>> kStates = {
                    {"fuse-counter", {"counter", "equals"}},
                    {"boot-slot", {"stage", "booted", "confirmed"}},
                    {"partition-erased", {"partition"}}};
                auto known = kStates.find(e.state);
                if (known == kStates.end())
                    m.fail("state", "unknown state check '" + e.state + "' (known: fuse-counter, boot-slot, partition-erased)");
                for (const auto& kv : m.raw()) {
                    const auto key = kv.first.as<std::string>();
                    if (key == "state") continue;
                    if (std::find(known->second.begin(), known->second.end(), key) == known->second.end())
                        throw InputError(path, yaml::line_of(kv.first), fmt::format("expectation: state {} takes no '{}'", e.state, key));
                    e.params[key] = kv.second.as<std::string>();
                }
                if (e.state == "fuse-counter" && (!e.params.count("counter") || !e.params.count("equals")))
                    m.fail_here("state fuse-counter needs counter: and equals:");
                if (e.state == "boot-slot" && !e.params.count("stage")) m.fail_here("state boot-slot needs stage:");
                if (e.state == "partition-erased" && !e.params.count("partition")) m.fail_here("state partition-erased needs partition:");
                s.expectations.push_back(e);
                continue;
            }
            m.only({"event", "never", "where", "within", "for"});
            if (m.has("event") == m.has("never")) m.fail_here("give exactly one of 'event:' or 'never:'");
            e.kind = m.has("event") ? Expectation::Kind::occurs : Expectation::Kind::never;
            const std::string key = e.kind == Expectation::Kind::occurs ? "event" : "never";
            std::tie(e.src, e.ev) = split_event(m, key, m.str(key));
            if (auto where = m.optional("where")) {
                Map w(*where, path, "where");
                for (const auto& kv : w.raw()) e.where[kv.first.as<std::string>()] = kv.second.as<std::string>();
            }
            if (m.has("within")) {
                if (e.kind == Expectation::Kind::never) m.fail("within", "use 'for:' with 'never:'");
                e.within_ns = yaml::parse_duration_ns(m.node("within"), path, "expectation: within");
            }
            if (m.has("for")) {
                if (e.kind == Expectation::Kind::occurs) m.fail("for", "use 'within:' with 'event:'");
                e.for_ns = yaml::parse_duration_ns(m.node("for"), path, "expectation: for");
            }
            s.expectations.push_back(e);
        }
    }
}

// What the scenario and its fragments must give between them, and the names they refer to.
void Loader::finish(const Map& top) {
    Scenario& s = s_;
    if (s.name.empty()) top.node("name");
    if (!duration_from_) top.node("duration");
    if (!product_from_) top.node("product");
    if (!has_images_) top.node("images");
    if (!has_device_) top.node("device");
    if (s.device.flash.empty()) throw InputError(s.device.source, s.device.line, "device: missing required key 'flash'");
    if (s.expectations.empty()) top.fail(top.has("expect") ? "expect" : "name", "a scenario needs at least one expectation");
    for (const auto& r : refs_) {
        const bool known = r.kind == Reference::Kind::key
                               ? std::any_of(s.keys.begin(), s.keys.end(), [&](const KeySpec& k) { return k.name == r.name; })
                               : std::any_of(s.images.begin(), s.images.end(), [&](const ImageSpec& i) { return i.name == r.name; });
        if (!known)
            throw InputError(r.file, r.line,
                             fmt::format("{}: no {} named '{}'{}", r.what, r.kind == Reference::Kind::key ? "key" : "image", r.name,
                                         r.kind == Reference::Kind::key ? " under keys:" : " under images:"));
    }
}

}  // namespace

Scenario load(const std::string& path) {
    Scenario s;
    s.file = path;
    Loader(s).scenario_file(path);
    return s;
}

}  // namespace svp::scenario

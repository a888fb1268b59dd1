// `spherevp image keygen|pack|sign|inspect|verify`: make and examine signed images.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "common/image/image_format.h"
#include "common/util/input_error.h"

namespace svp::cli {
namespace {

std::uint32_t parse_u32(const std::string& text, const char* what) {
    try {
        std::size_t used = 0;
        unsigned long v = std::stoul(text, &used, 0);
        if (used == text.size() && v <= 0xFFFFFFFFul) return static_cast<std::uint32_t>(v);
    } catch (const std::exception&) {
    }
    throw InputError(fmt::format("{}: '{}' is not a 32-bit number", what, text));
}

image::ParsedImage parse_file(const std::string& path, Bytes& storage) {
    storage = read_file(path);
    try {
        return image::parse_image(storage);
    } catch (const image::ImageFormatError& e) {
        throw InputError(path, 0, e.what());
    }
}

void add_keygen(CLI::App& group) {
    static std::string out, pub;
    auto* cmd = group.add_subcommand("keygen", "generate an ECDSA P-256 signing key (PEM)");
    cmd->add_option("-o,--out", out, "private key file to write (PKCS#8 PEM)")->required();
    cmd->add_option("--public", pub, "also write the public key (PEM) here");
    set_action(cmd, [] {
        auto key = crypto::EcPrivateKey::generate();
        write_file(out, as_bytes(key.pem()));
        if (!pub.empty()) write_file(pub, as_bytes(key.public_key().pem()));
        std::cout << "key id " << to_hex(ByteView(key.public_key().key_id())) << "\n";
        return kExitOk;
    });
}

void add_pack(CLI::App& group) {
    static std::string type = "application", component, product, version = "1.0.0", counter = "0",
                       payload, protected_file, load = "0", entry = "0", out;
    static bool development = false;
    auto* cmd = group.add_subcommand("pack", "build an unsigned image from a payload and a protected JSON area");
    cmd->add_option("--type", type, "image type: security-monitor, os-kernel, rootfs, application, rt-firmware, ...")
        ->capture_default_str();
    cmd->add_option("--component", component, "component id (GUID)")->required();
    cmd->add_option("--product", product, "product id (GUID)")->required();
    cmd->add_option("--version", version, "MAJOR.MINOR.PATCH")->capture_default_str();
    cmd->add_option("--counter", counter, "security (anti-rollback) counter")->capture_default_str();
    cmd->add_option("--payload", payload, "payload file (empty payload when omitted)");
    cmd->add_option("--protected", protected_file, "JSON file for the signed metadata area (manifest)");
    cmd->add_option("--load", load, "load address")->capture_default_str();
    cmd->add_option("--entry", entry, "entry point")->capture_default_str();
    cmd->add_flag("--development", development, "mark the image as a development build");
    cmd->add_option("-o,--out", out, "image file to write")->required();
    set_action(cmd, [] {
        image::ImageHeader h;
        auto t = image::image_type_from_string(type);
        if (!t) throw InputError(fmt::format("--type: unknown image type '{}'", type));
        h.type = *t;
        h.component_id = image::guid_from_string(component, "--component");
        h.product_id = image::guid_from_string(product, "--product");
        h.version = image::version_from_string(version, "--version");
        h.security_counter = parse_u32(counter, "--counter");
        h.load_address = parse_u32(load, "--load");
        h.entry_point = parse_u32(entry, "--entry");
        h.flags = development ? image::flag_development : 0;
        Bytes body = payload.empty() ? Bytes{} : read_file(payload);
        std::string prot = protected_file.empty() ? std::string{} : read_text_file(protected_file);
        if (!prot.empty() && nlohmann::json::parse(prot, nullptr, false).is_discarded())
            throw InputError(protected_file, 0, "not valid JSON");
        // Normalise the JSON so the signed bytes do not depend on the file's whitespace.
        if (!prot.empty()) prot = nlohmann::json::parse(prot).dump();
        write_file(out, image::pack_image(h, body, prot));
        std::cout << fmt::format("packed {} ({} bytes of payload), unsigned\n", out, body.size());
        return kExitOk;
    });
}

void add_sign(CLI::App& group) {
    static std::string in, key_file, out;
    auto* cmd = group.add_subcommand("sign", "sign an image with an ECDSA P-256 key (replaces any signature)");
    cmd->add_option("image", in, "image file")->required();
    cmd->add_option("--key", key_file, "private key (PEM)")->required();
    cmd->add_option("-o,--out", out, "signed image to write (default: overwrite the input)");
    set_action(cmd, [] {
        Bytes storage;
        parse_file(in, storage);
        auto key = crypto::EcPrivateKey::from_pem(read_text_file(key_file), key_file);
        auto signed_image = image::sign_image(storage, key);
        write_file(out.empty() ? in : out, signed_image);
        std::cout << "signed with key id " << to_hex(ByteView(key.public_key().key_id())) << "\n";
        return kExitOk;
    });
}

void add_inspect(CLI::App& group) {
    static std::string in;
    static bool json = false;
    auto* cmd = group.add_subcommand("inspect", "print an image's header, sizes, measurement and signer");
    cmd->add_option("image", in, "image file")->required();
    cmd->add_flag("--json", json, "machine-readable output");
    set_action(cmd, [] {
        Bytes storage;
        auto img = parse_file(in, storage);
        if (!json) {
            std::cout << image::describe(img);
            if (storage.size() > img.image_size)
                std::cout << fmt::format("trailing bytes   {} (ignored: never measured or loaded)\n",
                                         storage.size() - img.image_size);
            return kExitOk;
        }
        const auto& h = img.header;
        nlohmann::ordered_json j = {
            {"type", image::to_string(h.type)},
            {"component", image::to_string(h.component_id)},
            {"product", image::to_string(h.product_id)},
            {"version", image::version_to_string(h.version)},
            {"security_counter", h.security_counter},
            {"development", (h.flags & image::flag_development) != 0},
            {"load_address", h.load_address},
            {"entry_point", h.entry_point},
            {"payload_size", h.payload_size},
            {"protected_size", h.protected_size},
            {"image_size", img.image_size},
            {"trailing_bytes", storage.size() - img.image_size},
            {"measurement", to_hex(ByteView(img.measurement()))},
            {"signer_key_id", to_hex(ByteView(img.signature.key_id()))},
            {"signature_matches", image::signature_matches(img)}};
        std::cout << j.dump(2) << "\n";
        return kExitOk;
    });
}

void add_verify(CLI::App& group) {
    static std::string in;
    static std::vector<std::string> trusted;
    auto* cmd = group.add_subcommand("verify", "check an image's signature against trusted public keys; exit 1 if it fails");
    cmd->add_option("image", in, "image file")->required();
    cmd->add_option("--trusted", trusted, "trusted public key (PEM); repeatable")->required();
    set_action(cmd, [] {
        Bytes storage;
        auto img = parse_file(in, storage);
        bool key_trusted = false;
        for (const auto& path : trusted)
            if (crypto::EcPublicKey::from_pem(read_text_file(path), path).key_id() == img.signature.key_id())
                key_trusted = true;
        if (!key_trusted) {
            std::cout << "REJECTED: unknown-key (signer " << to_hex(ByteView(img.signature.key_id())) << ")\n";
            return kExitExpectationFailed;
        }
        if (!image::signature_matches(img)) {
            std::cout << "REJECTED: bad-signature\n";
            return kExitExpectationFailed;
        }
        std::cout << "OK: signature valid, measurement " << to_hex(ByteView(img.measurement())) << "\n";
        return kExitOk;
    });
}

}  // namespace

void register_image(CLI::App& root) {
    auto* group = root.add_subcommand("image", "make and examine signed images (keygen, pack, sign, inspect, verify)");
    group->require_subcommand(1);
    add_keygen(*group);
    add_pack(*group);
    add_sign(*group);
    add_inspect(*group);
    add_verify(*group);
}

}  // namespace svp::cli

#include "models/security/boot_checks.h"

#include <functional>

#include <fmt/format.h>

namespace svp::boot {

CheckResult check_image_type(const image::ParsedImage& img, const StageRequirements& req) {
    if (img.header.type == req.type) return CheckResult::pass();
    return CheckResult::fail("wrong-image-type", fmt::format("image is {}, this stage needs {}",
                                                             image::to_string(img.header.type),
                                                             image::to_string(req.type)));
}

CheckResult check_product(const image::ParsedImage& img, const StageRequirements& req) {
    if (req.product == image::Guid{} || img.header.product_id == req.product) return CheckResult::pass();
    return CheckResult::fail("wrong-product", fmt::format("image is for product {}, device is {}",
                                                          image::to_string(img.header.product_id),
                                                          image::to_string(req.product)));
}

CheckResult check_fits_slot(const image::ParsedImage& img, const StageRequirements& req) {
    if (req.slot_size == 0 || img.image_size <= req.slot_size) return CheckResult::pass();
    return CheckResult::fail("too-large", fmt::format("image of {} bytes does not fit a {}-byte slot",
                                                      img.image_size, req.slot_size));
}

CheckResult check_signer_trusted(const image::ParsedImage& img, const EFuses& fuses, bool check_revocation) {
    const auto key_id = img.signature.key_id();
    const int slot = fuses.root_key_slot(key_id);
    if (slot < 0)
        return CheckResult::fail("unknown-key", fmt::format("signer key {} is not among the trusted root keys",
                                                            to_hex(ByteView(key_id)).substr(0, 16)));
    if (check_revocation && fuses.root_key_revoked(static_cast<std::size_t>(slot)))
        return CheckResult::fail("revoked-key", fmt::format("signer key in slot {} is revoked", slot));
    return CheckResult::pass();
}

CheckResult check_signature(const image::ParsedImage& img) {
    if (image::signature_matches(img)) return CheckResult::pass();
    return CheckResult::fail("bad-signature", "ECDSA P-256 signature does not match the signed region");
}

CheckResult check_rollback(const image::ParsedImage& img, const EFuses& fuses, const StageRequirements& req) {
    const unsigned floor = fuses.counter(req.counter);
    if (img.header.security_counter >= floor) return CheckResult::pass();
    return CheckResult::fail("rollback", fmt::format("security counter {} is below the fuse counter {} of {}",
                                                     img.header.security_counter, floor, req.counter));
}

CheckResult check_development_flag(const image::ParsedImage& img, const StageRequirements& req) {
    if (req.allow_development || !(img.header.flags & image::flag_development)) return CheckResult::pass();
    return CheckResult::fail("development-image", "a development image on a locked device");
}

namespace {

// The fuse counter as the glitchable hardware reads it: a struck read returns 0.
unsigned read_counter(const EFuses& fuses, const std::string& name, FaultInjector* faults) {
    const unsigned v = fuses.counter(name);
    return faults && faults->strike(fault_point::counter_read) ? 0 : v;
}

CheckResult rollback_with(const image::ParsedImage& img, unsigned floor, const StageRequirements& req) {
    if (img.header.security_counter >= floor) return CheckResult::pass();
    return CheckResult::fail("rollback", fmt::format("security counter {} is below the fuse counter {} of {}",
                                                     img.header.security_counter, floor, req.counter));
}

}  // namespace

CheckResult verify_stage(const image::ParsedImage& img, const EFuses& fuses, const StageRequirements& req,
                         const Hardening& h) {
    FaultInjector* faults = h.faults;
    const auto on = [&](std::string_view defence) { return !h.defences || h.defences->on(defence); };
    // Each step adds its own constant: a skipped or repeated step leaves a different sum.
    constexpr std::uint32_t kSteps[] = {0x1u, 0x10u, 0x100u, 0x1000u, 0x10000u, 0x100000u, 0x1000000u};
    std::uint32_t flow = 0;
    const bool signature_on = on("boot.signature"), rollback_on = on("boot.rollback");
    struct Check {
        std::string_view point;
        bool on;  // false: a test variant switched this defence off; it passes without looking
        std::function<CheckResult()> run;
    };
    const Check checks[] = {
        {fault_point::image_type, on("boot.compatibility"), [&] { return check_image_type(img, req); }},
        {fault_point::product, on("boot.compatibility"), [&] { return check_product(img, req); }},
        {fault_point::fits_slot, on("boot.compatibility"), [&] { return check_fits_slot(img, req); }},
        {fault_point::development, on("boot.development-images"), [&] { return check_development_flag(img, req); }},
        {fault_point::signer, on("boot.signer"), [&] { return check_signer_trusted(img, fuses, on("boot.revocation")); }},
        {fault_point::signature, signature_on, [&] { return check_signature(img); }},
        {fault_point::rollback, rollback_on, [&] { return rollback_with(img, read_counter(fuses, req.counter, faults), req); }},
    };
    for (std::size_t i = 0; i < std::size(checks); ++i) {
        // A glitch at a check skips its refusal branch: the check did not happen.
        if (faults && faults->strike(checks[i].point)) continue;
        auto result = checks[i].on ? checks[i].run() : CheckResult::pass();
        flow += kSteps[i];
        if (!result.passed) return result;
    }
    if (!on("boot.fault-hardening")) return CheckResult::pass();
    // Hardening: the decisive checks again, computed afresh, then the flow counter.
    const bool signature_again =
        !signature_on || (!(faults && faults->strike(fault_point::signature_recheck)) && check_signature(img).passed);
    const unsigned first = read_counter(fuses, req.counter, faults), second = read_counter(fuses, req.counter, faults);
    if (first != second)
        return CheckResult::fail("fault-detected", fmt::format("fuse counter {} read as {} and then {}", req.counter, first, second));
    const bool rollback_again =
        !rollback_on || (!(faults && faults->strike(fault_point::rollback_recheck)) && rollback_with(img, first, req).passed);
    if (!signature_again || !rollback_again)
        return CheckResult::fail("fault-detected", signature_again ? "the rollback check disagreed on its recheck"
                                                                   : "the signature check disagreed on its recheck");
    std::uint32_t expected = 0;
    for (auto s : kSteps) expected += s;
    if (flow != expected)
        return CheckResult::fail("fault-detected", fmt::format("flow counter 0x{:07x}, expected 0x{:07x}: a check was skipped", flow, expected));
    return CheckResult::pass();
}

CheckResult verify_stage(const image::ParsedImage& img, const EFuses& fuses, const StageRequirements& req) {
    for (auto check : {+[](const image::ParsedImage& i, const EFuses&, const StageRequirements& r) { return check_image_type(i, r); },
                       +[](const image::ParsedImage& i, const EFuses&, const StageRequirements& r) { return check_product(i, r); },
                       +[](const image::ParsedImage& i, const EFuses&, const StageRequirements& r) { return check_fits_slot(i, r); },
                       +[](const image::ParsedImage& i, const EFuses&, const StageRequirements& r) { return check_development_flag(i, r); },
                       +[](const image::ParsedImage& i, const EFuses& f, const StageRequirements&) { return check_signer_trusted(i, f); },
                       +[](const image::ParsedImage& i, const EFuses&, const StageRequirements&) { return check_signature(i); },
                       +[](const image::ParsedImage& i, const EFuses& f, const StageRequirements& r) { return check_rollback(i, f, r); }}) {
        auto result = check(img, fuses, req);
        if (!result.passed) return result;
    }
    return CheckResult::pass();
}

}  // namespace svp::boot

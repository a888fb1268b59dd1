#include "models/security/boot_checks.h"

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

CheckResult check_signer_trusted(const image::ParsedImage& img, const EFuses& fuses) {
    const auto key_id = img.signature.key_id();
    const int slot = fuses.root_key_slot(key_id);
    if (slot < 0)
        return CheckResult::fail("unknown-key", fmt::format("signer key {} is not among the trusted root keys",
                                                            to_hex(ByteView(key_id)).substr(0, 16)));
    if (fuses.root_key_revoked(static_cast<std::size_t>(slot)))
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

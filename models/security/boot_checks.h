// Rule 8 of the design: each security decision of the boot path is one named function that
// fails closed and names its reason. Scenarios target these names with faults (B9, B10); the
// reason strings are what `sec.boot image.rejected` events carry.
#pragma once

#include <string>

#include "common/image/image_format.h"
#include "common/defences/defences.h"
#include "models/security/efuses.h"
#include "models/security/fault_injection.h"

namespace svp::boot {

struct CheckResult {
    bool passed = false;
    std::string reason;  // stable, kebab-case: "bad-signature", "rollback", ...
    std::string detail;  // for people

    static CheckResult pass() { return {true, {}, {}}; }
    static CheckResult fail(std::string reason, std::string detail) {
        return {false, std::move(reason), std::move(detail)};
    }
};

// What a boot stage must be.
struct StageRequirements {
    image::ImageType type{};
    image::Guid product{};         // all-zero: any product
    std::uint64_t slot_size = 0;   // the image must fit its flash slot
    std::string counter;           // anti-rollback counter in the fuses
    bool allow_development = true; // development-flagged images (false on locked devices)
};

CheckResult check_image_type(const image::ParsedImage& img, const StageRequirements& req);
CheckResult check_product(const image::ParsedImage& img, const StageRequirements& req);
CheckResult check_fits_slot(const image::ParsedImage& img, const StageRequirements& req);
CheckResult check_signer_trusted(const image::ParsedImage& img, const EFuses& fuses, bool check_revocation = true);
CheckResult check_signature(const image::ParsedImage& img);
CheckResult check_rollback(const image::ParsedImage& img, const EFuses& fuses, const StageRequirements& req);
CheckResult check_development_flag(const image::ParsedImage& img, const StageRequirements& req);

// Runs every check in order and returns the first refusal (or a pass). The signature check
// runs after the cheap structural checks so a malformed image costs no ECDSA.
CheckResult verify_stage(const image::ParsedImage& img, const EFuses& fuses, const StageRequirements& req);

// The same, as the boot ROM runs it: every check is a fault point a glitch can skip (B9), the
// fuse counter read can be corrupted (B10). Hardened (the default; only test variants turn it
// off), one glitch cannot turn a refusal into acceptance:
//  - a flow counter proves every check ran, in order;
//  - the signature and rollback decisions are computed a second time, independently;
//  - the fuse counter is read twice and must read the same.
// A disagreement refuses with reason "fault-detected".
// `defences` (null: all on) can switch single checks off for regression power (defences.def):
// boot.signature, boot.signer, boot.revocation, boot.rollback, boot.compatibility,
// boot.development-images, boot.fault-hardening.
struct Hardening {
    FaultInjector* faults = nullptr;        // null: no glitches armed
    const DefenceSet* defences = nullptr;   // null: every defence on
};
CheckResult verify_stage(const image::ParsedImage& img, const EFuses& fuses, const StageRequirements& req,
                         const Hardening& hardening);

}  // namespace svp::boot

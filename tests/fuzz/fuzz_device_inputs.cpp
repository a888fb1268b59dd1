// libFuzzer target for what the device side parses from outside: signed images (from flash or
// an update), boot-state journal records and partitions (from flash after any power cut), and
// attestation quotes (from the network). Byte 0 picks the parser; the rest is the input.
//   cmake --preset fuzz && cmake --build build/fuzz --target fuzz_device_inputs
//   build/fuzz/tests/fuzz/fuzz_device_inputs -max_total_time=60 tests/fuzz/corpus
// The invariant: no crash and no sanitizer report; a refusal is always an exception of the
// documented type, never anything else.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "common/image/image_format.h"
#include "common/protocol/attestation.h"
#include "models/security/boot_state.h"

using namespace svp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const ByteView input(data + 1, size - 1);
    switch (data[0] % 3) {
    case 0:
        try {
            auto img = image::parse_image(input);
            (void)image::describe(img);
            (void)image::signature_matches(img);
        } catch (const image::ImageFormatError&) {
        } catch (const nlohmann::json::exception&) {
            std::abort();  // a parsed protected area must be valid JSON: parse_image checks it
        }
        break;
    case 1: {
        (void)BootStateRecord::decode(input);
        if (input.size() >= 2 * 256 && input.size() % 256 == 0) (void)scan_journal(input, 256);
        break;
    }
    case 2: {
        auto j = nlohmann::json::parse(input.begin(), input.end(), nullptr, false);
        if (j.is_discarded()) break;
        try {
            auto q = protocol::Quote::from_json(j);
            (void)q.digest();
            (void)q.to_json();
        } catch (const InputError&) {
        }
        break;
    }
    }
    return 0;
}

// Files that hold secrets (CA keys, the admin token): created owner-only (0600) and written
// whole or not at all, so a crash never leaves half a key and no other user can read one.
#pragma once

#include <filesystem>
#include <string>

#include "common/util/bytes.h"

namespace svp::cloud {

void write_secret_file(const std::filesystem::path& path, ByteView bytes);
// Reads a secret file; throws InputError naming the path when it is missing or when group or
// others may read it (as ssh does for private keys: a leaked secret is not a secret).
std::string read_secret_file(const std::filesystem::path& path);

}  // namespace svp::cloud

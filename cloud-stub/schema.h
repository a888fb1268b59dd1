// The cloud store's schema as an ordered list of migrations. A database records every
// migration applied to it in schema_version; opening a database applies, in order and each in
// its own transaction, the ones it lacks. A database newer than this build is refused rather
// than guessed at. Never edit a released migration: append a new one.
#pragma once

#include <span>
#include <string_view>

#include "cloud-stub/sqlite_db.h"

namespace svp::cloud {

struct Migration {
    int version;              // 1, 2, 3 ... without gaps
    std::string_view name;    // what it changes, for the history table
    std::string_view sql;
};

std::span<const Migration> migrations();
int latest_schema_version();

// The highest version recorded in `db` (0 for a new file).
int schema_version(Database& db);

// Applies the missing migrations; returns how many ran. Throws DatabaseError when the file
// was written by a newer spherevp (its version is above latest_schema_version()).
int migrate(Database& db, std::int64_t now_unix_ns);

}  // namespace svp::cloud

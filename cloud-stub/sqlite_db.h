// A thin RAII layer over the SQLite C API: a connection, prepared statements with typed
// binding, and transactions that roll back unless committed. The cloud store is the only
// user; it keeps SQL text next to the domain code and this file keeps sqlite3_* calls out of it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/util/bytes.h"

struct sqlite3;
struct sqlite3_stmt;

namespace svp::cloud {

// Thrown when SQLite itself fails (disk full, corrupt file, a constraint the code did not expect).
class DatabaseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Statement {
public:
    Statement(sqlite3* db, std::string_view sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Parameters are numbered from 1, as in SQLite. Each returns *this for chaining.
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, ByteView blob);
    Statement& bind(int index, std::nullopt_t);
    Statement& bind(int index, const std::optional<std::int64_t>& value);

    // Advances to the next row: true while there is one. Throws DatabaseError on failure.
    bool step();
    // Runs a statement that returns no rows.
    void run();
    // Makes the statement runnable again with new bindings (reuse inside a loop).
    void reset();

    std::int64_t int64(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    Bytes blob(int column) const;
    bool is_null(int column) const;
    std::optional<std::int64_t> optional_int64(int column) const;

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

class Database {
public:
    // Opens (creating when absent) the database file.
    explicit Database(const std::filesystem::path& path);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Runs one or more statements that return no rows (DDL, PRAGMAs that set).
    void exec(std::string_view sql);
    Statement prepare(std::string_view sql) { return Statement(db_, sql); }
    // The first column of the first row of a query, as text ("" when no row).
    std::string query_text(std::string_view sql);
    std::int64_t changes() const;
    std::int64_t last_insert_rowid() const;

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE on construction: the write lock is taken up front, so a transaction never
// fails half-way with SQLITE_BUSY on upgrade. Rolls back in the destructor unless committed.
class Transaction {
public:
    explicit Transaction(Database& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Database& db_;
    bool done_ = false;
};

}  // namespace svp::cloud

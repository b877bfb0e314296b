// Schema migrations: the numbered SQL files of db/migrations/ (SQLite) and
// db/migrations/postgresql/ (PostgreSQL), compiled into the binary at build time and applied in
// order, each in its own transaction. Used by the stores at open and by `rookery migrate`.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;  // keeps <sqlite3.h> out of this header

namespace rookery::store {

/// One embedded migration: db/migrations/0001_init.sql is {1, "0001_init", <file text>}.
struct Migration {
  int version = 0;
  std::string_view name;
  std::string_view sql;
};

/// What migrate() found and did.
struct MigrationReport {
  int from_version = 0;              // highest version recorded before (0 = empty database)
  int to_version = 0;                // highest version recorded after
  std::vector<std::string> applied;  // names of the migrations run by this call, in order
};

/// The SQLite migrations compiled into this binary, ascending by version (static storage).
std::span<const Migration> embedded_migrations();

/// The PostgreSQL migrations compiled into this binary, ascending by version (static storage).
std::span<const Migration> embedded_postgres_migrations();

/// Applies every pending embedded migration to `db`: a postgresql:// URL (see
/// migrate_postgres) or a SQLite file, opened (and created if needed). Throws
/// std::runtime_error naming the cause if the database can't be opened, a migration fails
/// (that migration is rolled back; earlier ones stay), or the database is newer than this
/// binary. Safe to run while a server uses the database: each migration takes the write lock.
MigrationReport migrate(const std::string& db);

/// The same for PostgreSQL at `url`. Concurrent migrators (several instances starting at once)
/// queue on an advisory lock, so each migration runs once.
MigrationReport migrate_postgres(const std::string& url);

/// The same on an already open connection with a given list (ascending versions); lets tests
/// exercise failures with their own migrations. Not thread-safe for one connection.
MigrationReport apply_migrations(sqlite3* db, std::span<const Migration> known);

}  // namespace rookery::store

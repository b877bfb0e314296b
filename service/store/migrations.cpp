#include "store/migrations.hpp"

#include <sqlite3.h>

#include <map>
#include <stdexcept>
#include <string>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "store/pg_db.hpp"
#include "store/sqlite_db.hpp"
#include "store/store.hpp"

namespace rookery::store {
namespace {

constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL) STRICT";

void check_order(std::span<const Migration> known) {
  int previous = 0;
  for (const Migration& m : known) {
    if (m.version <= previous) {
      throw std::runtime_error("embedded migrations are not strictly ascending at '" +
                               std::string(m.name) + "'");
    }
    previous = m.version;
  }
}

// version -> name of every migration the database says it ran.
std::map<int, std::string> recorded(sqlite3* db) {
  std::map<int, std::string> out;
  sqlite::Stmt select(db, "SELECT version, name FROM schema_migrations");
  sqlite::Cursor row = select.query();
  while (row.next()) out.emplace(static_cast<int>(row.int64(0)), row.text(1));
  return out;
}

void rollback_quietly(sqlite3* db) {
  // An error may already have ended the transaction; then there is nothing to undo.
  if (sqlite3_get_autocommit(db) == 0) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
}

// Checks what the database recorded against `known` and returns what is left to apply, in
// order; fills report.from_version and to_version. Throws for a newer database or a hole.
std::vector<Migration> pending(std::span<const Migration> known,
                               const std::map<int, std::string>& done, MigrationReport& report) {
  report.from_version = done.empty() ? 0 : done.rbegin()->first;
  report.to_version = report.from_version;
  const int newest_known = known.empty() ? 0 : known.back().version;
  if (report.from_version > newest_known) {
    // Running old code on a newer schema could silently corrupt data: refuse instead.
    throw std::runtime_error("database schema version " + std::to_string(report.from_version) +
                             " is newer than this binary knows (" + std::to_string(newest_known) +
                             "): run a newer rookery or restore a backup made by this one");
  }
  std::vector<Migration> out;
  for (const Migration& m : known) {
    if (const auto it = done.find(m.version); it != done.end()) {
      if (it->second != m.name) {
        log::warn("store: migration recorded under another name",
                  {{"version", std::to_string(m.version)},
                   {"recorded", it->second},
                   {"embedded", std::string(m.name)}});
      }
      continue;
    }
    if (m.version < report.from_version) {
      // A hole means two schema histories were mixed; guessing an order could break data.
      throw std::runtime_error("migration " + std::string(m.name) +
                               " was never applied but the database is already at version " +
                               std::to_string(report.from_version) + "; repair it by hand");
    }
    out.push_back(m);
  }
  return out;
}

}  // namespace

MigrationReport apply_migrations(sqlite3* db, std::span<const Migration> known) {
  check_order(known);
  try {
    sqlite::exec(db, kCreateTable);
  } catch (const sqlite::Error& e) {
    throw std::runtime_error(std::string("cannot create schema_migrations: ") + e.what());
  }

  const std::map<int, std::string> done = recorded(db);
  MigrationReport report;
  for (const Migration& m : pending(known, done, report)) {
    try {
      // IMMEDIATE takes the write lock first, so a second migrator waits, then sees the row.
      sqlite::exec(db, "BEGIN IMMEDIATE");
      sqlite::Stmt already(db, "SELECT 1 FROM schema_migrations WHERE version = ?1");
      if (already.query(m.version).next()) {
        sqlite::exec(db, "COMMIT");
        report.to_version = m.version;
        continue;
      }
      sqlite::exec(db, m.sql);
      sqlite::Stmt record(
          db, "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?1, ?2, ?3)");
      record.run(m.version, m.name, unix_millis());
      sqlite::exec(db, "COMMIT");
    } catch (const std::exception& e) {
      rollback_quietly(db);
      throw std::runtime_error("migration " + std::string(m.name) +
                               " failed (database left at version " +
                               std::to_string(report.to_version) + "): " + e.what());
    }
    report.to_version = m.version;
    report.applied.emplace_back(m.name);
    log::info("store: migration applied", {{"migration", std::string(m.name)}});
  }
  return report;
}

namespace {

// Any fixed number: every rookery migrator takes this advisory lock, so instances starting at
// the same time run each migration once, one after the other.
constexpr int64_t kMigrationLock = 0x726f6f6b6d6967;  // "rookmig"

MigrationReport apply_postgres(pg::Connection& db, std::span<const Migration> known) {
  check_order(known);
  db.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLock) + ")");
  MigrationReport report;
  try {
    db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
        "name text NOT NULL, applied_at_ms bigint NOT NULL)");
    std::map<int, std::string> done;
    const pg::Result rows = db.exec("SELECT version, name FROM schema_migrations");
    for (int i = 0; i < rows.rows(); ++i) {
      done.emplace(static_cast<int>(rows.int64(i, 0)), rows.text(i, 1));
    }
    for (const Migration& m : pending(known, done, report)) {
      try {
        db.exec("BEGIN");
        db.exec(std::string(m.sql));
        const sql::Param params[] = {int64_t{m.version}, m.name, unix_millis()};
        db.exec_params(
            "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)",
            params);
        db.exec("COMMIT");
      } catch (const std::exception& e) {
        if (db.ok() && db.in_transaction()) PQclear(PQexec(db.get(), "ROLLBACK"));
        throw std::runtime_error("migration " + std::string(m.name) +
                                 " failed (database left at version " +
                                 std::to_string(report.to_version) + "): " + e.what());
      }
      report.to_version = m.version;
      report.applied.emplace_back(m.name);
      log::info("store: migration applied",
                {{"migration", std::string(m.name)}, {"dialect", "postgresql"}});
    }
  } catch (...) {
    if (db.ok()) PQclear(PQexec(db.get(), "SELECT pg_advisory_unlock_all()"));
    throw;
  }
  db.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
  return report;
}

}  // namespace

MigrationReport migrate_postgres(const std::string& url) {
  pg::Connection conn = pg::Connection::open(url);
  try {
    return apply_postgres(conn, embedded_postgres_migrations());
  } catch (const std::exception& e) {
    throw std::runtime_error("database " + redact_db(url) + ": " + e.what());
  }
}

MigrationReport migrate(const std::string& db_path) {
  if (is_postgres_url(db_path)) return migrate_postgres(db_path);
  // A running server may hold the write lock for a batch; wait for it rather than fail.
  sqlite::Connection conn = sqlite::open(db_path, "full", 5000);
  try {
    return apply_migrations(conn.get(), embedded_migrations());
  } catch (const std::exception& e) {
    throw std::runtime_error("database '" + db_path + "': " + e.what());
  }
}

}  // namespace rookery::store

#include "store/sqlite_store.hpp"

#include <sqlite3.h>

#include <array>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "base/log.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_db.hpp"

namespace rookery::store {
namespace {

using sql::Query;

// ---------------------------------------------------------------------------------------------
// SQL: the SQLite text of the queries it writes its own way (the rest: sql::common_sql), every
// Query prepared once per connection.

using sql::kAdminColumns;
using sql::kPlayerColumns;
using sql::kSummaryColumns;

std::string sql_for(Query q) {
  switch (q) {
    case Query::player_by_username:
      return kPlayerColumns + "WHERE username = ?1";  // COLLATE NOCASE column
    case Query::add_gain_to_stats:
      return "UPDATE player_stats SET total_score = total_score + ?2, "
             "best_score = max(best_score, ?3), last_played_ms = max(last_played_ms, ?4) "
             "WHERE player_id = ?1";
    case Query::add_to_stats:
      return "INSERT INTO player_stats (player_id, total_score, games_played, best_score, "
             "last_played_ms) VALUES (?1, ?2, 1, ?2, ?3) "
             "ON CONFLICT (player_id) DO UPDATE SET "
             "total_score = total_score + excluded.total_score, "
             "games_played = games_played + 1, "
             "best_score = max(best_score, excluded.best_score), "
             "last_played_ms = max(last_played_ms, excluded.last_played_ms)";
    case Query::leaderboard:
      // Ties: fewer games for the same total ranks higher, then the older account.
      // Currently banned players are left off the board.
      return "SELECT s.player_id, p.display_name, s.total_score, s.games_played, "
             "s.best_score, s.last_played_ms "
             "FROM player_stats s JOIN players p ON p.id = s.player_id "
             "WHERE p.banned_until_ms <= ?2 "
             "ORDER BY s.total_score DESC, s.games_played, s.player_id LIMIT ?1";
    case Query::admin_hash:
      return "SELECT id, password_hash FROM admin_users WHERE username = ?1";
    case Query::insert_audit:
      return "INSERT INTO admin_audit (at_ms, actor, action, target, detail, ok) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    case Query::audit_page:
      return "SELECT id, at_ms, actor, action, target, detail, ok FROM admin_audit "
             "WHERE id < ?1 ORDER BY id DESC LIMIT ?2";
    case Query::search:
      // ?1 is an exact id or NULL; ?2 a like_prefix() pattern. Both LIKEs can use a NOCASE
      // index (players_by_display_name, username's UNIQUE index).
      return kSummaryColumns +
             "WHERE p.id = ?1 OR p.display_name LIKE ?2 ESCAPE '\\' "
             "OR p.username LIKE ?2 ESCAPE '\\' "
             "ORDER BY p.id = ?1 DESC, p.last_login_ms DESC, p.id DESC LIMIT ?3";
    case Query::recent_matches:
      return "SELECT player_id, room_type, room_id, score, started_ms, ended_ms "
             "FROM match_results WHERE player_id = ?1 "
             "ORDER BY ended_ms DESC, id DESC LIMIT ?2";

    default:
      return sql::common_sql(q);
  }
}

// ---------------------------------------------------------------------------------------------
// The SQLite side of sql::Connection.

[[noreturn]] void rethrow(const sqlite::Error& e) {
  using Kind = sql::Error::Kind;
  const int code = e.code();
  const Kind kind = code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY
                        ? Kind::unique_violation
                    : code == SQLITE_CONSTRAINT_FOREIGNKEY ? Kind::foreign_key_violation
                                                           : Kind::other;
  throw sql::Error(kind, e.what());
}

class SqliteRows final : public sql::Rows {
 public:
  SqliteRows(sqlite::Stmt& stmt, std::span<const sql::Param> params)
      : cursor_(stmt.query_params(params)) {}
  bool next() override {
    try {
      return cursor_.next();
    } catch (const sqlite::Error& e) {
      rethrow(e);
    }
  }
  int64_t int64(int column) const override { return cursor_.int64(column); }
  std::string text(int column) const override { return cursor_.text(column); }
  bool is_null(int column) const override { return cursor_.is_null(column); }

 private:
  sqlite::Cursor cursor_;
};

class SqliteConnection final : public sql::Connection {
 public:
  SqliteConnection(sqlite::Connection db)
      : db_(std::move(db)),
        // IMMEDIATE takes the write lock at BEGIN, so a batch never fails half-way on a lock.
        begin_(db_.get(), "BEGIN IMMEDIATE"),
        commit_(db_.get(), "COMMIT"),
        rollback_(db_.get(), "ROLLBACK"),
        savepoint_(db_.get(), "SAVEPOINT request"),
        release_(db_.get(), "RELEASE request"),
        rollback_to_(db_.get(), "ROLLBACK TO request") {
    for (size_t i = 0; i < sql::kQueryCount; ++i) {
      queries_[i] = sqlite::Stmt(db_.get(), sql_for(static_cast<Query>(i)));
    }
  }

  std::unique_ptr<sql::Rows> execute(Query q, std::span<const sql::Param> params) override {
    try {
      return std::make_unique<SqliteRows>(queries_[static_cast<size_t>(q)], params);
    } catch (const sqlite::Error& e) {
      rethrow(e);
    }
  }
  void begin() override { run(begin_); }
  void commit() override { run(commit_); }
  void rollback_quietly() override {
    if (!in_transaction()) return;
    try {
      rollback_.run();
    } catch (const std::exception& e) {
      log::error("store: rollback failed", {{"error", e.what()}});
    }
  }
  void savepoint() override { run(savepoint_); }
  void release() override { run(release_); }
  void rollback_to() override { run(rollback_to_); }
  bool in_transaction() const override { return sqlite3_get_autocommit(db_.get()) == 0; }
  // A file does not go away like a server does: errors fail the batch, the connection stays.
  bool usable() const override { return true; }

 private:
  static void run(sqlite::Stmt& stmt) {
    try {
      stmt.run();
    } catch (const sqlite::Error& e) {
      rethrow(e);
    }
  }

  sqlite::Connection db_;
  sqlite::Stmt begin_, commit_, rollback_, savepoint_, release_, rollback_to_;
  std::array<sqlite::Stmt, sql::kQueryCount> queries_;
};

// Opens the file, applies the migrations once, and says how to open the writer's connection.
Dialect sqlite_dialect(const StoreOptions& options) {
  if (options.path.empty()) throw std::runtime_error("store path is empty");
  if (options.busy_timeout_ms > 600'000) {
    throw std::runtime_error("store busy_timeout_ms must be at most 600000");
  }
  const auto open = [options] {
    return sqlite::open(options.path, options.synchronous,
                        static_cast<int>(options.busy_timeout_ms));
  };
  MigrationReport report;
  {
    sqlite::Connection db = open();
    try {
      report = apply_migrations(db.get(), embedded_migrations());
    } catch (const std::exception& e) {
      throw std::runtime_error("database '" + options.path + "': " + e.what());
    }
  }
  log::info("store: opened", {{"dialect", "sqlite"},
                              {"path", options.path},
                              {"schema_version", std::to_string(report.to_version)},
                              {"migrations_applied", std::to_string(report.applied.size())},
                              {"synchronous", options.synchronous}});
  Dialect d;
  d.name = "sqlite";
  // One connection: SQLite has one writer anyway, and reads on it see every queued write.
  d.read_connections = 0;
  d.connect = [open]() -> std::unique_ptr<sql::Connection> {
    return std::make_unique<SqliteConnection>(open());
  };
  return d;
}

}  // namespace

SqliteStore::SqliteStore(const StoreOptions& options)
    : SqlStore(options, sqlite_dialect(options)) {}

}  // namespace rookery::store

#include "store/postgres_store.hpp"

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "base/log.hpp"
#include "store/migrations.hpp"
#include "store/pg_db.hpp"

namespace rookery::store {
namespace {

using sql::Query;

// ---------------------------------------------------------------------------------------------
// SQL: the PostgreSQL text of the queries it writes its own way (the rest: sql::common_sql),
// every Query prepared once per connection (named after the enum).
// Usernames compare by lower() (their unique indexes are on lower(username)); name search
// folds ASCII only, under the "C" collation, as SQLite's NOCASE does.

using sql::kAdminColumns;
using sql::kPlayerColumns;
using sql::kSummaryColumns;

std::string sql_for(Query q) {
  switch (q) {
    case Query::player_by_username:
      return kPlayerColumns + "WHERE lower(username) = lower($1)";
    case Query::add_gain_to_stats:
      return "UPDATE player_stats SET total_score = total_score + $2, "
             "best_score = greatest(best_score, $3), last_played_ms = greatest(last_played_ms, $4) "
             "WHERE player_id = $1";
    case Query::add_to_stats:
      return "INSERT INTO player_stats AS s (player_id, total_score, games_played, best_score, "
             "last_played_ms) VALUES ($1, $2, 1, $2, $3) "
             "ON CONFLICT (player_id) DO UPDATE SET "
             "total_score = s.total_score + excluded.total_score, "
             "games_played = s.games_played + 1, "
             "best_score = greatest(s.best_score, excluded.best_score), "
             "last_played_ms = greatest(s.last_played_ms, excluded.last_played_ms)";
    case Query::leaderboard:
      // Ties: fewer games for the same total ranks higher, then the older account.
      return "SELECT s.player_id, p.display_name, s.total_score, s.games_played, "
             "s.best_score, s.last_played_ms "
             "FROM player_stats s JOIN players p ON p.id = s.player_id "
             "WHERE p.banned_until_ms <= $2 "
             "ORDER BY s.total_score DESC, s.games_played, s.player_id LIMIT $1";
    case Query::admin_hash:
      return "SELECT id, password_hash FROM admin_users WHERE lower(username) = lower($1)";
    case Query::insert_audit:
      return "INSERT INTO admin_audit (at_ms, actor, action, target, detail, ok) "
             "VALUES ($1, $2, $3, $4, $5, $6::integer <> 0)";
    case Query::audit_page:
      return "SELECT id, at_ms, actor, action, target, detail, ok::integer FROM admin_audit "
             "WHERE id < $1 ORDER BY id DESC LIMIT $2";
    case Query::search:
      // $1 is an exact id or NULL; $2 a like_prefix() pattern (backslash escapes).
      return kSummaryColumns +
             "WHERE p.id = $1 "
             "OR lower(p.display_name COLLATE \"C\") LIKE lower($2::text COLLATE \"C\") ESCAPE "
             "'\\' "
             "OR lower(p.username) LIKE lower($2::text) ESCAPE '\\' "
             "ORDER BY (p.id = $1) IS TRUE DESC, p.last_login_ms DESC, p.id DESC LIMIT $3";
    case Query::recent_matches:
      return "SELECT player_id, room_type, room_id, score, started_ms, ended_ms "
             "FROM match_results WHERE player_id = $1 "
             "ORDER BY ended_ms DESC, id DESC LIMIT $2";

    default:
      return sql::numbered_dollar(sql::common_sql(q));
  }
}

std::string statement_name(size_t index) {
  return "rookery_" + std::to_string(index);
}

// ---------------------------------------------------------------------------------------------
// The PostgreSQL side of sql::Connection.

class PgRows final : public sql::Rows {
 public:
  explicit PgRows(pg::Result result) : result_(std::move(result)) {}
  bool next() override { return ++row_ < result_.rows(); }
  int64_t int64(int column) const override { return result_.int64(row_, column); }
  std::string text(int column) const override { return result_.text(row_, column); }
  bool is_null(int column) const override { return result_.is_null(row_, column); }

 private:
  pg::Result result_;
  int row_ = -1;
};

class PgConnection final : public sql::Connection {
 public:
  explicit PgConnection(const std::string& url) : db_(pg::Connection::open(url)) {
    for (size_t i = 0; i < sql::kQueryCount; ++i) {
      names_[i] = statement_name(i);
      db_.prepare(names_[i], sql_for(static_cast<Query>(i)));
    }
  }

  std::unique_ptr<sql::Rows> execute(Query q, std::span<const sql::Param> params) override {
    return std::make_unique<PgRows>(db_.exec_prepared(names_[static_cast<size_t>(q)], params));
  }
  void begin() override { db_.exec("BEGIN"); }
  void commit() override {
    // A COMMIT of a transaction that failed is answered with ROLLBACK, not an error: check.
    const bool failed = PQtransactionStatus(db_.get()) == PQTRANS_INERROR;
    db_.exec("COMMIT");
    if (failed) throw sql::Error(sql::Error::Kind::other, "transaction was aborted");
  }
  void rollback_quietly() override {
    if (!db_.ok() || !db_.in_transaction()) return;
    try {
      db_.exec("ROLLBACK");
    } catch (const std::exception& e) {
      log::error("store: rollback failed", {{"error", e.what()}});
    }
  }
  void savepoint() override { db_.exec("SAVEPOINT request"); }
  void release() override { db_.exec("RELEASE SAVEPOINT request"); }
  void rollback_to() override { db_.exec("ROLLBACK TO SAVEPOINT request"); }
  bool in_transaction() const override { return db_.in_transaction(); }
  bool usable() const override { return db_.ok(); }

 private:
  pg::Connection db_;
  std::string names_[sql::kQueryCount];
};

Dialect postgres_dialect(const StoreOptions& options) {
  const std::string url = options.path;
  const MigrationReport report = migrate_postgres(url);
  log::info("store: opened", {{"dialect", "postgresql"},
                              {"db", redact_db(url)},
                              {"schema_version", std::to_string(report.to_version)},
                              {"migrations_applied", std::to_string(report.applied.size())},
                              {"read_connections", std::to_string(options.read_connections)}});
  Dialect d;
  d.name = "postgresql";
  d.read_connections = options.read_connections;
  d.reconnect_max_ms = options.reconnect_max_ms;
  d.connect = [url]() -> std::unique_ptr<sql::Connection> {
    return std::make_unique<PgConnection>(url);
  };
  return d;
}

}  // namespace

PostgresStore::PostgresStore(const StoreOptions& options)
    : SqlStore(options, postgres_dialect(options)) {}

}  // namespace rookery::store

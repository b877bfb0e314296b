// Internal to store/: the dialect-neutral face of one database connection. The store's request
// logic (sql_store.cpp) runs named queries through it, so a SQL dialect supplies only the text
// of each Query and a Connection that runs them (sqlite_store.cpp, postgres_store.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace rookery::store::sql {

/// Column lists both dialects select, in the order sql_store.cpp reads them (one place, so a
/// column cannot be added in one dialect and read wrongly in the other).
inline const std::string kPlayerColumns =
    "SELECT id, username, device_id, display_name, banned_until_ms, ban_reason, password_hash "
    "FROM players ";
/// The first six columns line up with kPlayerColumns, so one reader reads both.
inline const std::string kSummaryColumns =
    "SELECT p.id, p.username, p.device_id, p.display_name, p.banned_until_ms, p.ban_reason, "
    "p.created_ms, p.last_login_ms, coalesce(s.total_score, 0), coalesce(s.games_played, 0), "
    "coalesce(s.best_score, 0), coalesce(s.last_played_ms, 0) "
    "FROM players p LEFT JOIN player_stats s ON s.player_id = p.id ";
/// Admin user columns.
inline const std::string kAdminColumns = "id, username, role, created_ms, last_login_ms";

/// Every statement the store runs. Each dialect maps every value to its SQL text, prepared once
/// per connection; parameters are numbered in the order shown in that text ($1 / ?1).
enum class Query : uint8_t {
  player_by_id,        // (id) -> player columns
  player_by_device,    // (device_id) -> player columns
  player_by_username,  // (username, any case) -> player columns
  insert_guest,        // (device_id, display_name, now_ms) -> id
  set_display_name,    // (id, display_name)
  insert_account,      // (username, hash, display_name, now_ms) -> id
  touch_login,         // (id, now_ms)
  set_ban,             // (id, until_ms, reason) -> id if found
  insert_match,        // (player, room_type, room_id, score, started_ms, ended_ms)
  update_match,        // (score, ended_ms, player, room_id, started_ms): a later checkpoint
  add_to_stats,        // (player, score, ended_ms)
  add_gain_to_stats,   // (player, gain, score, ended_ms): a later checkpoint's gain
  stats_of,            // (player) -> id, display_name, total, games, best, last_played
  leaderboard,         // (limit, now_ms) -> the stats_of columns
  insert_admin,        // (username, hash, role, now_ms) -> id
  admin_hash,          // (username) -> id, hash
  touch_admin_login,   // (id, now_ms) -> admin columns
  admins,              // () -> admin columns, oldest first
  admin_count,         // () -> count
  insert_audit,        // (at_ms, actor, action, target, detail, ok 0/1)
  audit_page,          // (below_id, limit) -> id, at_ms, actor, action, target, detail, ok 0/1
  search,              // (id or NULL, like pattern, limit) -> summary columns
  recently_seen,       // (limit) -> summary columns
  summary_by_id,       // (id) -> summary columns
  recent_matches,      // (player, limit) -> match columns
};

/// The text of a query both dialects write alike, with SQLite's numbered placeholders (?1, ?2);
/// PostgreSQL reads it through numbered_dollar(). Each store's own sql_for() writes the rest
/// (case folding, greatest/max, ...) and falls back to this.
inline std::string common_sql(Query q) {
  switch (q) {
    case Query::player_by_id:
      return kPlayerColumns + "WHERE id = ?1";
    case Query::player_by_device:
      return kPlayerColumns + "WHERE device_id = ?1";
    case Query::insert_guest:
      return "INSERT INTO players (device_id, display_name, created_ms, last_login_ms) "
             "VALUES (?1, ?2, ?3, ?3) RETURNING id";
    case Query::set_display_name:
      return "UPDATE players SET display_name = ?2 WHERE id = ?1";
    case Query::insert_account:
      return "INSERT INTO players (username, password_hash, display_name, created_ms, "
             "last_login_ms) VALUES (?1, ?2, ?3, ?4, ?4) RETURNING id";
    case Query::touch_login:
      return "UPDATE players SET last_login_ms = ?2 WHERE id = ?1";
    case Query::set_ban:
      return "UPDATE players SET banned_until_ms = ?2, ban_reason = ?3 WHERE id = ?1 "
             "RETURNING id";
    case Query::insert_match:
      return "INSERT INTO match_results (player_id, room_type, room_id, score, started_ms, "
             "ended_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    case Query::update_match:
      return "UPDATE match_results SET score = ?1, ended_ms = ?2 "
             "WHERE player_id = ?3 AND room_id = ?4 AND started_ms = ?5";
    case Query::stats_of:
      return "SELECT p.id, p.display_name, coalesce(s.total_score, 0), "
             "coalesce(s.games_played, 0), coalesce(s.best_score, 0), "
             "coalesce(s.last_played_ms, 0) "
             "FROM players p LEFT JOIN player_stats s ON s.player_id = p.id WHERE p.id = ?1";
    case Query::insert_admin:
      return "INSERT INTO admin_users (username, password_hash, role, created_ms) "
             "VALUES (?1, ?2, ?3, ?4) RETURNING id";
    case Query::touch_admin_login:
      return "UPDATE admin_users SET last_login_ms = ?2 WHERE id = ?1 RETURNING " + kAdminColumns;
    case Query::admins:
      return "SELECT " + kAdminColumns + " FROM admin_users ORDER BY id";
    case Query::admin_count:
      return "SELECT count(*) FROM admin_users";
    case Query::recently_seen:
      return kSummaryColumns + "ORDER BY p.last_login_ms DESC, p.id DESC LIMIT ?1";
    case Query::summary_by_id:
      return kSummaryColumns + "WHERE p.id = ?1";
    default:
      throw std::logic_error("no common SQL text for this query: the dialect must write it");
  }
}

/// `sql` with ?N placeholders written as PostgreSQL's $N (the common texts hold no '?' in
/// string literals).
inline std::string numbered_dollar(std::string sql) {
  for (char& c : sql) {
    if (c == '?') c = '$';
  }
  return sql;
}

/// How many Query values exist (for per-dialect tables).
inline constexpr size_t kQueryCount = static_cast<size_t>(Query::recent_matches) + 1;

/// A bound parameter: SQL NULL, an integer or text (the text must outlive the call).
using Param = std::variant<std::nullptr_t, int64_t, std::string_view>;

/// A failed database call, classified so request logic can tell an expected constraint
/// violation from a broken database without knowing the dialect's error codes.
class Error : public std::runtime_error {
 public:
  /// What went wrong, as far as the store's logic cares.
  enum class Kind {
    unique_violation,       // a UNIQUE constraint (e.g. a taken username)
    foreign_key_violation,  // a row references a player that does not exist
    connection,             // the connection is gone: reconnect before anything else
    other,                  // anything else: the request (or its transaction) failed
  };
  /// `what` carries the database's own message for the log.
  Error(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  /// The classification.
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

/// The rows of one query execution, read forward once. Column indexes start at 0.
class Rows {
 public:
  virtual ~Rows() = default;
  /// Moves to the next row: true with a row available, false when done; throws Error.
  virtual bool next() = 0;
  /// The column as an integer (0 for NULL).
  virtual int64_t int64(int column) const = 0;
  /// The column as text ("" for NULL).
  virtual std::string text(int column) const = 0;
  /// True if the column is SQL NULL.
  virtual bool is_null(int column) const = 0;
};

/// One open connection, used by one thread at a time. Methods throw Error.
class Connection {
 public:
  virtual ~Connection() = default;

  /// Runs `query` with `params` and returns its rows.
  virtual std::unique_ptr<Rows> execute(Query query, std::span<const Param> params) = 0;

  /// Starts the transaction that holds one batch of requests.
  virtual void begin() = 0;
  /// Commits it; "ok" may be told only after this returned.
  virtual void commit() = 0;
  /// Rolls the open transaction back, if there is one; never throws (logs instead).
  virtual void rollback_quietly() = 0;
  /// Opens the savepoint that isolates one request inside the batch.
  virtual void savepoint() = 0;
  /// Ends that savepoint, keeping its writes.
  virtual void release() = 0;
  /// Undoes the writes made since savepoint() (the savepoint stays open).
  virtual void rollback_to() = 0;
  /// True while a transaction is open (a dialect may end it by itself after some errors).
  virtual bool in_transaction() const = 0;
  /// False once the connection is known to be lost: the executor then opens a new one.
  virtual bool usable() const = 0;

  /// Binds `args` (integers, strings, nullptr) and runs `query`.
  template <class... Args>
  std::unique_ptr<Rows> query(Query q, const Args&... args) {
    const std::array<Param, sizeof...(Args)> params = {to_param(args)...};
    return execute(q, params);
  }

  /// Binds `args`, runs `query` and discards any rows.
  template <class... Args>
  void run(Query q, const Args&... args) {
    std::unique_ptr<Rows> rows = query(q, args...);
    while (rows->next()) {
    }
  }

 private:
  template <class T>
  static Param to_param(const T& value) {
    if constexpr (std::is_same_v<T, std::nullptr_t>) {
      return nullptr;
    } else if constexpr (std::is_same_v<T, bool>) {
      return int64_t{value ? 1 : 0};
    } else if constexpr (std::is_integral_v<T>) {
      return static_cast<int64_t>(value);
    } else {
      return std::string_view(value);
    }
  }
};

}  // namespace rookery::store::sql

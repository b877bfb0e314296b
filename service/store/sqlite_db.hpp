// Internal to store/: thin RAII wrappers over the SQLite C API. Every value reaches SQL through
// a bound parameter; errors become sqlite::Error carrying the extended result code, so callers
// can tell an expected constraint violation from a broken database.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "store/sql.hpp"

namespace rookery::store::sqlite {

/// A failed SQLite call; code() is the extended result code (e.g. SQLITE_CONSTRAINT_UNIQUE).
class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

/// Owns one connection; closes it on destruction. Move-only.
class Connection {
 public:
  Connection() = default;
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection();
  Connection(Connection&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

/// Creates the parent folder, opens `path` and sets the pragmas every rookery connection uses:
/// WAL, `synchronous` ("normal", "full" or "extra"), busy_timeout, foreign_keys. Throws
/// std::runtime_error naming the path and the cause.
Connection open(const std::string& path, std::string_view synchronous, int busy_timeout_ms);

/// Runs every statement of `sql` (which needs no terminating NUL); throws Error.
void exec(sqlite3* db, std::string_view sql);

/// One execution of a prepared statement. Resets the statement when it goes away, so a
/// half-read SELECT never keeps its read cursor open across the batch.
class Cursor {
 public:
  explicit Cursor(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  /// Steps once: true with a row available, false when done; throws Error.
  bool next();
  int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string text(int column) const;

 private:
  sqlite3_stmt* stmt_;
};

/// A statement prepared once (SQLITE_PREPARE_PERSISTENT) and run many times. Move-only.
class Stmt {
 public:
  Stmt() = default;
  /// Prepares `sql` (one statement); throws Error quoting the SQL on a syntax error.
  Stmt(sqlite3* db, std::string_view sql);
  ~Stmt();
  Stmt(Stmt&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Stmt& operator=(Stmt&& other) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  /// Binds `args` to ?1, ?2, ... and returns a cursor over the result rows.
  template <class... Args>
  Cursor query(const Args&... args) {
    sqlite3_reset(stmt_);
    int index = 0;
    (bind(++index, args), ...);
    return Cursor(stmt_);
  }

  /// Binds `params` to ?1, ?2, ... and returns a cursor over the result rows.
  Cursor query_params(std::span<const sql::Param> params);

  /// Binds `args` and runs the statement to completion, discarding rows; throws Error.
  template <class... Args>
  void run(const Args&... args) {
    Cursor cursor = query(args...);
    while (cursor.next()) {
    }
  }

 private:
  void check_bind(int rc);
  void bind_int64(int index, int64_t value);
  void bind_text(int index, std::string_view value);
  void bind_null(int index);

  template <class T>
  void bind(int index, const T& value) {
    if constexpr (std::is_same_v<T, std::nullptr_t>) {
      bind_null(index);
    } else if constexpr (std::is_integral_v<T>) {
      bind_int64(index, static_cast<int64_t>(value));
    } else {
      bind_text(index, std::string_view(value));
    }
  }

  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace rookery::store::sqlite

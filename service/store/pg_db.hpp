// Internal to store/: thin RAII wrappers over libpq. Every value reaches SQL as a bound
// parameter (text format); failures become sql::Error classified by SQLSTATE, so the store can
// tell a taken username from a lost server.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "store/sql.hpp"

namespace rookery::store::pg {

/// Owns one PGresult; cleared on destruction. Move-only.
class Result {
 public:
  Result() = default;
  explicit Result(PGresult* r) : r_(r) {}
  ~Result() { PQclear(r_); }
  Result(Result&& other) noexcept : r_(other.r_) { other.r_ = nullptr; }
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  /// Rows in the result.
  int rows() const { return r_ == nullptr ? 0 : PQntuples(r_); }
  /// True if the value at (row, column) is SQL NULL.
  bool is_null(int row, int column) const { return PQgetisnull(r_, row, column) != 0; }
  /// The value as text ("" for NULL).
  std::string text(int row, int column) const;
  /// The value as an integer (0 for NULL or non-numbers; "t"/"f" read as 1/0).
  int64_t int64(int row, int column) const;

 private:
  PGresult* r_ = nullptr;
};

/// Owns one connection; finished on destruction. Move-only. Not thread-safe (one thread at a
/// time, as libpq requires).
class Connection {
 public:
  Connection() = default;
  ~Connection() { PQfinish(conn_); }
  Connection(Connection&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Connects to `url` (a postgresql:// URL or key=value string) with a 5 s connect timeout
  /// unless the URL sets one, client_encoding UTF8 and synchronous_commit on (a commit returns
  /// only once it is durable). Throws std::runtime_error naming the (redacted) URL and cause.
  static Connection open(const std::string& url);

  /// Runs `sql` (several statements allowed) with the simple protocol; throws sql::Error.
  Result exec(const std::string& sql);
  /// Runs `sql` with `params` bound to $1, $2, ...; throws sql::Error.
  Result exec_params(const std::string& sql, std::span<const sql::Param> params);
  /// Prepares `sql` under `name` on this connection; throws sql::Error.
  void prepare(const std::string& name, const std::string& sql);
  /// Runs the statement prepared as `name`; throws sql::Error.
  Result exec_prepared(const std::string& name, std::span<const sql::Param> params);

  /// True while the connection is up (libpq notices a loss on the next call that fails).
  bool ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }
  /// True while a transaction block is open (also when it failed and awaits ROLLBACK).
  bool in_transaction() const;
  /// The raw handle, for the few libpq calls not wrapped here.
  PGconn* get() const { return conn_; }

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  Result check(PGresult* r, std::string_view what);

  PGconn* conn_ = nullptr;
};

}  // namespace rookery::store::pg

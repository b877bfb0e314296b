// PlayerStore and AdminStore on a PostgreSQL server (libpq): the SQL dialect and connections for
// SqlStore. A small pool: one writer connection (batches with group commit, a savepoint per
// request) and `read_connections` readers; each reconnects by itself, with backoff, after the
// server went away, and prepares its statements again.
#pragma once

#include "store/sql_store.hpp"
#include "store/store.hpp"

namespace rookery::store {

/// The PostgreSQL store. `options.path` is a postgresql:// URL (or a libpq key=value string).
/// Thread-safe; see PlayerStore for the callback contract. While the server is unreachable,
/// requests fail with Status::failed and healthy() is false; nothing needs restarting.
class PostgresStore final : public SqlStore {
 public:
  /// Connects, applies pending migrations (db/migrations/postgresql/), prepares every statement
  /// on every connection and starts the threads. Throws std::runtime_error with the cause (an
  /// unreachable server at start is an error: the schema cannot be checked).
  explicit PostgresStore(const StoreOptions& options);
};

}  // namespace rookery::store

// PlayerStore and AdminStore on an embedded SQLite file: the SQL dialect and connection for
// SqlStore, whose writer thread batches requests into transactions and whose KDF pool hashes
// passwords so a slow Argon2id never stalls a commit.
#pragma once

#include "store/sql_store.hpp"
#include "store/store.hpp"

namespace rookery::store {

/// The SQLite store: one connection (the writer), WAL mode, `synchronous` as configured.
/// Thread-safe; see PlayerStore for the callback contract.
class SqliteStore final : public SqlStore {
 public:
  /// Opens (creating if needed) the database file, applies pending migrations, prepares every
  /// statement and starts the threads. Throws std::runtime_error with the cause on failure.
  explicit SqliteStore(const StoreOptions& options);
};

}  // namespace rookery::store

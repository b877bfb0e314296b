// The one way to open the player store: open_store() reads `--db` and returns the SQLite store
// (a file path, the embedded default) or the PostgreSQL store (a postgresql:// URL), both behind
// the same PlayerStore and AdminStore interfaces.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "store/admin_store.hpp"
#include "store/player_store.hpp"

namespace rookery::store {

/// Settings of a store (the app fills them from StoreConfig). Lines marked with a dialect
/// apply to that one only.
struct StoreOptions {
  std::string path;                  // SQLite file (its folder is created), or a postgresql:// URL
  std::string synchronous = "full";  // SQLite: "full" survives power loss; "normal": kill -9 only
  uint32_t batch_max = 512;          // requests per transaction at most (>= 1)
  uint32_t kdf_threads = 1;          // password hashing threads; each hash holds 19 MiB
  uint32_t busy_timeout_ms = 5000;   // SQLite: how long a batch waits for another writer's lock
  uint32_t queue_max = 10000;        // requests waiting for the database at most, then overloaded
  uint32_t kdf_queue_max = 256;      // passwords waiting for the KDF pool at most, then overloaded
  uint32_t read_connections = 2;     // PostgreSQL: reader connections beside the one writer
  uint32_t reconnect_max_ms = 5000;  // PostgreSQL: reconnect backoff doubles from 100 ms to this
};

/// A PlayerStore that is also the AdminStore (one writer, one KDF pool for both). Thread-safe;
/// see PlayerStore for the callback contract. Never call flush() or destroy the store from one
/// of its own callbacks (it would wait for itself).
class Store : public PlayerStore, public AdminStore {};

/// True if `db` names a PostgreSQL database (postgresql:// or postgres://), not a SQLite path.
bool is_postgres_url(std::string_view db);

/// `db` fit for logs and messages: a password in a postgresql:// URL becomes "***".
std::string redact_db(std::string_view db);

/// Opens the store `options.path` names, applying pending migrations first. Throws
/// std::runtime_error with the cause (unreachable server, bad file, schema too new, bad option).
std::unique_ptr<Store> open_store(const StoreOptions& options);

}  // namespace rookery::store

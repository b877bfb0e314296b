// PlayerStore and AdminStore on an embedded SQLite file: one writer thread batches requests into
// transactions, and a separate KDF pool hashes passwords so a slow Argon2id never stalls a commit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/admin_store.hpp"
#include "store/player_store.hpp"

namespace rookery::store {

/// Settings of a SqliteStore (the app fills them from StoreConfig).
struct StoreOptions {
  std::string path;                  // database file; its folder is created if missing
  std::string synchronous = "full";  // "full": an ok survives power loss; "normal": kill -9 only
  uint32_t batch_max = 512;          // requests per transaction at most (>= 1)
  uint32_t kdf_threads = 1;          // password hashing threads; each hash holds 19 MiB
  uint32_t busy_timeout_ms = 5000;   // how long a batch waits for another process's write lock
};

/// The SQLite PlayerStore and AdminStore. Thread-safe; see PlayerStore for the callback
/// contract. Never call flush() or destroy the store from one of its own callbacks (it would
/// wait for itself). flush() and the destructor cover AdminStore requests too.
class SqliteStore final : public PlayerStore, public AdminStore {
 public:
  /// Opens (creating if needed) the database, applies pending migrations, prepares every
  /// statement and starts the threads. Throws std::runtime_error with the cause on failure.
  explicit SqliteStore(const StoreOptions& options);
  /// Waits for every queued request (callbacks included), commits, and joins the threads.
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  void login_guest(std::string device_id, std::string display_name, PlayerCallback done) override;
  void register_password(std::string username, std::string password, std::string display_name,
                         PlayerCallback done) override;
  void login_password(std::string username, std::string password, PlayerCallback done) override;
  void record_matches(std::vector<MatchResult> results, StatusCallback done) override;
  void get_stats(PlayerId player, StatsCallback done) override;
  void top_players(uint32_t limit, TopCallback done) override;
  void find_player(PlayerId player, PlayerCallback done) override;
  void ban(PlayerId player, int64_t until_ms, std::string reason, StatusCallback done) override;
  void flush() override;
  /// Requests waiting for the writer plus passwords waiting for the KDF pool.
  size_t queue_depth() const override;
  StoreMetrics metrics() const override;

  void create_admin(std::string username, std::string password, std::string role,
                    AdminStatusCallback done) override;
  void verify_admin(std::string username, std::string password, AdminCallback done) override;
  void list_admins(AdminListCallback done) override;
  void count_admins(CountCallback done) override;
  void append_audit(AuditEntry entry, AdminStatusCallback done) override;
  void list_audit(uint32_t limit, int64_t before_id, AuditCallback done) override;
  void search_players(std::string query, uint32_t limit, SearchCallback done) override;
  void player_detail(PlayerId player, DetailCallback done) override;

  /// Most rows top_players() returns, whatever `limit` asks for (bounds one request's work).
  static constexpr uint32_t kMaxTopPlayers = 1000;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rookery::store

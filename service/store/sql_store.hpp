// The store's request logic, written once for every SQL dialect: input rules, the KDF hops of
// registration and login, flush() and the destructor's drain, over a BatchExecutor whose
// connections come from a dialect (SqliteStore, PostgresStore).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/batch_executor.hpp"
#include "store/store.hpp"

namespace rookery::store {

/// What a dialect hands SqlStore: how to open a connection and how many readers to run.
struct Dialect {
  std::string name;                  // "sqlite" or "postgresql", for logs
  ConnectFn connect;                 // opens one connection with every Query prepared
  uint32_t read_connections = 0;     // reader connections beside the writer
  uint32_t reconnect_max_ms = 5000;  // longest wait between reconnect attempts
};

/// PlayerStore and AdminStore over any dialect. Thread-safe; see PlayerStore.
class SqlStore : public Store {
 public:
  /// Opens the connections and starts the threads; throws std::runtime_error on failure.
  SqlStore(const StoreOptions& options, Dialect dialect);
  /// Waits for every queued request (callbacks included), commits, and joins the threads.
  ~SqlStore() override;
  SqlStore(const SqlStore&) = delete;
  SqlStore& operator=(const SqlStore&) = delete;

  using PlayerStore::login_guest;
  void login_guest(std::string device_id, std::string display_name, NewGuest create,
                   PlayerCallback done) override;
  using PlayerStore::login_password;
  using PlayerStore::register_password;
  void register_password(std::string username, std::string password, std::string display_name,
                         PlayerCallback done, StillWanted wanted) override;
  void login_password(std::string username, std::string password, PlayerCallback done,
                      StillWanted wanted) override;
  void record_matches(std::vector<MatchResult> results, StatusCallback done) override;
  void get_stats(PlayerId player, StatsCallback done) override;
  void top_players(uint32_t limit, TopCallback done) override;
  void find_player(PlayerId player, PlayerCallback done) override;
  void ban(PlayerId player, int64_t until_ms, std::string reason, StatusCallback done) override;
  void flush() override;
  /// Requests waiting for a connection plus passwords waiting for the KDF pool.
  size_t queue_depth() const override;
  StoreMetrics metrics() const override;
  bool healthy() const override;

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

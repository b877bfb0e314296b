// The running server process: owns the shards (event loops, listeners, sessions), the game
// core that holds every rule and directory, and the drain. It is the core's Host (placing rooms
// on shards, closing sessions), the shards' ShardContext (settings, admission, the core's
// Lobby) and the rooms' RoomHub (reaching sessions on any shard).
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/cluster.hpp"
#include "config/config.hpp"
#include "core/game_core.hpp"
#include "core/host.hpp"
#include "core/match_writer.hpp"
#include "core/player_directory.hpp"
#include "core/session.hpp"
#include "core/shard.hpp"
#include "core/snapshot.hpp"
#include "net/ws_transport.hpp"
#include "rooms/game.hpp"
#include "rooms/room_directory.hpp"
#include "rooms/room_hub.hpp"
#include "store/player_store.hpp"

namespace rookery::core {

/// Everything a running game server is made of. Construct, start(), later shutdown().
class Server final : public rooms::RoomHub, public Host, public ShardContext {
 public:
  Server(const config::Config& config, store::PlayerStore& store,
         std::vector<rooms::GameType> game_types);
  ~Server() override;

  /// Binds every shard's listeners, joins the cluster if one is configured (waits for Redis
  /// to grant a node number) and starts the shard threads. Throws on failure.
  void start();
  /// Drains: stops accepting, tells every client, closes rooms (results persisted), closes
  /// sessions, flushes the store, stops the threads. Blocks; returns false if `deadline` hit.
  bool shutdown(const std::string& reason);

  uint16_t tcp_port() const;
  uint16_t ws_port() const;
  bool draining() const override { return draining_.load(std::memory_order_relaxed); }

  /// The whole configuration (for the admin console's config view and start-up only).
  const config::Config& config() const { return config_; }
  /// The game core: every rule, both directories, the store.
  GameCore& core() { return core_; }
  Shard& shard(ShardIndex i) { return *shards_[i]; }
  size_t shard_count() const { return shards_.size(); }

  // --- ShardContext (any shard thread) ---
  const SessionSettings& session_settings() const override { return session_settings_; }
  Lobby& lobby() override { return core_; }
  Admission admit_connection(const std::string& ip) override;
  void connection_closed(const std::string& ip, bool admitted) override;
  SessionId next_session_id() override {
    return next_session_id_.fetch_add(1, std::memory_order_relaxed);
  }
  const net::HttpFallback& web_fallback() const override { return web_fallback_; }
  void housekeeping() override {
    core_.expire_disconnected();
    matches_.retry();  // results the store refused while overloaded
  }

  // --- for the side-port: these never block the caller. Each posts to the shards and calls
  // `done` once, on `ex`, when every shard answered or at `timeout`, whichever comes first
  // (a stuck shard costs one timeout, not a frozen side-port). ---
  /// Counters from every shard; `complete` is false if some shard did not answer in time.
  using SnapshotDone = std::function<void(ServerSnapshot snapshot, bool complete)>;
  void snapshot(boost::asio::any_io_executor ex, Millis timeout, SnapshotDone done);
  /// Whether every shard's loop runs a posted task within `timeout`.
  void healthy(boost::asio::any_io_executor ex, Millis timeout, std::function<void(bool)> done);
  /// Listening, store open, not draining.
  bool ready() const { return started_ && !draining(); }
  /// The cluster membership, or null on a standalone node.
  cluster::Cluster* cluster() { return cluster_.get(); }
  /// Cluster figures for metrics and the console; nullopt on a standalone node.
  std::optional<ClusterSnapshot> cluster_snapshot() const;
  /// A room with its members and game summary.
  struct RoomDetail {
    rooms::RoomListing listing;
    std::vector<rooms::MemberView> members;
    rooms::RoomStats stats;
    std::string summary;
  };
  /// One room's detail; nullopt if unknown or its shard did not answer in time.
  void room_detail(RoomId id, boost::asio::any_io_executor ex, Millis timeout,
                   std::function<void(std::optional<RoomDetail>)> done);
  int64_t started_unix_ms() const { return started_unix_ms_; }

  // --- rooms::RoomHub ---
  void deliver(ShardIndex shard, std::shared_ptr<const std::vector<SessionId>> sessions,
               std::shared_ptr<const std::string> frames) override;
  void send(ShardIndex shard, SessionId session,
            std::shared_ptr<const std::string> frames) override;
  void update_seat(ShardIndex shard, SessionId session, rooms::SeatUpdate update) override;
  void record_matches(std::vector<store::MatchResult> results) override;
  void seat_gone(PlayerId player, RoomId room) override;
  void room_disposed(RoomId room) override;

  // --- Host (for the core); post() serves ShardContext too ---
  RoomPlacement place_room(const std::string& type) override;
  void post(ShardIndex shard, std::function<void()> fn) override;
  void close_session(SessionAddress address, int code, std::string reason) override;
  rooms::RoomHub& room_hub() override { return *this; }
  /// Raises SIGTERM in this process: main()'s signal thread runs the drain, as for a real one.
  void request_drain() override;

 private:
  void join_cluster();

  const config::Config config_;
  const SessionSettings session_settings_;
  store::PlayerStore& store_;
  net::HttpFallback web_fallback_;
  std::vector<std::unique_ptr<Shard>> shards_;
  GameCore core_;
  std::unique_ptr<cluster::Cluster> cluster_;
  std::atomic<uint64_t> next_session_id_{1};
  std::atomic<uint32_t> next_room_shard_{0};
  std::atomic<int64_t> connections_{0};
  std::atomic<int64_t> store_failures_{0};
  MatchWriter matches_;  // every room's results, one batch at the store at a time
  std::atomic<bool> draining_{false};
  std::atomic<bool> started_{false};
  bool stopped_ = false;
  int64_t started_unix_ms_ = 0;
};

}  // namespace rookery::core

// The game server core: owns the shards, the room and player directories and the link to the
// store; implements RoomHub so rooms can reach sessions on any shard. Transports (game ports)
// and, later, the admin API call into this one layer.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/player_directory.hpp"
#include "core/shard.hpp"
#include "core/snapshot.hpp"
#include "net/ws_transport.hpp"
#include "rooms/game.hpp"
#include "rooms/room_directory.hpp"
#include "rooms/room_hub.hpp"
#include "store/player_store.hpp"

namespace rookery::core {

/// Everything a running game server is made of. Construct, start(), later shutdown().
class Server final : public rooms::RoomHub {
 public:
  Server(const config::Config& config, store::PlayerStore& store,
         std::vector<rooms::GameType> game_types);
  ~Server() override;

  /// Binds every shard's listeners and starts the shard threads. Throws on bind failure.
  void start();
  /// Drains: stops accepting, tells every client, closes rooms (results persisted), closes
  /// sessions, flushes the store, stops the threads. Blocks; returns false if `deadline` hit.
  bool shutdown(const std::string& reason);

  uint16_t tcp_port() const;
  uint16_t ws_port() const;
  bool draining() const { return draining_.load(std::memory_order_relaxed); }

  // --- for sessions (any shard thread) ---
  const config::Config& config() const { return config_; }
  store::PlayerStore& store() { return store_; }
  rooms::RoomDirectory& rooms() { return rooms_; }
  PlayerDirectory& players() { return players_; }
  Shard& shard(ShardIndex i) { return *shards_[i]; }
  size_t shard_count() const { return shards_.size(); }
  /// The room type called `name`, or null.
  const rooms::GameType* game_type(const std::string& name) const;
  /// Creates and starts a room of a known type on the least-loaded shard.
  std::shared_ptr<rooms::Room> create_room(const rooms::GameType& type, const std::string& name,
                                           uint32_t max_players);
  /// Admission: counts a new connection; false if over --max-connections.
  bool admit_connection();
  /// A connection ended (admitted or not).
  void connection_closed(bool admitted);
  /// Kicks the session at `address` (posted to its shard).
  void kick(SessionAddress address, const std::string& reason);
  /// Answers plain HTTP requests on the WebSocket port (the web game client, if configured).
  const net::HttpFallback& web_fallback() const { return web_fallback_; }
  SessionId next_session_id() { return next_session_id_.fetch_add(1, std::memory_order_relaxed); }

  // --- for the side-port (its own thread; these wait on shards, bounded by `timeout`) ---
  /// Gathers counters from every shard; false if some shard did not answer in time.
  bool snapshot(ServerSnapshot& out, Millis timeout);
  /// True if every shard's loop runs a posted task within `timeout`.
  bool healthy(Millis timeout);
  /// Listening, store open, not draining.
  bool ready() const { return started_ && !draining(); }
  /// A room with its members and game summary; empty if unknown or its shard did not answer.
  struct RoomDetail {
    rooms::RoomListing listing;
    std::vector<rooms::MemberView> members;
    rooms::RoomStats stats;
    std::string summary;
  };
  std::optional<RoomDetail> room_detail(RoomId id, Millis timeout);
  /// Locks or unlocks a room; false if unknown.
  bool lock_room(RoomId id, bool locked);
  /// Closes a room, telling its members `reason`; false if unknown.
  bool close_room(RoomId id, const std::string& reason);
  /// Sends an operator notice to a room's members; false if unknown.
  bool broadcast_to_room(RoomId id, const std::string& text);
  /// Disconnects a player (KICKED) and releases their seat; false if not connected.
  bool kick_player(PlayerId player, const std::string& reason);
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

 private:
  const config::Config config_;
  store::PlayerStore& store_;
  std::vector<rooms::GameType> game_types_;
  net::HttpFallback web_fallback_;
  std::vector<std::unique_ptr<Shard>> shards_;
  rooms::RoomDirectory rooms_;
  PlayerDirectory players_;
  std::atomic<uint64_t> next_session_id_{1};
  std::atomic<uint64_t> next_room_id_{1};
  std::atomic<uint32_t> next_room_shard_{0};
  std::atomic<int64_t> connections_{0};
  std::atomic<int64_t> store_failures_{0};
  std::atomic<bool> draining_{false};
  std::atomic<bool> started_{false};
  bool stopped_ = false;
  int64_t started_unix_ms_ = 0;
};

}  // namespace rookery::core

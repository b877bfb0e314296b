// Who is online, on which session, with which reconnect token and which room seat. Guarded by
// a mutex: consulted on login, reconnect, join and disconnect, never per input or per tick.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/ids.hpp"

namespace rookery::rooms {
class Room;
}

namespace rookery::core {

/// Where a player is connected (both zero while disconnected within the grace window).
struct SessionAddress {
  ShardIndex shard = 0;
  SessionId session = 0;
};

/// Result of binding a player to a new session.
struct Binding {
  std::string token;                      // the new session token
  std::optional<SessionAddress> evicted;  // a still-connected older session to kick
  std::shared_ptr<rooms::Room> room;      // the room where the player's seat is held, if any
  PlayerId player = 0;
  std::string display_name;
};

/// A player as listed to operators.
struct OnlinePlayer {
  PlayerId player = 0;
  std::string display_name;
  SessionAddress address;  // session 0: disconnected, seat held
  RoomId room = 0;
};

/// Thread-safe registry of logged-in players and their reconnect tokens.
class PlayerDirectory {
 public:
  /// Binds `player` to a session after a login; replaces any older binding (returned to kick).
  Binding bind(PlayerId player, const std::string& display_name, SessionAddress address);
  /// Binds the player owning `token` to a new session if the token is live: its session is
  /// connected, or it dropped less than `grace_ms` ago. Empty when unknown or expired.
  std::optional<Binding> bind_token(const std::string& token, SessionAddress address,
                                    int64_t now_ms, int64_t grace_ms);
  /// The session dropped; the entry stays for the grace window (if it is still that session's).
  void unbind(PlayerId player, SessionId session, int64_t now_ms);
  /// The player now holds a seat in `room`.
  void set_room(PlayerId player, const std::shared_ptr<rooms::Room>& room);
  /// The player's seat in `room` is gone.
  void clear_room(PlayerId player, RoomId room);
  /// Forgets the player: its reconnect token stops working at once (kick, ban). Returns the
  /// entry as it was, if there was one.
  std::optional<OnlinePlayer> forget(PlayerId player);
  /// Drops entries disconnected for longer than `grace_ms`; returns how many.
  std::vector<PlayerId> expire(int64_t now_ms, int64_t grace_ms);
  /// The player's current address, if connected.
  std::optional<SessionAddress> find(PlayerId player) const;
  /// One known player's entry (connected or within the grace window).
  std::optional<OnlinePlayer> get(PlayerId player) const;
  /// Every known player (connected or within the grace window).
  std::vector<OnlinePlayer> list() const;
  /// Players with a connected session.
  size_t connected() const;

 private:
  struct Entry {
    std::string display_name;
    std::string token;
    SessionAddress address;
    int64_t disconnected_ms = 0;
    std::shared_ptr<rooms::Room> room;
    RoomId room_id = 0;
  };
  static std::string new_token();

  mutable std::mutex mu_;
  std::unordered_map<PlayerId, Entry> players_;
  std::unordered_map<std::string, PlayerId> tokens_;
};

}  // namespace rookery::core

// What a room needs from the rest of the server: delivering bytes to sessions on any shard,
// telling a session about its seat, and persisting results. Implemented by core::Server;
// tests implement it with a recorder.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/ids.hpp"
#include "store/player_store.hpp"

namespace rookery::rooms {

class Room;

/// A change of a session's room membership, produced by the room's shard.
struct SeatUpdate {
  enum class Kind {
    granted,   // the session holds `seat` in `room` now (join or reattach)
    released,  // the session's seat is gone (leave, kick, room closed)
    refused,   // a join or reattach failed; `error_code` says why
  };
  Kind kind = Kind::refused;
  std::shared_ptr<Room> room;
  RoomId room_id = 0;
  PlayerId player = 0;
  Seat seat = 0;
  int error_code = 0;                         // proto::ErrorCode for `refused`
  std::shared_ptr<const std::string> frames;  // Joined / Left / Error for the session
};

/// Thread-safe: rooms on every shard call it.
class RoomHub {
 public:
  virtual ~RoomHub() = default;
  /// Hands the same frames to every listed session on `shard` (one post per shard per tick).
  virtual void deliver(ShardIndex shard, std::shared_ptr<const std::vector<SessionId>> sessions,
                       std::shared_ptr<const std::string> frames) = 0;
  /// Sends frames to one session.
  virtual void send(ShardIndex shard, SessionId session,
                    std::shared_ptr<const std::string> frames) = 0;
  /// Tells a session about its seat (and sends `update.frames` to it).
  virtual void update_seat(ShardIndex shard, SessionId session, SeatUpdate update) = 0;
  /// Persists finished stints (asynchronously; failures are logged and counted).
  virtual void record_matches(std::vector<store::MatchResult> results) = 0;
  /// The player's seat is gone for good (so a reconnect no longer finds it).
  virtual void seat_gone(PlayerId player, RoomId room) = 0;
  /// The room finished closing; remove it from the directory.
  virtual void room_disposed(RoomId room) = 0;
};

}  // namespace rookery::rooms

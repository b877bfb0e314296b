// The process-wide catalog of rooms: which rooms exist, their type, seats taken and state.
// Shards consult it to list, find and reserve seats; the room itself (on its own shard) is the
// authority on who sits where. A mutex guards it: it is touched on joins, leaves and listings,
// never per input or per tick.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/ids.hpp"
#include "rooms/room.hpp"

namespace rookery::rooms {

/// A room as listed to clients and operators.
struct RoomListing {
  RoomId id = 0;
  std::string type;
  std::string name;
  uint32_t members = 0;  // seats taken or reserved
  uint32_t max_players = 0;
  Room::State state = Room::State::open;
  uint32_t tick_hz = 0;
  ShardIndex shard = 0;
  int64_t created_ms = 0;
  std::string node;  // the cluster node that runs it; empty: this one
};

/// Filter for list().
struct RoomFilter {
  std::string type;  // empty: any
  bool include_full = false;
  bool include_locked = false;
  uint32_t limit = 100;
};

/// Outcome of a seat reservation.
struct Reservation {
  int error_code = 0;  // 0 or a proto::ErrorCode (ROOM_NOT_FOUND, ROOM_FULL, ROOM_LOCKED)
  std::shared_ptr<Room> room;
};

/// Thread-safe room catalog.
class RoomDirectory {
 public:
  /// Adds a room (already constructed, not yet started).
  void add(const std::shared_ptr<Room>& room, RoomListing listing);
  /// Reserves one seat in room `id`.
  Reservation reserve(RoomId id);
  /// Reserves a seat in the fullest open room of `type` with a free seat; null room if none.
  Reservation reserve_any(const std::string& type);
  /// Returns a reserved or taken seat (leave, refused join, seat expired).
  void release(RoomId id);
  /// Records a state change made on the room's shard (lock, unlock, closing).
  void set_state(RoomId id, Room::State state);
  /// Forgets a disposed room.
  void remove(RoomId id);
  /// Rooms matching `filter`, fullest first, then oldest.
  std::vector<RoomListing> list(const RoomFilter& filter) const;
  /// One room's listing and handle; null handle if unknown.
  std::shared_ptr<Room> find(RoomId id, RoomListing* listing = nullptr) const;
  /// Handles of every room (for shutdown and metrics).
  std::vector<std::shared_ptr<Room>> all() const;
  /// Number of rooms.
  size_t size() const;

 private:
  struct Entry {
    RoomListing listing;
    std::shared_ptr<Room> room;
  };
  mutable std::mutex mu_;
  std::map<RoomId, Entry> rooms_;
};

}  // namespace rookery::rooms

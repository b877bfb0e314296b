// What the game core needs from the process that runs sessions and rooms: the shards. The
// core decides (rules, directories, the store); the host only places rooms on shard threads,
// posts work there and closes sessions. core::Server implements it; unit tests use a fake.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <string>

#include "base/ids.hpp"
#include "core/player_directory.hpp"
#include "rooms/room.hpp"
#include "rooms/room_hub.hpp"

namespace rookery::core {

/// Where a new room runs: its shard, that shard's loop, and the shard's tick counters.
struct RoomPlacement {
  ShardIndex shard = 0;
  boost::asio::io_context* io = nullptr;
  rooms::TickStats* tick_stats = nullptr;  // may be null (tests)
};

/// The shards, as the core sees them. Thread-safe.
class Host {
 public:
  virtual ~Host() = default;
  /// Picks the shard for a new room of `type`.
  virtual RoomPlacement place_room(const std::string& type) = 0;
  /// Runs `fn` on shard `shard`'s thread, later.
  virtual void post(ShardIndex shard, std::function<void()> fn) = 0;
  /// Closes the session at `address` (if it still exists) with a fatal Error `code` and
  /// `reason` sent first. Posted to its shard.
  virtual void close_session(SessionAddress address, int code, std::string reason) = 0;
  /// What rooms use to reach sessions and the store.
  virtual rooms::RoomHub& room_hub() = 0;
  /// True once the server started draining: no new rooms or seats.
  virtual bool draining() const = 0;
  /// Starts draining this process (as SIGTERM does); returns at once.
  virtual void request_drain() = 0;
};

}  // namespace rookery::core

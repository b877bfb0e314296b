// Identifier types shared by every subsystem.
#pragma once

#include <cstdint>

namespace rookery {

using PlayerId = int64_t;     // players.id in the store; > 0
using RoomId = uint64_t;      // unique per process run; > 0
using SessionId = uint64_t;   // unique per process run; > 0
using Seat = uint32_t;        // index of a member within a room, stable while the seat is held
using ShardIndex = uint32_t;  // which shard (thread) owns a session or room

}  // namespace rookery

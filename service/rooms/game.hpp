// The seam between a room (membership, ticking, delivery) and its game logic. A room owns one
// Game and calls it only from the room's shard thread, so a Game needs no locks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/ids.hpp"

namespace rookery::rooms {

/// Logic of one room. Called only on the owning shard's thread, in this order each tick:
/// membership changes and apply_input() as they arrive, then step(now), then encode_delta().
class Game {
 public:
  virtual ~Game() = default;

  /// A player took `seat` (seats are reused only after remove_player).
  virtual void add_player(Seat seat, std::string_view display_name) = 0;
  /// The seat is released for good (left, kicked, or reconnect grace expired).
  virtual void remove_player(Seat seat) = 0;
  /// The seat's connection dropped (false) or came back (true); the seat stays held meanwhile.
  virtual void set_connected(Seat seat, bool connected) = 0;

  /// Applies one input payload from `seat`. Returns false if the payload is invalid (the room
  /// answers INVALID_INPUT); never throws on bad bytes.
  virtual bool apply_input(Seat seat, uint32_t seq, std::string_view payload) = 0;

  /// Advances the game to `now` (monotonic). The first call starts the clock.
  virtual void step(TimePoint now) = 0;

  /// Appends the state payload describing what changed since the previous encode_delta()
  /// (or since the start). Called once per tick; the bytes go to every member unchanged.
  virtual void encode_delta(std::string& out) = 0;
  /// Appends a full state payload, as sent in Joined.snapshot.
  virtual void encode_snapshot(std::string& out) const = 0;

  /// Points the seat earned in this room so far (persisted when the seat is released).
  virtual int64_t score(Seat seat) const = 0;

  /// A one-line, human-readable picture of the game for operators (admin console).
  virtual std::string summary() const { return {}; }
};

/// What the server knows about a room type: its defaults and how to make a game.
struct GameType {
  std::string name;                   // "spelltraction", "relay"
  uint32_t tick_hz = 20;              // 1..60
  uint32_t default_max_players = 16;  // used when CreateRoom.max_players is 0
  uint32_t max_players_limit = 100;   // CreateRoom.max_players above this is refused
  /// Makes the game for a new room; `seed` makes randomness reproducible in tests.
  std::function<std::unique_ptr<Game>(uint64_t seed)> make;
};

}  // namespace rookery::rooms

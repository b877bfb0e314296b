// The game types the server offers out of the box, built from their settings.
#pragma once

#include <cstdint>
#include <vector>

#include "rooms/game.hpp"

namespace rookery::games {

/// The rooms.* settings the built-in games need (bounds are checked by config/).
struct GameSettings {
  uint32_t spelltraction_tick_hz = 20;
  uint32_t spelltraction_hold_ms = 2000;  // attractor hold time that scores a letter
  uint32_t spelltraction_max_players = 100;
  uint32_t relay_tick_hz = 20;
  uint32_t relay_max_players = 64;
};

/// "spelltraction" and "relay", in that order; default room size 16, capped by each max.
std::vector<rooms::GameType> builtin_game_types(const GameSettings& settings);

}  // namespace rookery::games

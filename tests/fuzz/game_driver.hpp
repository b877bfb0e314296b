// Drives one built-in game through the rooms::Game seam from fuzz bytes, as a room would: seats
// come and go, inputs from any seat (held or not) arrive with any bytes, time moves on, and every
// tick encodes a delta. Shared by the per-game targets so each game gets the same treatment.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "games/game_types.hpp"
#include "rooms/game.hpp"

namespace rookery::fuzz {

/// Makes the built-in game type `name` (as the server would, default settings) from `seed`.
inline std::unique_ptr<rooms::Game> make_game(const std::string& name, uint64_t seed) {
  for (auto& type : games::builtin_game_types(games::GameSettings{})) {
    if (type.name == name) return type.make(seed);
  }
  std::abort();  // a target names a game that does not exist: the target is wrong
}

/// Runs the operations encoded in `data` against `game`. `check_delta` and `check_snapshot` see
/// every payload the game encodes (a state message goes to every member unchanged, so it must
/// always be well formed); they abort on a bad one.
template <class CheckDelta, class CheckSnapshot>
void drive_game(rooms::Game& game, const uint8_t* data, size_t size, CheckDelta&& check_delta,
                CheckSnapshot&& check_snapshot) {
  FuzzedDataProvider in(data, size);
  // Few seats, so inputs hit held seats often; a stray one (past the room's size) now and then.
  auto seat = [&in] {
    return in.ConsumeBool() ? in.ConsumeIntegralInRange<Seat>(0, 7) : in.ConsumeIntegral<Seat>();
  };
  TimePoint now{};
  uint32_t seq = 0;
  std::string out;
  while (in.remaining_bytes() > 0) {
    switch (in.ConsumeIntegralInRange(0, 7)) {
      case 0:
        game.add_player(seat(), in.ConsumeRandomLengthString(32));
        break;
      case 1:
        game.remove_player(seat());
        break;
      case 2:
        game.set_connected(seat(), in.ConsumeBool());
        break;
      case 3:
      case 4: {
        // The common case: input bytes from a client, as Input.payload carries them.
        const Seat s = seat();
        seq = in.ConsumeBool() ? seq + 1 : in.ConsumeIntegral<uint32_t>();
        const std::string payload = in.ConsumeRandomLengthString(8192);
        game.apply_input(s, seq, payload);
        break;
      }
      case 5: {
        // A tick: time moves on (a little, or across a whole hold time), then one delta.
        now += std::chrono::milliseconds(in.ConsumeIntegralInRange<int64_t>(0, 5000));
        game.step(now);
        out.clear();
        game.encode_delta(out);
        check_delta(out);
        break;
      }
      case 6:
        out.clear();
        game.encode_snapshot(out);
        check_snapshot(out);
        break;
      default:
        (void)game.score(seat());
        (void)game.summary();
        break;
    }
  }
}

}  // namespace rookery::fuzz

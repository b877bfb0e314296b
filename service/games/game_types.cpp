#include "games/game_types.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include "games/relay/relay_game.hpp"
#include "games/spelltraction/spelltraction_game.hpp"

namespace rookery::games {
namespace {

constexpr uint32_t kDefaultRoomSize = 16;

}  // namespace

std::vector<rooms::GameType> builtin_game_types(const GameSettings& settings) {
  std::vector<rooms::GameType> types;

  rooms::GameType spell;
  spell.name = "spelltraction";
  spell.tick_hz = settings.spelltraction_tick_hz;
  spell.max_players_limit = settings.spelltraction_max_players;
  spell.default_max_players = std::min(kDefaultRoomSize, settings.spelltraction_max_players);
  spelltraction::Rules::Options options;
  options.hold_ms = settings.spelltraction_hold_ms;
  spell.make = [options](uint64_t seed) -> std::unique_ptr<rooms::Game> {
    return std::make_unique<SpellTractionGame>(options, seed);
  };
  types.push_back(std::move(spell));

  rooms::GameType relay;
  relay.name = "relay";
  relay.tick_hz = settings.relay_tick_hz;
  relay.max_players_limit = settings.relay_max_players;
  relay.default_max_players = std::min(kDefaultRoomSize, settings.relay_max_players);
  relay.make = [](uint64_t /*seed*/) -> std::unique_ptr<rooms::Game> {
    return std::make_unique<RelayGame>();
  };
  types.push_back(std::move(relay));

  return types;
}

}  // namespace rookery::games

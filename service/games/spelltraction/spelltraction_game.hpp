// The SpellTraction room game: Rules plus the spelltraction.proto encoding of inputs and state.
// Called only from the owning room's shard thread (see rooms::Game).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "games/spelltraction/rules.hpp"
#include "rooms/game.hpp"
#include "spelltraction.pb.h"

namespace rookery::games {

/// SpellTraction behind the rooms::Game seam; inputs are Move, state payloads are Frame.
class SpellTractionGame final : public rooms::Game {
 public:
  /// A new board dealt from `seed`.
  SpellTractionGame(spelltraction::Rules::Options options, uint64_t seed);

  void add_player(Seat seat, std::string_view display_name) override;
  void remove_player(Seat seat) override;
  void set_connected(Seat seat, bool connected) override;
  /// Accepts a Move for a held seat; false if the bytes do not parse or the seat is unknown.
  bool apply_input(Seat seat, uint32_t seq, std::string_view payload) override;
  void step(TimePoint now) override;
  /// Appends a Frame (full=false) with only what changed; appends nothing if nothing did.
  void encode_delta(std::string& out) override;
  /// Appends a Frame (full=true) with the board, attractor, every marker and every player.
  void encode_snapshot(std::string& out) const override;
  int64_t score(Seat seat) const override;
  /// "board ABCD/EFGH/IJKL, attractor on cell 5 at 40%, 3 players".
  std::string summary() const override;

  /// The rules, for inspection (tests, metrics).
  const spelltraction::Rules& rules() const { return rules_; }

 private:
  spelltraction::Rules rules_;
  // Reused every tick: Clear() keeps the nested objects, so steady ticks do not allocate.
  proto::spelltraction::Frame frame_;
  proto::spelltraction::Move move_;
};

}  // namespace rookery::games

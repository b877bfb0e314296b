// The relay room game: no rules, the server forwards every member's input bytes to everyone once
// per tick (relay.proto). Called only from the owning room's shard thread (see rooms::Game).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "relay.pb.h"
#include "rooms/game.hpp"

namespace rookery::games {

/// Forwards inputs verbatim; state payloads are relay::Frame, the snapshot is an empty Frame.
class RelayGame final : public rooms::Game {
 public:
  /// Largest input payload relayed; bigger ones are refused so one member cannot flood a tick.
  static constexpr std::size_t kMaxPayloadBytes = 4096;

  void add_player(Seat seat, std::string_view display_name) override;
  void remove_player(Seat seat) override;
  void set_connected(Seat seat, bool connected) override;
  /// Queues the bytes for the next delta; false if the seat is not held or the payload is
  /// larger than kMaxPayloadBytes.
  bool apply_input(Seat seat, uint32_t seq, std::string_view payload) override;
  void step(TimePoint now) override;
  /// Appends a Frame with every input since the previous call, in arrival order, then forgets them.
  void encode_delta(std::string& out) override;
  /// Appends an empty Frame (zero bytes): the relay keeps no state.
  void encode_snapshot(std::string& out) const override;
  /// Always 0: relay rooms have no scoring.
  int64_t score(Seat seat) const override;

 private:
  std::vector<Seat> seats_;  // held seats, ascending
  // Inputs are written straight into the frame; Clear() keeps the Relayed objects for reuse.
  proto::relay::Frame frame_;
};

}  // namespace rookery::games

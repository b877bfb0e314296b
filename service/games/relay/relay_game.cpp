#include "games/relay/relay_game.hpp"

#include <algorithm>

namespace rookery::games {

void RelayGame::add_player(Seat seat, std::string_view /*display_name*/) {
  auto it = std::ranges::lower_bound(seats_, seat);
  if (it == seats_.end() || *it != seat) seats_.insert(it, seat);
}

void RelayGame::remove_player(Seat seat) {
  // Inputs the seat sent before leaving are still relayed: they arrived while it was a member.
  auto it = std::ranges::lower_bound(seats_, seat);
  if (it != seats_.end() && *it == seat) seats_.erase(it);
}

void RelayGame::set_connected(Seat /*seat*/, bool /*connected*/) {}

bool RelayGame::apply_input(Seat seat, uint32_t seq, std::string_view payload) {
  if (payload.size() > kMaxPayloadBytes) return false;
  if (!std::ranges::binary_search(seats_, seat)) return false;
  proto::relay::Relayed* relayed = frame_.add_inputs();
  relayed->set_seat(seat);
  relayed->set_seq(seq);
  relayed->set_data(payload.data(), payload.size());
  return true;
}

void RelayGame::step(TimePoint /*now*/) {}

void RelayGame::encode_delta(std::string& out) {
  if (frame_.inputs_size() == 0) return;
  frame_.AppendToString(&out);
  frame_.Clear();
}

void RelayGame::encode_snapshot(std::string& /*out*/) const {}

int64_t RelayGame::score(Seat /*seat*/) const {
  return 0;
}

}  // namespace rookery::games

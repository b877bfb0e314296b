#include "games/spelltraction/spelltraction_game.hpp"

#include <limits>

namespace rookery::games {
namespace {

namespace pb = proto::spelltraction;
using spelltraction::Player;
using spelltraction::Rules;

void set_attractor(const Rules& rules, pb::Frame& frame) {
  pb::Attractor* attractor = frame.mutable_attractor();
  attractor->set_cell(rules.attractor_cell());
  attractor->set_progress(rules.attractor_progress());
}

void add_marker(const Player& player, pb::Frame& frame) {
  pb::Marker* marker = frame.add_markers();
  marker->set_seat(player.seat);
  marker->set_x(player.position.x);
  marker->set_y(player.position.y);
}

void add_player_state(const Player& player, pb::Frame& frame) {
  pb::Player* out = frame.add_players();
  out->set_seat(player.seat);
  out->set_letters(player.letters);
  out->set_score(player.score);
}

}  // namespace

SpellTractionGame::SpellTractionGame(Rules::Options options, uint64_t seed)
    : rules_(options, seed) {}

void SpellTractionGame::add_player(Seat seat, std::string_view /*display_name*/) {
  rules_.add_player(seat);
}

void SpellTractionGame::remove_player(Seat seat) {
  rules_.remove_player(seat);
}

void SpellTractionGame::set_connected(Seat seat, bool connected) {
  rules_.set_connected(seat, connected);
}

bool SpellTractionGame::apply_input(Seat seat, uint32_t /*seq*/, std::string_view payload) {
  if (payload.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return false;
  if (!move_.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return false;
  return rules_.move(seat, move_.x(), move_.y());
}

void SpellTractionGame::step(TimePoint now) {
  rules_.step(now);
}

void SpellTractionGame::encode_delta(std::string& out) {
  const spelltraction::Changes& changes = rules_.changes();
  if (changes.empty()) return;
  frame_.Clear();
  frame_.set_full(false);
  if (changes.board) frame_.set_board(rules_.board().data(), rules_.board().size());
  if (changes.attractor) set_attractor(rules_, frame_);
  for (Seat seat : changes.moved) {
    if (const Player* player = rules_.player(seat)) add_marker(*player, frame_);
  }
  for (Seat seat : changes.updated) {
    if (const Player* player = rules_.player(seat)) add_player_state(*player, frame_);
  }
  for (Seat seat : changes.gone) frame_.add_gone(seat);
  for (const spelltraction::ScoredEvent& event : changes.scored) {
    pb::Scored* scored = frame_.add_scored();
    scored->set_cell(static_cast<uint32_t>(event.cell));
    scored->set_letter(&event.letter, 1);
    for (Seat seat : event.seats) scored->add_seats(seat);
  }
  frame_.AppendToString(&out);
  rules_.clear_changes();
}

void SpellTractionGame::encode_snapshot(std::string& out) const {
  // Snapshots are sent only on join, so a local Frame is cheap enough and keeps this const.
  pb::Frame frame;
  frame.set_full(true);
  frame.set_board(rules_.board().data(), rules_.board().size());
  set_attractor(rules_, frame);
  for (const Player& player : rules_.players()) {
    add_marker(player, frame);
    add_player_state(player, frame);
  }
  frame.AppendToString(&out);
}

int64_t SpellTractionGame::score(Seat seat) const {
  const Player* player = rules_.player(seat);
  return player ? player->score : 0;
}

std::string SpellTractionGame::summary() const {
  const std::string_view b = rules_.board();
  std::string out = "board ";
  for (size_t i = 0; i < b.size(); ++i) {
    if (i > 0 && i % 4 == 0) out += '/';
    out += b[i];
  }
  if (rules_.attractor_cell() < 0) {
    out += ", attractor not placed yet";
  } else {
    out += ", attractor on cell " + std::to_string(rules_.attractor_cell()) + " at " +
           std::to_string(rules_.attractor_progress() / 10) + "%";
  }
  out += ", " + std::to_string(rules_.player_count()) + " players";
  return out;
}

}  // namespace rookery::games

#include "games/spelltraction/rules.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

namespace rookery::games::spelltraction {
namespace {

// English Scrabble tile counts for A..Z (98 tiles, blanks left out).
constexpr std::array<uint32_t, 26> kLetterWeights = {9, 2, 2, 4, 12, 2, 3, 2, 9, 1, 1, 4, 2,
                                                     6, 8, 2, 1, 6,  4, 6, 4, 2, 2, 1, 2, 1};

constexpr uint32_t letter_bag_size() {
  uint32_t total = 0;
  for (uint32_t w : kLetterWeights) total += w;
  return total;
}

int32_t clamp_x(int32_t x) {
  return std::clamp(x, 0, Rules::kWidth - 1);
}
int32_t clamp_y(int32_t y) {
  return std::clamp(y, 0, Rules::kHeight - 1);
}

}  // namespace

Rules::Rules(Options options, uint64_t seed)
    : options_(options),
      rng_(seed),
      hold_(std::chrono::milliseconds(std::max<uint32_t>(options.hold_ms, 1))) {
  options_.marker_speed = std::max<uint32_t>(options_.marker_speed, 1);
  board_.resize(kCells);
  for (char& letter : board_) letter = draw_from_bag();
}

// std::uniform_int_distribution is implementation-defined, so a seed would replay differently
// on another standard library; the modulo bias against 2^64 is negligible for n <= 98.
uint64_t Rules::uniform_below(uint64_t n) {
  return rng_() % n;
}

char Rules::draw_from_bag() {
  uint64_t pick = uniform_below(letter_bag_size());
  for (std::size_t i = 0; i < kLetterWeights.size(); ++i) {
    if (pick < kLetterWeights[i]) return static_cast<char>('A' + i);
    pick -= kLetterWeights[i];
  }
  return 'E';  // unreachable: pick < bag size
}

// Uniform over cells, so a letter shown twice is twice as likely; whatever is drawn is on the
// board at that moment and can therefore be scored.
char Rules::draw_from_board() {
  return board_[uniform_below(kCells)];
}

std::size_t Rules::index_of(Seat seat) const {
  auto it = std::ranges::lower_bound(players_, seat, {}, &Player::seat);
  return it != players_.end() && it->seat == seat ? static_cast<std::size_t>(it - players_.begin())
                                                  : players_.size();
}

const Player* Rules::player(Seat seat) const {
  const std::size_t i = index_of(seat);
  return i < players_.size() ? &players_[i] : nullptr;
}

bool Rules::add_player(Seat seat) {
  auto it = std::ranges::lower_bound(players_, seat, {}, &Player::seat);
  if (it != players_.end() && it->seat == seat) return false;
  const auto i = static_cast<std::size_t>(it - players_.begin());
  Player player;
  player.seat = seat;
  const Point spawn = cell_center(static_cast<int32_t>(uniform_below(kCells)));
  player.position = spawn;
  player.target = spawn;
  player.letters.reserve(options_.letters_per_player);
  for (uint32_t n = 0; n < options_.letters_per_player; ++n) {
    player.letters.push_back(draw_from_board());
  }
  players_.insert(it, std::move(player));
  tracks_.insert(tracks_.begin() + static_cast<std::ptrdiff_t>(i), Track{spawn, last_});
  // A seat released and retaken within one window is reported as a fresh player, not as gone.
  std::erase(changes_.gone, seat);
  note_moved(i);
  note_updated(i);
  return true;
}

bool Rules::remove_player(Seat seat) {
  const std::size_t i = index_of(seat);
  if (i == players_.size()) return false;
  if (tracks_[i].listed_moved) std::erase(changes_.moved, seat);
  if (tracks_[i].listed_updated) std::erase(changes_.updated, seat);
  players_.erase(players_.begin() + static_cast<std::ptrdiff_t>(i));
  tracks_.erase(tracks_.begin() + static_cast<std::ptrdiff_t>(i));
  changes_.gone.push_back(seat);
  return true;
}

bool Rules::set_connected(Seat seat, bool connected) {
  const std::size_t i = index_of(seat);
  if (i == players_.size()) return false;
  players_[i].connected = connected;
  return true;
}

bool Rules::move(Seat seat, int32_t x, int32_t y) {
  const std::size_t i = index_of(seat);
  if (i == players_.size()) return false;
  // The new leg starts where the marker was at the last step; before the clock starts, step()
  // re-anchors every leg at its first call.
  tracks_[i].leg_from = players_[i].position;
  tracks_[i].leg_start = last_;
  players_[i].target = {clamp_x(x), clamp_y(y)};
  return true;
}

void Rules::step(TimePoint now) {
  if (!started_) {
    started_ = true;
    last_ = now;
    for (Track& track : tracks_) track.leg_start = now;
    return;
  }
  if (now < last_) now = last_;  // steady time never goes back; tolerate callers that do
  const SteadyClock::duration elapsed = now - last_;
  last_ = now;
  advance_markers(now);
  update_attractor(elapsed);
}

Point Rules::position_at(const Player& player, const Track& track, TimePoint now) const {
  const Point from = track.leg_from;
  const Point to = player.target;
  const double dx = to.x - from.x;
  const double dy = to.y - from.y;
  const double distance = std::hypot(dx, dy);
  const double seconds = std::chrono::duration<double>(now - track.leg_start).count();
  const double travelled = options_.marker_speed * std::max(seconds, 0.0);
  if (travelled >= distance) return to;
  const double f = travelled / distance;
  return {static_cast<int32_t>(std::lround(from.x + dx * f)),
          static_cast<int32_t>(std::lround(from.y + dy * f))};
}

void Rules::advance_markers(TimePoint now) {
  for (std::size_t i = 0; i < players_.size(); ++i) {
    Player& player = players_[i];
    if (player.position == player.target) continue;
    const Point next = position_at(player, tracks_[i], now);
    if (next == player.position) continue;
    player.position = next;
    note_moved(i);
  }
}

void Rules::update_attractor(SteadyClock::duration elapsed) {
  std::array<uint32_t, kCells> counts{};
  for (const Player& player : players_) {
    if (player.connected) ++counts[cell_at(player.position)];
  }
  int32_t crowded = -1;
  uint32_t best = 0;
  bool unique = false;
  for (int32_t cell = 0; cell < kCells; ++cell) {
    if (counts[cell] > best) {
      best = counts[cell];
      crowded = cell;
      unique = true;
    } else if (counts[cell] == best) {
      unique = false;
    }
  }
  if (best < 2 || !unique) crowded = -1;

  if (crowded < 0) {
    // No clear crowd: the attractor stays and its progress pauses (kept, not reset).
  } else if (crowded != attractor_cell_) {
    attractor_cell_ = crowded;
    progress_ = SteadyClock::duration{0};
  } else {
    progress_ += elapsed;
    if (progress_ >= hold_) {
      score_cell(attractor_cell_);
      progress_ = SteadyClock::duration{0};
    }
  }
  note_attractor();
}

void Rules::score_cell(int32_t cell) {
  const char letter = board_[cell];
  // The board letter is replaced first so that holders' new letters are drawn from the board
  // as it now is: every letter a player holds was on the board when drawn.
  char replacement = draw_from_bag();
  while (replacement == letter) replacement = draw_from_bag();
  board_[cell] = replacement;
  changes_.board = true;

  ScoredEvent event;
  event.cell = cell;
  event.letter = letter;
  for (std::size_t i = 0; i < players_.size(); ++i) {
    Player& player = players_[i];
    const auto at = player.letters.find(letter);
    if (at == std::string::npos) continue;
    player.letters[at] = draw_from_board();
    ++player.score;
    event.seats.push_back(player.seat);
    note_updated(i);
  }
  changes_.scored.push_back(std::move(event));
}

uint32_t Rules::attractor_progress() const {
  const auto thousandths = progress_ * 1000 / hold_;
  return static_cast<uint32_t>(std::min<decltype(thousandths)>(thousandths, 1000));
}

void Rules::note_moved(std::size_t i) {
  if (tracks_[i].listed_moved) return;
  tracks_[i].listed_moved = true;
  changes_.moved.push_back(players_[i].seat);
}

void Rules::note_updated(std::size_t i) {
  if (tracks_[i].listed_updated) return;
  tracks_[i].listed_updated = true;
  changes_.updated.push_back(players_[i].seat);
}

void Rules::note_attractor() {
  // Progress is reported in steps of kProgressStep thousandths (and at 0 and 1000), not every
  // tick: a room where players stand still then broadcasts a few States per hold instead of
  // one per tick. Clients show the bar in those steps (10% by default).
  const uint32_t progress = attractor_progress();
  const uint32_t step =
      progress > reported_progress_ ? progress - reported_progress_ : reported_progress_ - progress;
  if (attractor_cell_ != reported_cell_ || step >= kProgressStep ||
      (progress != reported_progress_ && (progress == 0 || progress == 1000))) {
    changes_.attractor = true;
  }
}

void Rules::clear_changes() {
  for (Track& track : tracks_) {
    track.listed_moved = false;
    track.listed_updated = false;
  }
  changes_.moved.clear();
  changes_.updated.clear();
  changes_.gone.clear();
  changes_.board = false;
  if (changes_.attractor) {
    // Only what was reported is the baseline for the next step.
    reported_cell_ = attractor_cell_;
    reported_progress_ = attractor_progress();
  }
  changes_.attractor = false;
  changes_.scored.clear();
}

}  // namespace rookery::games::spelltraction

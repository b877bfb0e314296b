// SpellTraction rules without any wire format: the board, markers, the attractor and scoring.
// Time is passed in, never read, so tests drive it; randomness comes from one seeded engine, so a
// seed replays the same game. Not thread-safe: the owning room calls it from one thread.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/ids.hpp"

namespace rookery::games::spelltraction {

/// A position in board units; x grows right, y grows down.
struct Point {
  int32_t x = 0;
  int32_t y = 0;
  bool operator==(const Point&) const = default;
};

/// One player's visible state; only Rules changes it.
struct Player {
  Seat seat = 0;
  Point position;         // where the marker is now
  Point target;           // where the marker is heading (the last Move)
  std::string letters;    // the letters held, one char each, 'A'..'Z'
  uint32_t score = 0;     // letters scored in this room
  bool connected = true;  // markers of dropped connections do not count toward crowding
};

/// One scoring: the board cell, the letter it showed, and every seat that held it (ascending).
struct ScoredEvent {
  int32_t cell = 0;
  char letter = 'A';
  std::vector<Seat> seats;
};

/// What changed since the last clear_changes(); the encoder turns it into a delta frame.
struct Changes {
  std::vector<Seat> moved;    // markers whose integer position changed, and new markers
  std::vector<Seat> updated;  // players whose letters or score changed, and new players
  std::vector<Seat> gone;     // seats removed
  bool board = false;         // some board letter changed
  bool attractor = false;     // the attractor's cell or progress (in thousandths) changed
  std::vector<ScoredEvent> scored;

  /// True if there is nothing to report.
  bool empty() const {
    return moved.empty() && updated.empty() && gone.empty() && !board && !attractor &&
           scored.empty();
  }
};

/// The game state and its rules (docs: service/games/README.md).
class Rules {
 public:
  /// Attractor progress is reported when it moved by at least this many thousandths.
  static constexpr uint32_t kProgressStep = 100;

  /// Tunables; the board geometry is fixed by the wire protocol and is not among them.
  struct Options {
    uint32_t hold_ms = 2000;          // attractor hold time that scores its cell; at least 1
    uint32_t marker_speed = 400;      // board units per second; at least 1
    uint32_t letters_per_player = 3;  // letters each player holds
  };

  static constexpr int32_t kColumns = 4;
  static constexpr int32_t kRows = 3;
  static constexpr int32_t kCells = kColumns * kRows;
  static constexpr int32_t kCellSize = 100;
  static constexpr int32_t kWidth = kColumns * kCellSize;  // x in [0, kWidth)
  static constexpr int32_t kHeight = kRows * kCellSize;    // y in [0, kHeight)

  /// Deals the board from `seed`; the same options and seed replay the same game.
  Rules(Options options, uint64_t seed);

  /// Seats a player at a random cell's centre with freshly drawn letters; false if taken.
  bool add_player(Seat seat);
  /// Releases the seat for good; false if unknown.
  bool remove_player(Seat seat);
  /// Marks the seat's connection dropped or restored; false if unknown.
  bool set_connected(Seat seat, bool connected);
  /// Sets the seat's marker target, clamped onto the board; false if unknown.
  bool move(Seat seat, int32_t x, int32_t y);

  /// Advances markers, the attractor and scoring to `now`; the first call only starts the clock.
  void step(TimePoint now);

  /// The 12 board letters, row-major (cell = row * kColumns + column).
  std::string_view board() const { return board_; }
  /// The attractor's cell, or -1 before it first moved.
  int32_t attractor_cell() const { return attractor_cell_; }
  /// Hold progress in thousandths of hold_ms (0..999: reaching 1000 scores and resets).
  uint32_t attractor_progress() const;
  /// The seat's state, or nullptr if the seat is not held.
  const Player* player(Seat seat) const;
  /// Every held seat's state, ascending by seat.
  std::span<const Player> players() const { return players_; }
  /// Number of held seats.
  std::size_t player_count() const { return players_.size(); }

  /// Changes accumulated since the last clear_changes().
  const Changes& changes() const { return changes_; }
  /// Starts a new change window; keeps the vectors' capacity so ticking does not allocate.
  void clear_changes();

  /// The cell containing `p` (p must be on the board).
  static int32_t cell_at(Point p) { return (p.y / kCellSize) * kColumns + p.x / kCellSize; }
  /// The centre of `cell`.
  static Point cell_center(int32_t cell) {
    return {(cell % kColumns) * kCellSize + kCellSize / 2,
            (cell / kColumns) * kCellSize + kCellSize / 2};
  }

 private:
  // Bookkeeping kept beside each Player (same index). Positions are computed from the start of
  // the current leg rather than accumulated per step, so the path does not depend on tick rate.
  struct Track {
    Point leg_from;
    TimePoint leg_start;
    bool listed_moved = false;    // already in changes_.moved
    bool listed_updated = false;  // already in changes_.updated
  };

  std::size_t index_of(Seat seat) const;  // players_.size() if not held
  uint64_t uniform_below(uint64_t n);
  char draw_from_bag();
  char draw_from_board();
  Point position_at(const Player& player, const Track& track, TimePoint now) const;
  void advance_markers(TimePoint now);
  void update_attractor(SteadyClock::duration elapsed);
  void score_cell(int32_t cell);
  void note_moved(std::size_t i);
  void note_updated(std::size_t i);
  void note_attractor();

  Options options_;
  std::mt19937_64 rng_;
  std::string board_;
  std::vector<Player> players_;  // ascending by seat
  std::vector<Track> tracks_;    // tracks_[i] belongs to players_[i]
  bool started_ = false;
  TimePoint last_{};
  int32_t attractor_cell_ = -1;
  SteadyClock::duration progress_{0};
  SteadyClock::duration hold_;
  Changes changes_;
  int32_t reported_cell_ = -1;  // attractor as of the last clear_changes()
  uint32_t reported_progress_ = 0;
};

}  // namespace rookery::games::spelltraction

// SpellTraction rules and their wire encoding, driven by an injected clock and fixed seeds.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "games/game_types.hpp"
#include "games/spelltraction/rules.hpp"
#include "games/spelltraction/spelltraction_game.hpp"
#include "spelltraction.pb.h"

namespace rookery::games {
namespace {

using spelltraction::Player;
using spelltraction::Point;
using spelltraction::Rules;
namespace pb = proto::spelltraction;

TimePoint at(int64_t ms) {
  return TimePoint{} + std::chrono::milliseconds(ms);
}

// Markers cross the board within a millisecond, so one step puts everyone where they were sent.
Rules::Options fast() {
  Rules::Options options;
  options.marker_speed = 1'000'000;
  return options;
}

void place(Rules& rules, Seat seat, int32_t cell) {
  const Point p = Rules::cell_center(cell);
  ASSERT_TRUE(rules.move(seat, p.x, p.y));
}

bool on_board(const Rules& rules, char letter) {
  return rules.board().find(letter) != std::string_view::npos;
}

TEST(SpellTractionRules, BoardHasTwelveLettersAndIsReproducible) {
  Rules a({}, 42);
  Rules b({}, 42);
  ASSERT_EQ(a.board().size(), 12u);
  for (char c : a.board()) {
    EXPECT_GE(c, 'A');
    EXPECT_LE(c, 'Z');
  }
  EXPECT_EQ(a.board(), b.board());
  ASSERT_TRUE(a.add_player(1));
  ASSERT_TRUE(b.add_player(1));
  EXPECT_EQ(a.player(1)->letters, b.player(1)->letters);
  EXPECT_EQ(a.player(1)->position, b.player(1)->position);

  bool some_seed_differs = false;
  for (uint64_t seed = 43; seed < 53; ++seed) {
    if (Rules({}, seed).board() != a.board()) some_seed_differs = true;
  }
  EXPECT_TRUE(some_seed_differs);
}

TEST(SpellTractionRules, NewPlayerSpawnsAtACellCentreStandingStill) {
  Rules rules({}, 1);
  ASSERT_TRUE(rules.add_player(3));
  const Player* p = rules.player(3);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->position, p->target);
  EXPECT_EQ(p->position, Rules::cell_center(Rules::cell_at(p->position)));
  EXPECT_EQ(p->score, 0u);
  EXPECT_TRUE(p->connected);
}

TEST(SpellTractionRules, PlayerLettersAreDrawnFromTheBoard) {
  Rules rules({}, 9);
  for (Seat seat = 0; seat < 40; ++seat) {
    ASSERT_TRUE(rules.add_player(seat));
    const Player* p = rules.player(seat);
    ASSERT_EQ(p->letters.size(), 3u);
    for (char c : p->letters) EXPECT_TRUE(on_board(rules, c)) << c;
  }
}

TEST(SpellTractionRules, MarkerMovesAtConfiguredSpeedAndArrivesExactly) {
  Rules rules({}, 5);  // 400 units per second
  ASSERT_TRUE(rules.add_player(1));
  rules.step(at(0));
  ASSERT_TRUE(rules.move(1, 0, 0));
  rules.step(at(10'000));
  EXPECT_EQ(rules.player(1)->position, (Point{0, 0}));

  ASSERT_TRUE(rules.move(1, 399, 0));
  rules.step(at(10'500));
  EXPECT_EQ(rules.player(1)->position, (Point{200, 0}));
  rules.step(at(10'990));
  EXPECT_EQ(rules.player(1)->position, (Point{396, 0}));
  rules.step(at(11'000));
  EXPECT_EQ(rules.player(1)->position, (Point{399, 0}));
  rules.step(at(12'000));
  EXPECT_EQ(rules.player(1)->position, (Point{399, 0}));

  // Diagonal: 300 units along a 3-4-5 line take 0.75 s.
  ASSERT_TRUE(rules.move(1, 399 - 240, 180));
  rules.step(at(12'375));
  EXPECT_EQ(rules.player(1)->position, (Point{399 - 120, 90}));
  rules.step(at(12'750));
  EXPECT_EQ(rules.player(1)->position, (Point{399 - 240, 180}));
}

TEST(SpellTractionRules, MoveTargetIsClampedOntoTheBoard) {
  Rules rules(fast(), 5);
  ASSERT_TRUE(rules.add_player(1));
  rules.step(at(0));
  ASSERT_TRUE(rules.move(1, -50, 1000));
  EXPECT_EQ(rules.player(1)->target, (Point{0, 299}));
  ASSERT_TRUE(rules.move(1, 400, -1));
  EXPECT_EQ(rules.player(1)->target, (Point{399, 0}));
  rules.step(at(1));
  EXPECT_EQ(rules.player(1)->position, (Point{399, 0}));
}

TEST(SpellTractionRules, MovementDoesNotDependOnTickRate) {
  Rules fine({}, 8);
  Rules coarse({}, 8);
  for (Rules* r : {&fine, &coarse}) {
    ASSERT_TRUE(r->add_player(1));
    r->step(at(0));
    ASSERT_TRUE(r->move(1, 0, 0));
    r->step(at(5'000));
    ASSERT_TRUE(r->move(1, 399, 299));
  }
  for (int64_t t = 5'007; t <= 5'300; t += 7) fine.step(at(t));
  fine.step(at(5'300));
  coarse.step(at(5'300));
  EXPECT_EQ(fine.player(1)->position, coarse.player(1)->position);
  EXPECT_NE(fine.player(1)->position, fine.player(1)->target);  // still on the way
}

TEST(SpellTractionRules, FirstStepOnlyStartsTheClock) {
  Rules rules({}, 5);
  ASSERT_TRUE(rules.add_player(1));
  ASSERT_TRUE(rules.move(1, 0, 0));
  const Point spawn = rules.player(1)->position;
  rules.step(at(60'000));
  EXPECT_EQ(rules.player(1)->position, spawn);
  rules.step(at(70'000));
  EXPECT_EQ(rules.player(1)->position, (Point{0, 0}));
}

TEST(SpellTractionRules, UnknownSeatIsIgnored) {
  Rules rules({}, 5);
  EXPECT_FALSE(rules.move(7, 1, 1));
  EXPECT_FALSE(rules.remove_player(7));
  EXPECT_FALSE(rules.set_connected(7, false));
  EXPECT_EQ(rules.player(7), nullptr);
  ASSERT_TRUE(rules.add_player(7));
  EXPECT_FALSE(rules.add_player(7));
}

TEST(SpellTractionRules, AttractorNeedsTwoPlayersInOneCell) {
  Rules rules(fast(), 3);
  ASSERT_TRUE(rules.add_player(1));
  rules.step(at(0));
  place(rules, 1, 5);
  rules.step(at(1));
  EXPECT_EQ(rules.attractor_cell(), -1);

  ASSERT_TRUE(rules.add_player(2));
  place(rules, 2, 5);
  rules.step(at(2));
  EXPECT_EQ(rules.attractor_cell(), 5);
  EXPECT_EQ(rules.attractor_progress(), 0u);
  rules.step(at(502));
  EXPECT_EQ(rules.attractor_progress(), 250u);
}

TEST(SpellTractionRules, TieKeepsAttractorAndPausesProgress) {
  Rules rules(fast(), 3);
  for (Seat s = 1; s <= 4; ++s) ASSERT_TRUE(rules.add_player(s));
  rules.step(at(0));
  place(rules, 1, 5);
  place(rules, 2, 5);
  place(rules, 3, 0);
  place(rules, 4, 11);
  rules.step(at(1));
  ASSERT_EQ(rules.attractor_cell(), 5);
  rules.step(at(501));
  ASSERT_EQ(rules.attractor_progress(), 250u);

  place(rules, 3, 6);
  place(rules, 4, 6);
  rules.step(at(502));
  EXPECT_EQ(rules.attractor_cell(), 5);
  EXPECT_EQ(rules.attractor_progress(), 250u);
  rules.step(at(1'500));
  EXPECT_EQ(rules.attractor_cell(), 5);
  EXPECT_EQ(rules.attractor_progress(), 250u);

  place(rules, 4, 11);  // the tie breaks: cell 5 leads again and progress resumes
  rules.step(at(1'501));
  rules.step(at(2'001));
  EXPECT_EQ(rules.attractor_cell(), 5);
  EXPECT_EQ(rules.attractor_progress(), 500u);
}

TEST(SpellTractionRules, AttractorMovesToANewUniqueCrowdAndResets) {
  Rules rules(fast(), 3);
  for (Seat s = 1; s <= 5; ++s) ASSERT_TRUE(rules.add_player(s));
  rules.step(at(0));
  place(rules, 1, 5);
  place(rules, 2, 5);
  place(rules, 3, 0);
  place(rules, 4, 1);
  place(rules, 5, 2);
  rules.step(at(1));
  rules.step(at(1'001));
  ASSERT_EQ(rules.attractor_cell(), 5);
  ASSERT_EQ(rules.attractor_progress(), 500u);

  place(rules, 3, 6);
  place(rules, 4, 6);
  place(rules, 5, 6);
  rules.step(at(1'002));
  EXPECT_EQ(rules.attractor_cell(), 6);
  EXPECT_EQ(rules.attractor_progress(), 0u);

  // Everyone leaves: no crowd, so the attractor stays where it is.
  place(rules, 3, 0);
  place(rules, 4, 1);
  place(rules, 5, 2);
  place(rules, 2, 3);
  rules.step(at(1'003));
  EXPECT_EQ(rules.attractor_cell(), 6);
}

TEST(SpellTractionRules, DisconnectedMarkersDoNotCount) {
  Rules rules(fast(), 3);
  ASSERT_TRUE(rules.add_player(1));
  ASSERT_TRUE(rules.add_player(2));
  rules.step(at(0));
  place(rules, 1, 7);
  place(rules, 2, 7);
  ASSERT_TRUE(rules.set_connected(2, false));
  rules.step(at(1));
  EXPECT_EQ(rules.attractor_cell(), -1);
  EXPECT_FALSE(rules.player(2)->connected);

  ASSERT_TRUE(rules.set_connected(2, true));
  rules.step(at(2));
  EXPECT_EQ(rules.attractor_cell(), 7);
}

TEST(SpellTractionRules, ScoresExactlyAtHoldTime) {
  Rules rules(fast(), 11);
  const std::vector<Seat> seats = {1, 2, 3, 4, 5, 6, 7, 8};
  for (Seat s : seats) ASSERT_TRUE(rules.add_player(s));

  // A cell whose letter some players hold and others do not, so both sides are checked.
  int32_t cell = -1;
  for (int32_t c = 0; c < Rules::kCells && cell < 0; ++c) {
    const char letter = rules.board()[c];
    std::size_t holders = 0;
    for (Seat s : seats) holders += rules.player(s)->letters.find(letter) != std::string::npos;
    if (holders > 0 && holders < seats.size()) cell = c;
  }
  ASSERT_GE(cell, 0) << "seed gives no suitable cell";
  const char letter = rules.board()[cell];
  const std::string board_before(rules.board());
  std::vector<Player> before;
  for (const Player& p : rules.players()) before.push_back(p);

  rules.step(at(0));
  place(rules, 1, cell);
  place(rules, 2, cell);
  int32_t other = 0;
  for (std::size_t i = 2; i < seats.size(); ++i, ++other) {
    if (other == cell) ++other;
    place(rules, seats[i], other);
  }
  rules.step(at(1));
  ASSERT_EQ(rules.attractor_cell(), cell);
  rules.step(at(2'000));
  EXPECT_EQ(rules.attractor_progress(), 999u);
  EXPECT_TRUE(rules.changes().scored.empty());
  EXPECT_EQ(rules.board(), board_before);

  rules.step(at(2'001));
  EXPECT_EQ(rules.attractor_cell(), cell);
  EXPECT_EQ(rules.attractor_progress(), 0u);
  ASSERT_EQ(rules.changes().scored.size(), 1u);
  const spelltraction::ScoredEvent& event = rules.changes().scored[0];
  EXPECT_EQ(event.cell, cell);
  EXPECT_EQ(event.letter, letter);
  EXPECT_TRUE(rules.changes().board);

  EXPECT_NE(rules.board()[cell], letter);
  for (int32_t c = 0; c < Rules::kCells; ++c) {
    if (c != cell) {
      EXPECT_EQ(rules.board()[c], board_before[c]);
    }
  }

  std::vector<Seat> holders;
  for (const Player& old : before) {
    const Player* now = rules.player(old.seat);
    ASSERT_NE(now, nullptr);
    const auto at_letter = old.letters.find(letter);
    if (at_letter == std::string::npos) {
      EXPECT_EQ(now->score, old.score) << old.seat;
      EXPECT_EQ(now->letters, old.letters) << old.seat;
      continue;
    }
    holders.push_back(old.seat);
    EXPECT_EQ(now->score, old.score + 1) << old.seat;
    // Exactly one copy was replaced, by a letter that is on the board now.
    ASSERT_EQ(now->letters.size(), old.letters.size());
    std::string kept = old.letters;
    kept.erase(at_letter, 1);
    EXPECT_EQ(now->letters.substr(0, at_letter) + now->letters.substr(at_letter + 1), kept);
    EXPECT_TRUE(on_board(rules, now->letters[at_letter])) << now->letters;
    EXPECT_TRUE(std::ranges::count(rules.changes().updated, old.seat) == 1);
  }
  EXPECT_EQ(event.seats, holders);
}

TEST(SpellTractionRules, ScoringWithNoHoldersStillReplacesTheBoardLetter) {
  for (uint64_t seed = 1; seed < 50; ++seed) {
    Rules rules(fast(), seed);
    ASSERT_TRUE(rules.add_player(1));
    ASSERT_TRUE(rules.add_player(2));
    int32_t cell = -1;
    for (int32_t c = 0; c < Rules::kCells && cell < 0; ++c) {
      const char letter = rules.board()[c];
      if (rules.player(1)->letters.find(letter) == std::string::npos &&
          rules.player(2)->letters.find(letter) == std::string::npos) {
        cell = c;
      }
    }
    if (cell < 0) continue;
    const char letter = rules.board()[cell];
    rules.step(at(0));
    place(rules, 1, cell);
    place(rules, 2, cell);
    rules.step(at(1));
    rules.step(at(2'001));
    ASSERT_EQ(rules.changes().scored.size(), 1u);
    EXPECT_TRUE(rules.changes().scored[0].seats.empty());
    EXPECT_NE(rules.board()[cell], letter);
    EXPECT_EQ(rules.player(1)->score, 0u);
    EXPECT_EQ(rules.player(2)->score, 0u);
    return;
  }
  FAIL() << "no seed gave an unheld board letter";
}

TEST(SpellTractionRules, RemovePlayerFreesTheSeat) {
  Rules rules(fast(), 3);
  ASSERT_TRUE(rules.add_player(1));
  ASSERT_TRUE(rules.add_player(2));
  rules.step(at(0));
  place(rules, 1, 4);
  place(rules, 2, 4);
  rules.step(at(1));
  rules.step(at(501));
  ASSERT_EQ(rules.attractor_cell(), 4);
  rules.clear_changes();

  ASSERT_TRUE(rules.remove_player(2));
  EXPECT_EQ(rules.player(2), nullptr);
  EXPECT_EQ(rules.player_count(), 1u);
  EXPECT_EQ(rules.changes().gone, std::vector<Seat>{2});
  EXPECT_FALSE(rules.move(2, 0, 0));
  rules.step(at(1'001));
  EXPECT_EQ(rules.attractor_cell(), 4);
  EXPECT_EQ(rules.attractor_progress(), 250u);  // one marker left: paused

  ASSERT_TRUE(rules.add_player(2));  // retaken in the same window: a fresh player, not gone
  EXPECT_TRUE(rules.changes().gone.empty());
  EXPECT_EQ(rules.player(2)->score, 0u);
}

TEST(SpellTractionRules, ChangesTrackOnlyWhatChanged) {
  Rules rules(fast(), 3);
  ASSERT_TRUE(rules.add_player(1));
  ASSERT_TRUE(rules.add_player(2));
  EXPECT_EQ(rules.changes().moved, (std::vector<Seat>{1, 2}));
  EXPECT_EQ(rules.changes().updated, (std::vector<Seat>{1, 2}));
  rules.step(at(0));
  rules.clear_changes();
  EXPECT_TRUE(rules.changes().empty());

  place(rules, 1, 0);
  place(rules, 2, 11);
  rules.clear_changes();
  rules.step(at(1));
  EXPECT_FALSE(rules.changes().moved.empty());
  EXPECT_TRUE(rules.changes().updated.empty());
  EXPECT_FALSE(rules.changes().board);
  rules.clear_changes();
  rules.step(at(2));
  EXPECT_TRUE(rules.changes().empty());
}

// --- wire encoding -------------------------------------------------------------------------

pb::Frame parse(const std::string& bytes) {
  pb::Frame frame;
  EXPECT_TRUE(frame.ParseFromString(bytes));
  return frame;
}

std::string move_payload(int32_t x, int32_t y) {
  pb::Move move;
  move.set_x(x);
  move.set_y(y);
  return move.SerializeAsString();
}

TEST(SpellTractionGame, FirstDeltaHasNewMarkersAndPlayers) {
  SpellTractionGame game(fast(), 21);
  game.add_player(1, "ann");
  game.add_player(2, "bob");
  game.step(at(0));
  std::string out;
  game.encode_delta(out);
  ASSERT_FALSE(out.empty());
  const pb::Frame frame = parse(out);
  EXPECT_FALSE(frame.full());
  ASSERT_EQ(frame.markers_size(), 2);
  EXPECT_EQ(frame.markers(0).seat(), 1u);
  EXPECT_EQ(frame.markers(1).seat(), 2u);
  EXPECT_EQ(frame.markers(0).x(), game.rules().player(1)->position.x);
  ASSERT_EQ(frame.players_size(), 2);
  EXPECT_EQ(frame.players(0).letters(), game.rules().player(1)->letters);
  EXPECT_EQ(frame.players(0).score(), 0u);
  EXPECT_TRUE(frame.board().empty());  // the board did not change
}

TEST(SpellTractionGame, NothingChangedAppendsNothing) {
  SpellTractionGame game(fast(), 21);
  game.add_player(1, "ann");
  game.step(at(0));
  std::string out;
  game.encode_delta(out);
  out.clear();
  game.encode_delta(out);
  EXPECT_TRUE(out.empty());
  game.step(at(50));  // one player standing still: nothing moves, no attractor
  game.encode_delta(out);
  EXPECT_TRUE(out.empty());
}

TEST(SpellTractionGame, DeltaCarriesOnlyTheMovedMarker) {
  SpellTractionGame game(fast(), 21);
  game.add_player(1, "ann");
  game.add_player(2, "bob");
  game.step(at(0));
  std::string out;
  game.encode_delta(out);
  out.clear();

  ASSERT_TRUE(game.apply_input(1, 1, move_payload(-10, 5000)));
  game.step(at(10));
  game.encode_delta(out);
  const pb::Frame frame = parse(out);
  ASSERT_EQ(frame.markers_size(), 1);
  EXPECT_EQ(frame.markers(0).seat(), 1u);
  EXPECT_EQ(frame.markers(0).x(), 0);
  EXPECT_EQ(frame.markers(0).y(), 299);
  EXPECT_EQ(frame.players_size(), 0);
  EXPECT_EQ(frame.gone_size(), 0);
}

TEST(SpellTractionGame, DeltaReportsAttractorScoringAndGoneSeats) {
  SpellTractionGame game(fast(), 21);
  game.add_player(1, "ann");
  game.add_player(2, "bob");
  game.step(at(0));
  std::string out;
  game.encode_delta(out);

  const Point centre = Rules::cell_center(6);
  ASSERT_TRUE(game.apply_input(1, 1, move_payload(centre.x, centre.y)));
  ASSERT_TRUE(game.apply_input(2, 1, move_payload(centre.x, centre.y)));
  game.step(at(1));
  out.clear();
  game.encode_delta(out);
  pb::Frame frame = parse(out);
  ASSERT_TRUE(frame.has_attractor());
  EXPECT_EQ(frame.attractor().cell(), 6);
  EXPECT_EQ(frame.attractor().progress(), 0u);

  const char letter = game.rules().board()[6];
  game.step(at(2'001));
  out.clear();
  game.encode_delta(out);
  frame = parse(out);
  ASSERT_EQ(frame.scored_size(), 1);
  EXPECT_EQ(frame.scored(0).cell(), 6u);
  EXPECT_EQ(frame.scored(0).letter(), std::string(1, letter));
  EXPECT_EQ(frame.board(), game.rules().board());
  EXPECT_EQ(frame.players_size(), frame.scored(0).seats_size());
  for (Seat seat : frame.scored(0).seats()) EXPECT_EQ(game.score(seat), 1);

  game.remove_player(2);
  out.clear();
  game.encode_delta(out);
  frame = parse(out);
  ASSERT_EQ(frame.gone_size(), 1);
  EXPECT_EQ(frame.gone(0), 2u);
}

TEST(SpellTractionGame, SnapshotIsFull) {
  SpellTractionGame game({}, 21);
  game.add_player(1, "ann");
  game.add_player(4, "dan");
  game.step(at(0));
  std::string out;
  game.encode_snapshot(out);
  const pb::Frame frame = parse(out);
  EXPECT_TRUE(frame.full());
  EXPECT_EQ(frame.board().size(), 12u);
  EXPECT_EQ(frame.board(), game.rules().board());
  ASSERT_TRUE(frame.has_attractor());
  EXPECT_EQ(frame.attractor().cell(), -1);
  EXPECT_EQ(frame.markers_size(), 2);
  ASSERT_EQ(frame.players_size(), 2);
  EXPECT_EQ(frame.players(1).seat(), 4u);
  EXPECT_EQ(frame.players(1).letters().size(), 3u);

  // A snapshot does not consume the pending delta.
  std::string delta;
  game.encode_delta(delta);
  EXPECT_EQ(parse(delta).markers_size(), 2);
}

TEST(SpellTractionGame, RejectsMalformedInputAndUnknownSeats) {
  SpellTractionGame game({}, 21);
  game.add_player(1, "ann");
  EXPECT_FALSE(game.apply_input(1, 1, std::string("\xff\xff\xff", 3)));
  EXPECT_FALSE(game.apply_input(1, 2, std::string("\x08", 1)));  // truncated varint
  EXPECT_FALSE(game.apply_input(9, 3, move_payload(1, 1)));
  EXPECT_TRUE(game.apply_input(1, 4, move_payload(1, 1)));
  EXPECT_TRUE(game.apply_input(1, 5, ""));  // an empty Move is (0, 0)
  EXPECT_EQ(game.score(1), 0);
  EXPECT_EQ(game.score(9), 0);
}

TEST(GameTypes, BuiltinTypesFollowTheSettings) {
  GameSettings settings;
  settings.spelltraction_max_players = 10;
  settings.relay_tick_hz = 30;
  const std::vector<rooms::GameType> types = builtin_game_types(settings);
  ASSERT_EQ(types.size(), 2u);
  EXPECT_EQ(types[0].name, "spelltraction");
  EXPECT_EQ(types[0].tick_hz, 20u);
  EXPECT_EQ(types[0].default_max_players, 10u);
  EXPECT_EQ(types[0].max_players_limit, 10u);
  EXPECT_EQ(types[1].name, "relay");
  EXPECT_EQ(types[1].tick_hz, 30u);
  EXPECT_EQ(types[1].default_max_players, 16u);
  EXPECT_EQ(types[1].max_players_limit, 64u);
  for (const rooms::GameType& type : types) EXPECT_NE(type.make(1), nullptr);
}

}  // namespace
}  // namespace rookery::games

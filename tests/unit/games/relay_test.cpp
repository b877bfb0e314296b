// The relay game: inputs are forwarded verbatim, in arrival order, once per tick.
#include <gtest/gtest.h>

#include <string>

#include "games/relay/relay_game.hpp"
#include "relay.pb.h"

namespace rookery::games {
namespace {

namespace pb = proto::relay;

pb::Frame parse(const std::string& bytes) {
  pb::Frame frame;
  EXPECT_TRUE(frame.ParseFromString(bytes));
  return frame;
}

TEST(RelayGame, FramesInputsInArrivalOrderAndClears) {
  RelayGame game;
  game.add_player(0, "ann");
  game.add_player(3, "bob");
  const std::string binary("a\0b\xff", 4);
  ASSERT_TRUE(game.apply_input(3, 10, "first"));
  ASSERT_TRUE(game.apply_input(0, 7, binary));
  ASSERT_TRUE(game.apply_input(3, 11, ""));
  game.step(TimePoint{});

  std::string out;
  game.encode_delta(out);
  const pb::Frame frame = parse(out);
  ASSERT_EQ(frame.inputs_size(), 3);
  EXPECT_EQ(frame.inputs(0).seat(), 3u);
  EXPECT_EQ(frame.inputs(0).seq(), 10u);
  EXPECT_EQ(frame.inputs(0).data(), "first");
  EXPECT_EQ(frame.inputs(1).seat(), 0u);
  EXPECT_EQ(frame.inputs(1).seq(), 7u);
  EXPECT_EQ(frame.inputs(1).data(), binary);
  EXPECT_EQ(frame.inputs(2).seq(), 11u);
  EXPECT_TRUE(frame.inputs(2).data().empty());

  out.clear();
  game.encode_delta(out);
  EXPECT_TRUE(out.empty());

  ASSERT_TRUE(game.apply_input(0, 8, "again"));
  game.encode_delta(out);
  const pb::Frame next = parse(out);
  ASSERT_EQ(next.inputs_size(), 1);
  EXPECT_EQ(next.inputs(0).data(), "again");
}

TEST(RelayGame, RejectsOversizePayloads) {
  RelayGame game;
  game.add_player(1, "ann");
  EXPECT_TRUE(game.apply_input(1, 1, std::string(RelayGame::kMaxPayloadBytes, 'x')));
  EXPECT_FALSE(game.apply_input(1, 2, std::string(RelayGame::kMaxPayloadBytes + 1, 'x')));
  std::string out;
  game.encode_delta(out);
  EXPECT_EQ(parse(out).inputs_size(), 1);
}

TEST(RelayGame, RejectsSeatsNotHeld) {
  RelayGame game;
  EXPECT_FALSE(game.apply_input(1, 1, "x"));
  game.add_player(1, "ann");
  EXPECT_TRUE(game.apply_input(1, 2, "y"));
  game.remove_player(1);
  EXPECT_FALSE(game.apply_input(1, 3, "z"));
  // What arrived while the seat was held is still relayed.
  std::string out;
  game.encode_delta(out);
  EXPECT_EQ(parse(out).inputs_size(), 1);
}

TEST(RelayGame, SnapshotIsEmptyAndScoreIsZero) {
  RelayGame game;
  game.add_player(1, "ann");
  ASSERT_TRUE(game.apply_input(1, 1, "x"));
  std::string out;
  game.encode_snapshot(out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(parse(out).inputs_size(), 0);
  EXPECT_EQ(game.score(1), 0);
}

}  // namespace
}  // namespace rookery::games

// Unit tests for the room actor: seating, ticking, one shared State per tick, leave, held seats
// and their expiry, close and the empty-room timeout. A recording hub stands in for the
// shards; the room runs on a real io_context in this thread.
#include "rooms/room.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <functional>

#include "games/game_types.hpp"
#include "net/framing.hpp"
#include "relay.pb.h"
#include "rookery.pb.h"

namespace rookery::rooms {
namespace {

using namespace std::chrono_literals;

struct Delivery {
  ShardIndex shard;
  std::vector<SessionId> sessions;
  std::shared_ptr<const std::string> frames;
};

/// Records what the room asks of the outside world.
class RecordingHub : public RoomHub {
 public:
  std::vector<Delivery> deliveries;
  std::vector<std::pair<SessionId, SeatUpdate>> updates;
  std::vector<store::MatchResult> matches;
  std::vector<PlayerId> gone;
  std::vector<RoomId> disposed;
  std::vector<std::pair<SessionId, std::shared_ptr<const std::string>>> sent;

  void deliver(ShardIndex shard, std::shared_ptr<const std::vector<SessionId>> sessions,
               std::shared_ptr<const std::string> frames) override {
    deliveries.push_back({shard, *sessions, std::move(frames)});
  }
  void send(ShardIndex, SessionId session, std::shared_ptr<const std::string> frames) override {
    sent.emplace_back(session, std::move(frames));
  }
  void update_seat(ShardIndex, SessionId session, SeatUpdate update) override {
    updates.emplace_back(session, std::move(update));
  }
  void record_matches(std::vector<store::MatchResult> results) override {
    matches.insert(matches.end(), results.begin(), results.end());
  }
  void seat_gone(PlayerId player, RoomId) override { gone.push_back(player); }
  void room_disposed(RoomId room) override { disposed.push_back(room); }
};

std::vector<proto::Envelope> decode(const std::string& frames) {
  std::vector<proto::Envelope> out;
  net::for_each_frame(frames, [&](std::string_view f) {
    proto::Envelope env;
    EXPECT_TRUE(env.ParseFromArray(f.data(), static_cast<int>(f.size())));
    out.push_back(std::move(env));
  });
  return out;
}

class RoomTest : public ::testing::Test {
 protected:
  std::shared_ptr<Room> make_room(RoomSettings s) {
    const auto types = games::builtin_game_types(games::GameSettings{});
    const GameType& relay = types.at(1);
    EXPECT_EQ(relay.name, "relay");
    auto room = std::make_shared<Room>(7, "relay", "test", relay.make(1), s, io, 0, hub);
    room->start();
    return room;
  }
  // Runs the loop until `done()` or the timeout; generous, so a busy machine does not flake.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      io.restart();
      io.run_for(5ms);
    }
    return true;
  }
  JoinRequest request(PlayerId p, SessionId s, ShardIndex shard = 0) {
    return JoinRequest{p, "player" + std::to_string(p), s, shard, 42};
  }

  boost::asio::io_context io;
  RecordingHub hub;
};

TEST_F(RoomTest, JoinGrantsSeatWithSnapshot) {
  auto room = make_room({});
  room->join(request(1, 100));
  ASSERT_EQ(hub.updates.size(), 1u);
  const auto& [sid, u] = hub.updates[0];
  EXPECT_EQ(sid, 100u);
  EXPECT_EQ(u.kind, SeatUpdate::Kind::granted);
  EXPECT_EQ(u.seat, 0u);
  const auto envs = decode(*u.frames);
  ASSERT_EQ(envs.size(), 1u);
  ASSERT_TRUE(envs[0].has_joined());
  EXPECT_EQ(envs[0].request_id(), 42u);
  EXPECT_EQ(envs[0].joined().room().room_id(), 7u);
  EXPECT_EQ(envs[0].joined().members_size(), 1);
  EXPECT_EQ(room->member_count(), 1u);
}

TEST_F(RoomTest, FullRoomRefuses) {
  RoomSettings s;
  s.max_players = 1;
  auto room = make_room(s);
  room->join(request(1, 100));
  room->join(request(2, 200));
  ASSERT_EQ(hub.updates.size(), 2u);
  EXPECT_EQ(hub.updates[1].second.kind, SeatUpdate::Kind::refused);
  EXPECT_EQ(hub.updates[1].second.error_code, proto::ROOM_FULL);
}

TEST_F(RoomTest, OneSharedStatePerTickToEveryShard) {
  auto room = make_room({});
  room->join(request(1, 100, 0));
  room->join(request(2, 200, 1));
  room->push_input(0, 100, 5, "hello");
  ASSERT_TRUE(run_until([&] { return hub.deliveries.size() >= 2; }));
  // The first tick goes to both shards with the very same buffer.
  EXPECT_EQ(hub.deliveries[0].frames.get(), hub.deliveries[1].frames.get());
  const auto envs = decode(*hub.deliveries[0].frames);
  ASSERT_FALSE(envs.empty());
  const auto& state = envs.back();
  ASSERT_TRUE(state.has_state());
  EXPECT_EQ(state.state().room_id(), 7u);
  ASSERT_EQ(state.state().acks_size(), 1);
  EXPECT_EQ(state.state().acks(0).seq(), 5u);
  proto::relay::Frame relayed;
  ASSERT_TRUE(relayed.ParseFromString(state.state().payload()));
  ASSERT_EQ(relayed.inputs_size(), 1);
  EXPECT_EQ(relayed.inputs(0).data(), "hello");
  // Join events were batched into the same buffer as the state.
  EXPECT_TRUE(envs.front().has_event());
}

TEST_F(RoomTest, InputFromWrongSessionIsIgnored) {
  auto room = make_room({});
  room->join(request(1, 100));
  room->push_input(0, 999, 1, "spoof");
  ASSERT_TRUE(run_until([&] { return !hub.deliveries.empty(); }));
  const auto envs = decode(*hub.deliveries.back().frames);
  proto::relay::Frame relayed;
  ASSERT_TRUE(relayed.ParseFromString(envs.back().state().payload()));
  EXPECT_EQ(relayed.inputs_size(), 0);
  EXPECT_EQ(room->stats().inputs, 0u);
}

TEST_F(RoomTest, InputQueueIsBounded) {
  RoomSettings s;
  s.input_queue = 3;
  auto room = make_room(s);
  room->join(request(1, 100));
  for (uint32_t i = 0; i < 10; ++i) room->push_input(0, 100, i, "x");
  EXPECT_EQ(room->stats().inputs_dropped, 7u);
}

TEST_F(RoomTest, LeavePersistsAndReleases) {
  auto room = make_room({});
  room->join(request(1, 100));
  room->leave(1, 100, 0, 9, "left");
  ASSERT_EQ(hub.updates.size(), 2u);
  EXPECT_EQ(hub.updates[1].second.kind, SeatUpdate::Kind::released);
  const auto envs = decode(*hub.updates[1].second.frames);
  ASSERT_TRUE(envs[0].has_left());
  EXPECT_EQ(envs[0].request_id(), 9u);
  ASSERT_EQ(hub.matches.size(), 1u);
  EXPECT_EQ(hub.matches[0].player_id, 1);
  EXPECT_EQ(hub.gone, std::vector<PlayerId>{1});
  EXPECT_EQ(room->member_count(), 0u);
}

TEST_F(RoomTest, DisconnectHoldsSeatUntilGraceExpires) {
  RoomSettings s;
  s.reconnect_grace = 100ms;
  auto room = make_room(s);
  room->join(request(1, 100));
  room->disconnected(1, 100);
  EXPECT_EQ(room->member_count(), 1u);  // held
  // A reattach within the grace gets the same seat back.
  room->reattach(request(1, 101));
  ASSERT_EQ(hub.updates.back().second.kind, SeatUpdate::Kind::granted);
  EXPECT_EQ(hub.updates.back().second.seat, 0u);
  room->disconnected(1, 101);
  ASSERT_TRUE(run_until([&] { return !hub.gone.empty(); }));
  EXPECT_EQ(room->member_count(), 0u);
  EXPECT_EQ(hub.matches.size(), 1u);
  room->reattach(request(1, 102));
  EXPECT_EQ(hub.updates.back().second.kind, SeatUpdate::Kind::refused);
  EXPECT_EQ(hub.updates.back().second.error_code, proto::RECONNECT_EXPIRED);
}

TEST_F(RoomTest, StaleDisconnectDoesNotEvictNewSession) {
  auto room = make_room({});
  room->join(request(1, 100));
  room->reattach(request(1, 101));  // newer login took the seat
  room->disconnected(1, 100);       // the old connection's drop arrives late
  room->push_input(0, 101, 1, "still here");
  EXPECT_EQ(room->stats().inputs, 1u);
}

TEST_F(RoomTest, CloseReleasesEveryoneAndDisposes) {
  auto room = make_room({});
  room->join(request(1, 100));
  room->join(request(2, 200));
  room->close("maintenance");
  EXPECT_EQ(room->state(), Room::State::disposed);
  EXPECT_EQ(hub.disposed, std::vector<RoomId>{7});
  EXPECT_EQ(hub.matches.size(), 2u);
  ASSERT_FALSE(hub.deliveries.empty());
  bool saw_closing = false;
  for (const auto& env : decode(*hub.deliveries.back().frames)) {
    saw_closing |= env.has_event() && env.event().has_room_closing();
  }
  EXPECT_TRUE(saw_closing);
  room->join(request(3, 300));
  EXPECT_EQ(hub.updates.back().second.kind, SeatUpdate::Kind::refused);
}

TEST_F(RoomTest, EmptyRoomIsDisposedAfterTimeout) {
  RoomSettings s;
  s.empty_room_timeout = 100ms;
  auto room = make_room(s);
  ASSERT_TRUE(run_until([&] { return !hub.disposed.empty(); }));
  EXPECT_EQ(room->state(), Room::State::disposed);
}

TEST_F(RoomTest, LockedStateRoundTrips) {
  auto room = make_room({});
  room->set_locked(true);
  EXPECT_EQ(room->state(), Room::State::locked);
  room->set_locked(false);
  EXPECT_EQ(room->state(), Room::State::open);
}

}  // namespace
}  // namespace rookery::rooms

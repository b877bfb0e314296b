// The side-port's view of the server: snapshots, health and room detail gathered from the
// shards answer on the caller's executor and never wait there, even when a game loop is stuck.
// The shards here are never started, so a loop "answers" only when the test polls it.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>

#include "core/server.hpp"
#include "games/game_types.hpp"
#include "store/sqlite_store.hpp"
#include "store/store_fixtures.hpp"

namespace rookery::core {
namespace {

using namespace std::chrono_literals;
using store::testing_support::TempDir;

::testing::Environment* const kQuietLogs =
    ::testing::AddGlobalTestEnvironment(new store::testing_support::QuietLogs);

struct ServerAdminTest : ::testing::Test {
  TempDir dir;
  config::Config cfg;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<Server> server;
  boost::asio::io_context side_port;  // stands in for the side-port's thread

  void SetUp() override {
    cfg.net.threads = 2;
    store::StoreOptions o;
    o.path = dir.db();
    store = std::make_unique<store::SqliteStore>(o);
    server = std::make_unique<Server>(cfg, *store, games::builtin_game_types({}));
  }
  void TearDown() override { store->flush(); }

  // Runs one shard's loop once, as if that game thread got to its queue.
  void answer_from(ShardIndex shard) {
    server->shard(shard).io().restart();
    server->shard(shard).io().poll();
  }
  // Runs the side-port's loop until `done` or `limit`; returns the time it took.
  template <class Done>
  std::chrono::milliseconds run_side_port(Done done, std::chrono::milliseconds limit) {
    const auto start = std::chrono::steady_clock::now();
    while (!done() && std::chrono::steady_clock::now() - start < limit) {
      side_port.restart();
      side_port.run_for(5ms);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  }
};

TEST_F(ServerAdminTest, ASnapshotWithEveryShardAnsweringIsComplete) {
  std::optional<bool> complete;
  ServerSnapshot got;
  server->snapshot(side_port.get_executor(), 5s, [&](ServerSnapshot s, bool c) {
    got = std::move(s);
    complete = c;
  });
  answer_from(0);
  answer_from(1);
  run_side_port([&] { return complete.has_value(); }, 2s);
  ASSERT_TRUE(complete);
  EXPECT_TRUE(*complete);
  EXPECT_EQ(got.shards, 2u);
}

TEST_F(ServerAdminTest, AStuckShardCostsOneTimeoutNotAFrozenCaller) {
  std::optional<bool> complete;
  int calls = 0;
  server->snapshot(side_port.get_executor(), 100ms, [&](ServerSnapshot, bool c) {
    complete = c;
    ++calls;
  });
  answer_from(0);  // shard 1 never answers in time
  const auto took = run_side_port([&] { return complete.has_value(); }, 3s);
  ASSERT_TRUE(complete);
  EXPECT_FALSE(*complete);
  EXPECT_LT(took, 1500ms);
  // The late answer lands in memory that is still alive and does not call back again.
  answer_from(1);
  run_side_port([] { return false; }, 50ms);
  EXPECT_EQ(calls, 1);
}

TEST_F(ServerAdminTest, HealthIsFalseBeforeStartAndForAnUnknownRoomThereIsNoDetail) {
  std::optional<bool> healthy;
  server->healthy(side_port.get_executor(), 1s, [&](bool ok) { healthy = ok; });
  bool detail_called = false;
  std::optional<Server::RoomDetail> detail;
  server->room_detail(424242, side_port.get_executor(), 1s,
                      [&](std::optional<Server::RoomDetail> d) {
                        detail = std::move(d);
                        detail_called = true;
                      });
  run_side_port([&] { return healthy.has_value() && detail_called; }, 2s);
  ASSERT_TRUE(healthy);
  EXPECT_FALSE(*healthy);
  EXPECT_TRUE(detail_called);
  EXPECT_FALSE(detail);
}

TEST_F(ServerAdminTest, RoomDetailComesFromTheRoomsShardOrTimesOut) {
  const RoomOutcome made = server->core().create_room(RoomSpec{"relay", "detail-room", 4});
  ASSERT_TRUE(made.room) << made.refusal.message;
  const ShardIndex home = made.room->shard();

  std::optional<std::optional<Server::RoomDetail>> first;
  server->room_detail(made.room->id(), side_port.get_executor(), 5s,
                      [&](std::optional<Server::RoomDetail> d) { first = std::move(d); });
  answer_from(home);
  run_side_port([&] { return first.has_value(); }, 2s);
  ASSERT_TRUE(first);
  ASSERT_TRUE(*first);
  EXPECT_EQ((*first)->listing.name, "detail-room");

  std::optional<std::optional<Server::RoomDetail>> second;
  server->room_detail(made.room->id(), side_port.get_executor(), 100ms,
                      [&](std::optional<Server::RoomDetail> d) { second = std::move(d); });
  const auto took = run_side_port([&] { return second.has_value(); }, 3s);  // shard stuck
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);
  EXPECT_LT(took, 1500ms);

  made.room->close("test over");
  answer_from(home);
  answer_from(home);
}

}  // namespace
}  // namespace rookery::core

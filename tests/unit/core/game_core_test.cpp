// The game core's rules, with a fake host (one io_context run by the test, a record of closed
// sessions) and a real SQLite store in a temporary folder.
#include "core/game_core.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>

#include "core_fakes.hpp"
#include "games/game_types.hpp"
#include "rooms/room.hpp"
#include "store/sqlite_store.hpp"
#include "store/store_fixtures.hpp"

namespace rookery::core {
namespace {

using store::testing_support::TempDir;

::testing::Environment* const kQuietLogs =
    ::testing::AddGlobalTestEnvironment(new store::testing_support::QuietLogs);

struct GameCoreTest : ::testing::Test {
  TempDir dir;
  FakeHost host;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<GameCore> core;

  void SetUp() override {
    store::StoreOptions o;
    o.path = dir.db();
    store = std::make_unique<store::SqliteStore>(o);
    core = std::make_unique<GameCore>(config::RoomsConfig{}, *store,
                                      games::builtin_game_types(games::GameSettings{}), host);
  }
  void TearDown() override {
    for (const auto& room : core->all_rooms()) room->close("test over");
    host.io.poll();
  }

  LoginAnswer login(Credentials c) {
    std::promise<LoginAnswer> p;
    core->authenticate(std::move(c), [&](LoginAnswer a) { p.set_value(std::move(a)); });
    return p.get_future().get();
  }
  store::Player guest(const std::string& device) {
    Credentials c;
    c.device_id = device;
    const LoginAnswer a = login(c);
    EXPECT_FALSE(a.refusal) << a.refusal.message;
    return a.player;
  }
};

TEST_F(GameCoreTest, RoomSpecsAreCheckedInOnePlace) {
  EXPECT_EQ(core->create_room({"chess", "", 0}).refusal.code, proto::UNKNOWN_ROOM_TYPE);
  EXPECT_EQ(core->create_room({"relay", std::string(65, 'x'), 0}).refusal.code,
            proto::INVALID_ARGUMENT);
  // Names shown in every lobby: no ESC, no newline, no bidi override.
  for (const char* name : {"red\x1b[31m", "two\nlines", "rtl\xe2\x80\xae"}) {
    EXPECT_EQ(core->create_room({"relay", name, 0}).refusal.code, proto::INVALID_ARGUMENT) << name;
  }
  const uint32_t limit = core->game_type("relay")->max_players_limit;
  const auto over = core->create_room({"relay", "", limit + 1});
  EXPECT_EQ(over.refusal.code, proto::INVALID_ARGUMENT);
  EXPECT_NE(over.refusal.message.find(std::to_string(limit)), std::string::npos);
  EXPECT_EQ(core->room_count(), 0u);

  const auto made = core->create_room({"relay", "", 0});
  ASSERT_TRUE(made.room);
  rooms::RoomListing l;
  ASSERT_TRUE(core->find_room(made.room->id(), &l));
  EXPECT_EQ(l.name, "relay-" + std::to_string(made.room->id()));
  EXPECT_EQ(l.max_players, core->game_type("relay")->default_max_players);

  host.drain = true;
  EXPECT_EQ(core->create_room({"relay", "late", 0}).refusal.code, proto::SHUTTING_DOWN);
  EXPECT_EQ(core->reserve(made.room->id()).refusal.code, proto::SHUTTING_DOWN);
}

TEST_F(GameCoreTest, JoinOrCreateFillsTheFullestRoomThenMakesAnother) {
  const auto first = core->join_or_create("relay");
  ASSERT_TRUE(first.room);
  const auto second = core->join_or_create("relay");
  ASSERT_TRUE(second.room);
  EXPECT_EQ(second.room->id(), first.room->id());
  EXPECT_EQ(core->room_count(), 1u);
  EXPECT_EQ(core->join_or_create("chess").refusal.code, proto::UNKNOWN_ROOM_TYPE);
  EXPECT_EQ(core->reserve(9999).refusal.code, proto::ROOM_NOT_FOUND);
}

TEST_F(GameCoreTest, OnePlayerOneSession) {
  const auto p = guest("device-one-session");
  const Binding a = core->bind(p, {0, 11});
  EXPECT_FALSE(a.token.empty());
  EXPECT_TRUE(host.closed.empty());
  const Binding b = core->bind(p, {0, 12});
  ASSERT_EQ(host.closed.size(), 1u);
  EXPECT_EQ(host.closed[0].address.session, 11u);
  EXPECT_EQ(host.closed[0].code, proto::KICKED);
  EXPECT_NE(a.token, b.token);
  EXPECT_EQ(core->resume(a.token, {0, 13}).refusal.code, proto::RECONNECT_EXPIRED);
}

TEST_F(GameCoreTest, ReconnectTokensAreCheckedAndSingleUse) {
  EXPECT_EQ(core->resume("", {0, 1}).refusal.code, proto::INVALID_ARGUMENT);
  EXPECT_EQ(core->resume(std::string(129, 'a'), {0, 1}).refusal.code, proto::INVALID_ARGUMENT);
  EXPECT_EQ(core->resume("no-such-token", {0, 1}).refusal.code, proto::RECONNECT_EXPIRED);
  const auto p = guest("device-reconnect");
  const Binding b = core->bind(p, {0, 21});
  core->session_closed(p.id, 21);
  const Resumed r = core->resume(b.token, {0, 22});
  ASSERT_TRUE(r.binding);
  EXPECT_EQ(r.binding->player, p.id);
  EXPECT_NE(r.binding->token, b.token);
  EXPECT_EQ(core->resume(b.token, {0, 23}).refusal.code, proto::RECONNECT_EXPIRED);
}

TEST_F(GameCoreTest, KickRevokesTheReconnectToken) {
  const auto p = guest("device-kick");
  const Binding b = core->bind(p, {0, 31});
  EXPECT_TRUE(core->kick(p.id, "cool off"));
  ASSERT_EQ(host.closed.size(), 1u);
  EXPECT_EQ(host.closed[0].code, proto::KICKED);
  EXPECT_EQ(host.closed[0].reason, "cool off");
  EXPECT_EQ(core->resume(b.token, {0, 32}).refusal.code, proto::RECONNECT_EXPIRED);
  EXPECT_FALSE(core->online(p.id));
  EXPECT_FALSE(core->kick(p.id, "again"));
}

TEST_F(GameCoreTest, BanIsStoredThenEnforcedEverywhere) {
  const auto p = guest("device-ban");
  const Binding b = core->bind(p, {0, 41});
  std::promise<store::Status> banned;
  core->ban(p.id, unix_millis() + 60'000, "spam", [&](store::Status st) { banned.set_value(st); });
  ASSERT_EQ(banned.get_future().get(), store::Status::ok);
  ASSERT_EQ(host.closed.size(), 1u);
  EXPECT_EQ(host.closed[0].code, proto::BANNED);
  EXPECT_EQ(host.closed[0].reason, "banned: spam");
  EXPECT_EQ(core->resume(b.token, {0, 42}).refusal.code, proto::RECONNECT_EXPIRED);

  Credentials c;
  c.device_id = "device-ban";
  const Refusal r = login(c).refusal;
  EXPECT_EQ(r.code, proto::BANNED);
  EXPECT_EQ(r.message, "banned: spam");
}

TEST_F(GameCoreTest, LeaderboardAndListLimitsAreBounded) {
  std::promise<size_t> n;
  core->leaderboard(100000,
                    [&](store::Status, std::vector<store::Stats> top) { n.set_value(top.size()); });
  EXPECT_LE(n.get_future().get(), GameCore::kMaxLeaderboard);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(core->create_room({"relay", "", 0}).room);
  rooms::RoomFilter f;
  f.type = "relay";
  f.limit = 2;
  EXPECT_EQ(core->list_rooms(f).size(), 2u);
  f.limit = 0;  // the default
  EXPECT_EQ(core->list_rooms(f).size(), 3u);
}

TEST_F(GameCoreTest, ListingsPageWithATotal) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(core->create_room({"relay", "", 0}).room);
  rooms::RoomFilter f;
  f.limit = 2;
  std::vector<RoomId> seen;
  uint32_t offset = 0;
  for (int page = 0; page < 10; ++page) {
    const RoomPage p = core->list_room_page(f, offset);
    EXPECT_EQ(p.total, 5u);
    for (const auto& l : p.rooms) seen.push_back(l.id);
    if (p.next == 0) break;
    offset = p.next;
  }
  EXPECT_EQ(seen.size(), 5u);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
  EXPECT_TRUE(core->list_room_page(f, 99).rooms.empty());
}

// A core with the limits of a hostile-client test: small enough to reach.
struct GuardedCoreTest : GameCoreTest {
  void SetUp() override {
    GameCoreTest::SetUp();
    GuardSettings g;
    g.accounts_per_address_per_minute = 2;
    g.password_failures_per_account = 2;
    g.rooms_per_player = 2;
    g.rooms_per_address = 3;
    config::RoomsConfig rooms;
    rooms.max_rooms = 4;
    core = std::make_unique<GameCore>(rooms, *store,
                                      games::builtin_game_types(games::GameSettings{}), host, g);
  }
  LoginAnswer guest_from(const std::string& device, const std::string& ip) {
    Credentials c;
    c.device_id = device;
    c.address = ip;
    return login(c);
  }
  LoginAnswer password(const std::string& user, const std::string& pw, const std::string& ip,
                       bool create = false) {
    Credentials c;
    c.kind = create ? Credentials::Kind::create_account : Credentials::Kind::password;
    c.username = user;
    c.password = pw;
    c.address = ip;
    return login(c);
  }
};

TEST_F(GuardedCoreTest, NewAccountsPerAddressAreCappedButKnownDevicesStillLogIn) {
  EXPECT_FALSE(guest_from("device-one-0001", "198.51.100.1").refusal);
  EXPECT_FALSE(guest_from("device-two-0002", "198.51.100.1").refusal);
  EXPECT_EQ(guest_from("device-three-03", "198.51.100.1").refusal.code, proto::ADDRESS_LIMIT);
  EXPECT_FALSE(guest_from("device-one-0001", "198.51.100.1").refusal);  // known: logs in
  EXPECT_FALSE(guest_from("device-three-03", "198.51.100.2").refusal);  // another address
  EXPECT_EQ(password("newuser", "password1", "198.51.100.1", true).refusal.code,
            proto::ADDRESS_LIMIT);  // registrations share the budget
}

TEST_F(GuardedCoreTest, WrongPasswordsBackOffWithoutHashingAndTheOwnerGetsIn) {
  ASSERT_FALSE(password("erin", "right-password", "198.51.100.5", true).refusal);
  EXPECT_FALSE(password("erin", "right-password", "198.51.100.5").refusal);  // trusted now
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(password("Erin", "wrong-password", "203.0.113.9").refusal.code,
              proto::BAD_CREDENTIALS);
  }
  const Refusal r = password("erin", "wrong-password", "203.0.113.9").refusal;
  EXPECT_EQ(r.code, proto::LOGIN_THROTTLED);
  EXPECT_GT(r.retry_after_ms, 0u);
  EXPECT_NE(r.message.find("for this account"), std::string::npos) << r.message;
  // Even the right password waits from the attacker's address...
  EXPECT_EQ(password("erin", "right-password", "203.0.113.9").refusal.code, proto::LOGIN_THROTTLED);
  // ...but not from the owner's.
  EXPECT_FALSE(password("erin", "right-password", "198.51.100.5").refusal);
}

TEST_F(GuardedCoreTest, RoomCreationIsCappedPerPlayerPerAddressAndPerNode) {
  auto spec = [](PlayerId p, const std::string& ip) { return RoomSpec{"relay", "", 0, p, ip}; };
  const auto first = core->create_room(spec(1, "198.51.100.1"));
  ASSERT_TRUE(first.room);
  EXPECT_TRUE(core->create_room(spec(1, "198.51.100.1")).room);
  const auto third = core->create_room(spec(1, "198.51.100.1"));
  EXPECT_EQ(third.refusal.code, proto::ROOM_LIMIT);
  EXPECT_NE(third.refusal.message.find("you have 2 open rooms"), std::string::npos);
  EXPECT_TRUE(core->create_room(spec(2, "198.51.100.1")).room);
  EXPECT_EQ(core->create_room(spec(3, "198.51.100.1")).refusal.code, proto::ROOM_LIMIT);
  EXPECT_TRUE(core->create_room(spec(4, "198.51.100.9")).room);  // the node's fourth room
  const auto node_full = core->create_room(spec(5, "198.51.100.8"));
  EXPECT_EQ(node_full.refusal.code, proto::ROOM_LIMIT);
  EXPECT_NE(node_full.refusal.message.find("maximum of 4 rooms"), std::string::npos);
  EXPECT_EQ(core->join_or_create("spelltraction").refusal.code, proto::ROOM_LIMIT);
  // A disposed room gives its creator's place back.
  core->room_disposed(first.room->id());
  EXPECT_TRUE(core->create_room(spec(1, "198.51.100.1")).room);
  const auto counts = core->guard().refusals();
  EXPECT_EQ(counts[static_cast<size_t>(Limit::rooms_per_player)], 1u);
  EXPECT_EQ(counts[static_cast<size_t>(Limit::rooms_per_address)], 1u);
  EXPECT_GE(counts[static_cast<size_t>(Limit::rooms_per_node)], 2u);
}

}  // namespace
}  // namespace rookery::core

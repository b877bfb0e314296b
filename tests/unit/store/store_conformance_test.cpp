// The store conformance suite: every PlayerStore and AdminStore behaviour, run against each
// database (store_backends.hpp): SQLite always, PostgreSQL when $ROOKERY_TEST_PG names a server
// (tests/postgres/run.sh; ctest runs the SQLite half). A raw connection checks what actually
// reached the database. Dialect-specific tests live in store_test.cpp and admin_store_test.cpp
// (SQLite) and pg_fault_test.cpp (PostgreSQL).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "store/store.hpp"
#include "store/store_backends.hpp"

namespace rookery::store {
namespace {

using namespace testing_support;

testing::Environment* const kQuietLogs = testing::AddGlobalTestEnvironment(new QuietLogs);

// One fresh database per test, on the backend B.
template <class B>
class StoreConformance : public testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = backend_.unavailable(); !why.empty()) GTEST_SKIP() << why;
  }
  // Opens the store on this test's database (again, after a close: same data).
  std::unique_ptr<Store> open() { return open_store(backend_.options()); }
  std::unique_ptr<RawDb> raw() { return backend_.raw(); }

  B backend_;
};

// Names the instances StoreConformance/Sqlite.X and StoreConformance/Postgres.X.
struct BackendName {
  template <class B>
  static std::string GetName(int) {
    return B::kName;
  }
};

using Backends = testing::Types<SqliteBackend, PostgresBackend>;
TYPED_TEST_SUITE(StoreConformance, Backends, BackendName);

// ---------------------------------------------------------------------------------------------
// Admin helpers

Status create(AdminStore& s, std::string user, std::string pass, std::string role) {
  return status_of(
      [&](auto cb) { s.create_admin(std::move(user), std::move(pass), std::move(role), cb); },
      "create_admin");
}

std::pair<Status, AdminUser> verify(AdminStore& s, std::string user, std::string pass) {
  return reply_of<AdminUser>([&](auto cb) { s.verify_admin(std::move(user), std::move(pass), cb); },
                             "verify_admin");
}

std::pair<Status, std::vector<AdminUser>> admins(AdminStore& s) {
  return reply_of<std::vector<AdminUser>>([&](auto cb) { s.list_admins(cb); }, "list_admins");
}

std::pair<Status, int64_t> count(AdminStore& s) {
  return reply_of<int64_t>([&](auto cb) { s.count_admins(cb); }, "count_admins");
}

Status audit(AdminStore& s, AuditEntry e) {
  return status_of([&](auto cb) { s.append_audit(std::move(e), cb); }, "append_audit");
}

std::pair<Status, std::vector<AuditEntry>> audit_page(AdminStore& s, uint32_t limit,
                                                      int64_t before_id) {
  return reply_of<std::vector<AuditEntry>>([&](auto cb) { s.list_audit(limit, before_id, cb); },
                                           "list_audit");
}

std::pair<Status, std::vector<PlayerSummary>> search(AdminStore& s, std::string query,
                                                     uint32_t limit = 50) {
  return reply_of<std::vector<PlayerSummary>>(
      [&](auto cb) { s.search_players(std::move(query), limit, cb); }, "search_players");
}

std::pair<Status, PlayerDetail> detail(AdminStore& s, PlayerId id) {
  return reply_of<PlayerDetail>([&](auto cb) { s.player_detail(id, cb); }, "player_detail");
}

PlayerId guest(PlayerStore& s, const std::string& device, const std::string& name) {
  auto r = reply_of<Player>([&](auto cb) { s.login_guest(device, name, cb); }, "login_guest");
  EXPECT_EQ(r.first, Status::ok) << device;
  return r.second.id;
}

// Ids of a search result, in order.
std::vector<PlayerId> ids_of(const std::vector<PlayerSummary>& rows) {
  std::vector<PlayerId> out;
  for (const PlayerSummary& r : rows) out.push_back(r.player.id);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Accounts, stats, bans, concurrency and durability (PlayerStore)

TYPED_TEST(StoreConformance, GuestLoginCreatesThenFinds) {
  auto opened = this->open();
  Store& store = *opened;

  const PlayerReply first = login_guest(store, "device-0001");
  ASSERT_EQ(first.status, Status::ok);
  EXPECT_TRUE(first.player.created);
  EXPECT_TRUE(first.player.guest);
  EXPECT_GT(first.player.id, 0);
  EXPECT_EQ(first.player.display_name, "guest-" + std::to_string(first.player.id));

  const PlayerReply again = login_guest(store, "device-0001", "ignored now");
  ASSERT_EQ(again.status, Status::ok);
  EXPECT_FALSE(again.player.created);
  EXPECT_TRUE(again.player.guest);
  EXPECT_EQ(again.player.id, first.player.id);
  EXPECT_EQ(again.player.display_name, first.player.display_name);

  const PlayerReply named = login_guest(store, "device-0002", "Zoë");
  ASSERT_EQ(named.status, Status::ok);
  EXPECT_TRUE(named.player.created);
  EXPECT_NE(named.player.id, first.player.id);
  EXPECT_EQ(named.player.display_name, "Zoë");

  auto raw = this->raw();
  EXPECT_NE(raw->scalar("SELECT last_login_ms FROM players WHERE device_id = 'device-0001'"), "0");
}

TYPED_TEST(StoreConformance, RegisterRejectsDuplicateUsernameIgnoringCase) {
  auto opened = this->open();
  Store& store = *opened;

  const PlayerReply alice = register_account(store, "Alice", "correct horse");
  ASSERT_EQ(alice.status, Status::ok);
  EXPECT_TRUE(alice.player.created);
  EXPECT_FALSE(alice.player.guest);
  EXPECT_EQ(alice.player.username, "Alice");
  EXPECT_EQ(alice.player.display_name, "Alice");  // defaults to the username

  EXPECT_EQ(register_account(store, "Alice", "another one").status, Status::username_taken);
  EXPECT_EQ(register_account(store, "aLiCe", "another one").status, Status::username_taken);

  const PlayerReply bob = register_account(store, "bob", "password1", "Bobby");
  ASSERT_EQ(bob.status, Status::ok);
  EXPECT_EQ(bob.player.display_name, "Bobby");
}

TYPED_TEST(StoreConformance, PasswordLogin) {
  auto opened = this->open();
  Store& store = *opened;
  const PlayerReply alice = register_account(store, "Alice", "correct horse", "Al");
  ASSERT_EQ(alice.status, Status::ok);

  const PlayerReply ok = login(store, "alice", "correct horse");  // usernames ignore case
  ASSERT_EQ(ok.status, Status::ok);
  EXPECT_EQ(ok.player.id, alice.player.id);
  EXPECT_EQ(ok.player.username, "Alice");
  EXPECT_EQ(ok.player.display_name, "Al");
  EXPECT_FALSE(ok.player.created);

  EXPECT_EQ(login(store, "Alice", "wrong horse").status, Status::bad_credentials);
  EXPECT_EQ(login(store, "Alice", "correct horsE").status, Status::bad_credentials);
  const PlayerReply unknown = login(store, "nobody", "correct horse");
  EXPECT_EQ(unknown.status, Status::bad_credentials);
  EXPECT_EQ(unknown.player.id, 0);
}

TYPED_TEST(StoreConformance, APasswordForACallerThatLeftIsNotHashed) {
  auto opened = this->open();
  Store& store = *opened;
  ASSERT_EQ(register_account(store, "frieda", "frieda-password").status, Status::ok);
  const auto gone = [] { return false; };
  auto login_gone = reply_of<Player>(
      [&](auto cb) { store.login_password("frieda", "frieda-password", cb, gone); },
      "login_password");
  EXPECT_EQ(login_gone.first, Status::abandoned);
  auto register_gone = reply_of<Player>(
      [&](auto cb) { store.register_password("gerda", "gerda-password", "", cb, gone); },
      "register_password");
  EXPECT_EQ(register_gone.first, Status::abandoned);
  EXPECT_EQ(login(store, "gerda", "gerda-password").status, Status::bad_credentials);  // not made
  EXPECT_EQ(login(store, "frieda", "frieda-password").status, Status::ok);
}

TYPED_TEST(StoreConformance, PasswordIsStoredAsArgon2idHash) {
  auto opened = this->open();
  Store& store = *opened;
  ASSERT_EQ(register_account(store, "carol", "hunter2hunter2").status, Status::ok);

  auto raw = this->raw();
  const std::string hash =
      raw->scalar("SELECT password_hash FROM players WHERE username = 'carol'");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_NE(hash.find("m=19456,t=2,p=1"), std::string::npos) << hash;
  EXPECT_EQ(hash.find("hunter2"), std::string::npos);
  EXPECT_EQ(raw->scalar("SELECT count(*) FROM players WHERE password_hash LIKE '%hunter2%'"), "0");
}

TYPED_TEST(StoreConformance, InvalidInputsAreRejected) {
  auto opened = this->open();
  Store& store = *opened;
  const std::string long_name(33, 'a');
  const std::string long_password(257, 'p');

  EXPECT_EQ(login_guest(store, "short").status, Status::invalid);
  EXPECT_EQ(login_guest(store, std::string(129, 'd')).status, Status::invalid);
  EXPECT_EQ(login_guest(store, "device with spaces").status, Status::invalid);
  EXPECT_EQ(login_guest(store, "device-0001", long_name).status, Status::invalid);
  EXPECT_EQ(login_guest(store, "device-0001", "bad\nname").status, Status::invalid);
  EXPECT_EQ(login_guest(store, "device-0001", "bad \xff utf8").status, Status::invalid);
  // Names that pass as someone else: a bidi override, a zero-width space, staff-like names.
  EXPECT_EQ(login_guest(store, "device-0001",
                        "evil\xe2\x80\xae"
                        "olleh")
                .status,
            Status::invalid);
  EXPECT_EQ(login_guest(store, "device-0001",
                        "bo\xe2\x80\x8b"
                        "b")
                .status,
            Status::invalid);
  EXPECT_EQ(login_guest(store, "device-0001", "Admin").status, Status::invalid);
  EXPECT_EQ(login_guest(store, "device-0001", "[GM] Bob").status, Status::invalid);
  EXPECT_EQ(register_account(store, "moderator", "password1").status, Status::invalid);
  EXPECT_EQ(register_account(store, "dave", "password1", "System").status, Status::invalid);

  EXPECT_EQ(register_account(store, "ab", "password1").status, Status::invalid);
  EXPECT_EQ(register_account(store, long_name, "password1").status, Status::invalid);
  EXPECT_EQ(register_account(store, "bad name", "password1").status, Status::invalid);
  EXPECT_EQ(register_account(store, "bad/name", "password1").status, Status::invalid);
  EXPECT_EQ(register_account(store, "dave", "short").status, Status::invalid);
  EXPECT_EQ(register_account(store, "dave", long_password).status, Status::invalid);
  EXPECT_EQ(register_account(store, "dave", "password1", long_name).status, Status::invalid);
  EXPECT_EQ(login(store, "d", "password1").status, Status::invalid);
  EXPECT_EQ(login(store, "dave", long_password).status, Status::invalid);

  EXPECT_EQ(record(store, {MatchResult{0, "relay", 1, 5, 0, 1}}), Status::invalid);
  EXPECT_EQ(record(store, {MatchResult{1, "", 1, 5, 0, 1}}), Status::invalid);
  EXPECT_EQ(ban(store, 1, -5, "x"), Status::invalid);
  EXPECT_EQ(ban(store, 1, 5, std::string(257, 'r')), Status::invalid);

  // Edges that are valid.
  EXPECT_EQ(register_account(store, "a.b-c_9", "12345678", std::string(32, 'n')).status,
            Status::ok);
  EXPECT_EQ(login_guest(store, std::string(8, 'd')).status, Status::ok);
  auto raw = this->raw();
  EXPECT_EQ(raw->scalar("SELECT count(*) FROM players"), "2");
}

TYPED_TEST(StoreConformance, FindPlayer) {
  auto opened = this->open();
  Store& store = *opened;
  const PlayerReply guest = login_guest(store, "device-0001", "Gus");
  const PlayerReply found = find(store, guest.player.id);
  ASSERT_EQ(found.status, Status::ok);
  EXPECT_EQ(found.player.display_name, "Gus");
  EXPECT_TRUE(found.player.guest);
  EXPECT_FALSE(found.player.created);
  EXPECT_EQ(find(store, guest.player.id + 100).status, Status::not_found);
}

TYPED_TEST(StoreConformance, CheckpointsOfAStintAreOneGame) {
  auto opened = this->open();
  Store& store = *opened;
  const PlayerId a = login_guest(store, "device-ckpt", "Ck").player.id;
  MatchResult first{a, "spelltraction", 77, 3, 500, 1000};
  ASSERT_EQ(record(store, {first}), Status::ok);  // the first checkpoint writes the stint
  MatchResult later = first;
  later.score = 8;
  later.ended_ms = 1500;
  later.continues = true;
  later.recorded_score = 3;
  ASSERT_EQ(record(store, {later}), Status::ok);  // a later one adds only the gain
  MatchResult final_one = later;
  final_one.score = 9;
  final_one.ended_ms = 2000;
  final_one.recorded_score = 8;
  ASSERT_EQ(record(store, {final_one}), Status::ok);  // the release

  const auto [status, sa] = stats(store, a);
  ASSERT_EQ(status, Status::ok);
  EXPECT_EQ(sa.total_score, 9);
  EXPECT_EQ(sa.games_played, 1);
  EXPECT_EQ(sa.best_score, 9);
  EXPECT_EQ(sa.last_played_ms, 2000);
  auto raw = this->raw();
  EXPECT_EQ(raw->scalar("SELECT count(*) FROM match_results WHERE room_id = 77"), "1");
  EXPECT_EQ(raw->scalar("SELECT score FROM match_results WHERE room_id = 77"), "9");
}

TYPED_TEST(StoreConformance, RecordMatchesUpdatesStatsAndLeaderboard) {
  auto opened = this->open();
  Store& store = *opened;
  const PlayerId a = login_guest(store, "device-aaaa", "A").player.id;
  const PlayerId b = login_guest(store, "device-bbbb", "B").player.id;
  const PlayerId c = login_guest(store, "device-cccc", "C").player.id;
  const PlayerId idle = login_guest(store, "device-idle", "Idle").player.id;

  ASSERT_EQ(record(store, {match(a, 10, 1000), match(b, 30, 1100), match(c, 5, 1200)}), Status::ok);
  ASSERT_EQ(record(store, {match(a, 25, 2000), match(c, 25, 1500)}), Status::ok);
  ASSERT_EQ(record(store, {}), Status::ok);

  const auto [status, sa] = stats(store, a);
  ASSERT_EQ(status, Status::ok);
  EXPECT_EQ(sa.player_id, a);
  EXPECT_EQ(sa.display_name, "A");
  EXPECT_EQ(sa.total_score, 35);
  EXPECT_EQ(sa.games_played, 2);
  EXPECT_EQ(sa.best_score, 25);
  EXPECT_EQ(sa.last_played_ms, 2000);

  const auto idle_stats = stats(store, idle);
  EXPECT_EQ(idle_stats.first, Status::ok);
  EXPECT_EQ(idle_stats.second.games_played, 0);
  EXPECT_EQ(stats(store, 999999).first, Status::not_found);

  // a: 35 in 2, b: 30 in 1, c: 30 in 2 -> b beats c on fewer games.
  const auto board = top(store, 10);
  ASSERT_EQ(board.first, Status::ok);
  ASSERT_EQ(board.second.size(), 3u);
  EXPECT_EQ(board.second[0].player_id, a);
  EXPECT_EQ(board.second[1].player_id, b);
  EXPECT_EQ(board.second[1].display_name, "B");
  EXPECT_EQ(board.second[2].player_id, c);
  EXPECT_EQ(top(store, 2).second.size(), 2u);
  EXPECT_TRUE(top(store, 0).second.empty());

  auto raw = this->raw();
  EXPECT_EQ(raw->scalar("SELECT count(*) FROM match_results"), "5");
}

TYPED_TEST(StoreConformance, BadRequestDoesNotPoisonItsBatch) {
  auto opened = this->open();
  Store& store = *opened;
  const PlayerId a = login_guest(store, "device-aaaa").player.id;

  // Queued back to back so they share one transaction; the middle one names an unknown player.
  std::promise<Status> first, bad, last;
  auto f1 = first.get_future(), f2 = bad.get_future(), f3 = last.get_future();
  store.record_matches({match(a, 1)}, [&](Status s) { first.set_value(s); });
  store.record_matches({match(a, 100), match(a + 1000, 1)}, [&](Status s) { bad.set_value(s); });
  store.record_matches({match(a, 2)}, [&](Status s) { last.set_value(s); });
  EXPECT_EQ(await(f1, "first"), Status::ok);
  EXPECT_EQ(await(f2, "bad"), Status::not_found);
  EXPECT_EQ(await(f3, "last"), Status::ok);

  const auto s = stats(store, a).second;
  EXPECT_EQ(s.total_score, 3);  // the bad request's valid row was rolled back too
  EXPECT_EQ(s.games_played, 2);
  auto raw = this->raw();
  EXPECT_EQ(raw->scalar("SELECT count(*) FROM match_results"), "2");
}

TYPED_TEST(StoreConformance, BannedPlayersCannotLogIn) {
  auto opened = this->open();
  Store& store = *opened;
  const PlayerId eve = register_account(store, "eve", "password1").player.id;
  const PlayerId guest = login_guest(store, "device-eeee").player.id;
  ASSERT_EQ(record(store, {match(eve, 50), match(guest, 10)}), Status::ok);

  const int64_t later = unix_millis() + 3'600'000;
  ASSERT_EQ(ban(store, eve, later, "cheating"), Status::ok);
  ASSERT_EQ(ban(store, guest, later, "spam"), Status::ok);
  EXPECT_EQ(ban(store, eve + 1000, later, "nobody"), Status::not_found);

  const PlayerReply banned = login(store, "eve", "password1");
  EXPECT_EQ(banned.status, Status::banned);
  EXPECT_EQ(banned.player.id, eve);
  EXPECT_EQ(banned.player.banned_until_ms, later);
  EXPECT_EQ(banned.player.ban_reason, "cheating");
  // A wrong password must not reveal the ban.
  EXPECT_EQ(login(store, "eve", "password2").status, Status::bad_credentials);
  const PlayerReply banned_guest = login_guest(store, "device-eeee");
  EXPECT_EQ(banned_guest.status, Status::banned);
  EXPECT_EQ(banned_guest.player.ban_reason, "spam");
  EXPECT_TRUE(top(store, 10).second.empty());  // banned players leave the board

  ASSERT_EQ(ban(store, eve, 0, ""), Status::ok);                       // lifted
  ASSERT_EQ(ban(store, guest, unix_millis() - 1, "old"), Status::ok);  // expired
  EXPECT_EQ(login(store, "eve", "password1").status, Status::ok);
  EXPECT_EQ(login_guest(store, "device-eeee").status, Status::ok);
  EXPECT_EQ(top(store, 10).second.size(), 2u);
}

TYPED_TEST(StoreConformance, ManyConcurrentGuestLogins) {
  auto opened = this->open();
  Store& store = *opened;
  constexpr size_t kThreads = 4, kPerThread = 50;
  std::vector<std::promise<PlayerReply>> promises(kThreads * kPerThread);
  std::vector<std::future<PlayerReply>> futures;
  futures.reserve(promises.size());
  for (auto& p : promises) futures.push_back(p.get_future());
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < kPerThread; ++i) {
        const size_t n = t * kPerThread + i;
        store.login_guest("device-" + std::to_string(100000 + n), "",
                          [&promises, n](Status s, Player p) {
                            promises[n].set_value({s, std::move(p)});
                          });
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<PlayerId> ids;
  for (auto& f : futures) {
    const PlayerReply r = await(f, "concurrent login_guest");
    EXPECT_EQ(r.status, Status::ok);
    EXPECT_TRUE(r.player.created);
    ids.insert(r.player.id);
  }
  EXPECT_EQ(ids.size(), promises.size());
  auto raw = this->raw();
  EXPECT_EQ(raw->scalar("SELECT count(*) FROM players"), std::to_string(promises.size()));
}

TYPED_TEST(StoreConformance, OkMeansVisibleToAnotherConnection) {
  auto opened = this->open();
  Store& store = *opened;
  const PlayerReply r = login_guest(store, "device-durable");
  ASSERT_EQ(r.status, Status::ok);
  // No flush: the callback alone promises the commit happened.
  auto raw = this->raw();
  EXPECT_EQ(raw->scalar("SELECT id FROM players WHERE device_id = 'device-durable'"),
            std::to_string(r.player.id));

  std::promise<std::string> seen;
  auto f = seen.get_future();
  store.record_matches({match(r.player.id, 42)}, [&](Status s) {
    // Checked from inside the callback, before anything else can commit it.
    auto inside = this->raw();
    seen.set_value(s == Status::ok
                       ? inside->scalar("SELECT total_score FROM player_stats WHERE player_id = " +
                                        std::to_string(r.player.id))
                       : "failed");
  });
  EXPECT_EQ(await(f, "record_matches"), "42");
}

TYPED_TEST(StoreConformance, FlushWaitsForEverythingQueuedBefore) {
  auto opened = this->open();
  Store& store = *opened;
  std::atomic<int> answered{0};
  for (int i = 0; i < 100; ++i) {
    store.login_guest("device-" + std::to_string(200000 + i), "",
                      [&](Status s, const Player&) { answered += s == Status::ok; });
  }
  // Registration and login pass through the KDF pool; flush must wait for those hops too.
  store.register_password("frank", "password1", "",
                          [&](Status s, const Player&) { answered += s == Status::ok; });
  store.flush();
  EXPECT_EQ(answered.load(), 101);
  EXPECT_EQ(store.queue_depth(), 0u);
  store.login_password("frank", "password1",
                       [&](Status s, const Player&) { answered += s == Status::ok; });
  store.flush();
  EXPECT_EQ(answered.load(), 102);
  auto raw = this->raw();
  EXPECT_EQ(raw->scalar("SELECT count(*) FROM players"), "101");
}

TYPED_TEST(StoreConformance, DestructorAnswersEverythingQueued) {
  std::atomic<int> answered{0};
  {
    StoreOptions o = this->backend_.options();
    o.batch_max = 7;  // several transactions
    auto opened = open_store(o);
    Store& store = *opened;
    for (int i = 0; i < 50; ++i) {
      store.login_guest("device-" + std::to_string(300000 + i), "",
                        [&](Status s, const Player&) { answered += s == Status::ok; });
    }
    store.register_password("grace", "password1", "",
                            [&](Status s, const Player&) { answered += s == Status::ok; });
  }
  EXPECT_EQ(answered.load(), 51);
  auto reopened_ptr = this->open();
  Store& reopened = *reopened_ptr;
  EXPECT_EQ(login(reopened, "grace", "password1").status, Status::ok);
  EXPECT_EQ(login_guest(reopened, "device-300049").player.created, false);
}

// ---------------------------------------------------------------------------------------------
// Bounds and health

TYPED_TEST(StoreConformance, FullQueueRefusesWithOverloaded) {
  StoreOptions o = this->backend_.options();
  o.queue_max = 2;  // a flood from one thread outruns one commit at a time
  o.batch_max = 1;
  auto opened = open_store(o);
  Store& store = *opened;
  constexpr int kRequests = 300;
  std::atomic<int> ok{0}, overloaded{0}, other{0};
  for (int i = 0; i < kRequests; ++i) {
    store.login_guest("device-" + std::to_string(400000 + i), "", [&](Status s, const Player&) {
      (s == Status::ok ? ok : s == Status::overloaded ? overloaded : other) += 1;
    });
  }
  store.flush();
  EXPECT_EQ(ok + overloaded, kRequests);
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(overloaded.load(), 0) << "300 requests never filled a queue of 2";
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(store.metrics().overloaded, static_cast<uint64_t>(overloaded.load()));
  // A refused request wrote nothing; the accepted ones are all there.
  EXPECT_EQ(this->raw()->scalar("SELECT count(*) FROM players"), std::to_string(ok.load()));
  EXPECT_EQ(login_guest(store, "device-after-flood").status, Status::ok);  // not stuck
}

TYPED_TEST(StoreConformance, FullKdfQueueRefusesWithOverloaded) {
  StoreOptions o = this->backend_.options();
  o.kdf_queue_max = 2;  // one slot may still hold the dummy hash made at open
  auto opened = open_store(o);
  Store& store = *opened;
  constexpr int kRequests = 12;
  std::atomic<int> ok{0}, overloaded{0}, other{0};
  for (int i = 0; i < kRequests; ++i) {
    store.register_password(
        "user" + std::to_string(i), "password1", "", [&](Status s, const Player&) {
          (s == Status::ok ? ok : s == Status::overloaded ? overloaded : other) += 1;
        });
  }
  store.flush();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(overloaded.load(), 0) << "12 Argon2id hashes never filled a KDF queue of 2";
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(store.metrics().overloaded, static_cast<uint64_t>(overloaded.load()));
  EXPECT_EQ(this->raw()->scalar("SELECT count(*) FROM players"), std::to_string(ok.load()));
}

TYPED_TEST(StoreConformance, HealthyWhileTheDatabaseAnswers) {
  auto opened = this->open();
  Store& store = *opened;
  EXPECT_TRUE(store.healthy());
  ASSERT_EQ(login_guest(store, "device-health").status, Status::ok);
  EXPECT_TRUE(store.healthy());
  const StoreMetrics m = store.metrics();
  EXPECT_GE(m.transactions, 1u);
  EXPECT_EQ(m.errors, 0u);
  EXPECT_EQ(m.reconnects, 0u);
}

// ---------------------------------------------------------------------------------------------
// Admin users and the audit log (AdminStore)

TYPED_TEST(StoreConformance, AdminCreateAndVerify) {
  auto opened = this->open();
  Store& store = *opened;
  const int64_t before = unix_millis();
  ASSERT_EQ(create(store, "Alice", "correct horse", "operator"), Status::ok);

  const auto [status, user] = verify(store, "alice", "correct horse");  // names ignore case
  ASSERT_EQ(status, Status::ok);
  EXPECT_GT(user.id, 0);
  EXPECT_EQ(user.username, "Alice");
  EXPECT_EQ(user.role, "operator");
  EXPECT_GE(user.created_ms, before);
  EXPECT_GE(user.last_login_ms, user.created_ms);

  const auto wrong = verify(store, "Alice", "correct horsE");
  EXPECT_EQ(wrong.first, Status::bad_credentials);
  EXPECT_EQ(wrong.second.id, 0);
  EXPECT_TRUE(wrong.second.username.empty());
  const auto unknown = verify(store, "nobody", "correct horse");
  EXPECT_EQ(unknown.first, Status::bad_credentials);
  EXPECT_EQ(unknown.second.id, 0);

  // Admin users and players are separate: a player account is not an admin.
  std::promise<Status> registered;
  auto f = registered.get_future();
  store.register_password("bob", "password1", "",
                          [&](Status s, Player) { registered.set_value(s); });
  ASSERT_EQ(await(f, "register_password"), Status::ok);
  EXPECT_EQ(verify(store, "bob", "password1").first, Status::bad_credentials);
  // ... and the same name may exist in both.
  EXPECT_EQ(create(store, "bob", "password2", "viewer"), Status::ok);
}

TYPED_TEST(StoreConformance, AdminDuplicatesAndInvalidInput) {
  auto opened = this->open();
  Store& store = *opened;
  ASSERT_EQ(create(store, "Alice", "password1", "admin"), Status::ok);
  EXPECT_EQ(create(store, "Alice", "password2", "viewer"), Status::username_taken);
  EXPECT_EQ(create(store, "aLICE", "password2", "viewer"), Status::username_taken);

  EXPECT_EQ(create(store, "carol", "password1", "root"), Status::invalid);
  EXPECT_EQ(create(store, "carol", "password1", "Admin"), Status::invalid);
  EXPECT_EQ(create(store, "carol", "password1", ""), Status::invalid);
  EXPECT_EQ(create(store, "ca", "password1", "viewer"), Status::invalid);
  EXPECT_EQ(create(store, std::string(33, 'c'), "password1", "viewer"), Status::invalid);
  EXPECT_EQ(create(store, "car ol", "password1", "viewer"), Status::invalid);
  EXPECT_EQ(create(store, "carol", "short", "viewer"), Status::invalid);
  EXPECT_EQ(create(store, "carol", std::string(257, 'p'), "viewer"), Status::invalid);
  EXPECT_EQ(verify(store, "al", "password1").first, Status::invalid);
  EXPECT_EQ(verify(store, "Alice", "short").first, Status::invalid);

  // The edges that are valid.
  EXPECT_EQ(create(store, "a.b-c_9", "12345678", "viewer"), Status::ok);
  EXPECT_EQ(create(store, std::string(32, 'd'), std::string(256, 'p'), "operator"), Status::ok);
  EXPECT_EQ(count(store).second, 3);

  EXPECT_TRUE(valid_admin_username("a.b-c_9"));
  EXPECT_FALSE(valid_admin_username("a b"));
  EXPECT_EQ(admin_role_rank("viewer"), 1);
  EXPECT_EQ(admin_role_rank("operator"), 2);
  EXPECT_EQ(admin_role_rank("admin"), 3);
  EXPECT_EQ(admin_role_rank("ADMIN"), 0);
}

TYPED_TEST(StoreConformance, AdminPasswordIsStoredAsArgon2idHash) {
  auto opened = this->open();
  Store& store = *opened;
  ASSERT_EQ(create(store, "carol", "hunter2hunter2", "admin"), Status::ok);

  auto raw = this->raw();
  const std::string hash =
      raw->scalar("SELECT password_hash FROM admin_users WHERE username = 'carol'");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_NE(hash.find("m=19456,t=2,p=1"), std::string::npos) << hash;
  EXPECT_EQ(raw->scalar("SELECT count(*) FROM admin_users WHERE password_hash LIKE '%hunter2%'"),
            "0");
}

TYPED_TEST(StoreConformance, AdminListAndCount) {
  auto opened = this->open();
  Store& store = *opened;
  EXPECT_EQ(count(store), (std::pair<Status, int64_t>{Status::ok, 0}));
  const auto empty = admins(store);
  EXPECT_EQ(empty.first, Status::ok);
  EXPECT_TRUE(empty.second.empty());

  ASSERT_EQ(create(store, "root", "password1", "admin"), Status::ok);
  ASSERT_EQ(create(store, "ops", "password1", "operator"), Status::ok);
  ASSERT_EQ(create(store, "watcher", "password1", "viewer"), Status::ok);
  ASSERT_EQ(verify(store, "ops", "password1").first, Status::ok);

  EXPECT_EQ(count(store), (std::pair<Status, int64_t>{Status::ok, 3}));
  const auto [status, list] = admins(store);
  ASSERT_EQ(status, Status::ok);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].username, "root");
  EXPECT_EQ(list[0].role, "admin");
  EXPECT_EQ(list[0].last_login_ms, 0);  // never logged in
  EXPECT_EQ(list[1].username, "ops");
  EXPECT_EQ(list[1].role, "operator");
  EXPECT_GT(list[1].last_login_ms, 0);
  EXPECT_EQ(list[2].username, "watcher");
  EXPECT_EQ(list[2].role, "viewer");
  EXPECT_LT(list[0].id, list[1].id);
  EXPECT_LT(list[1].id, list[2].id);
}

TYPED_TEST(StoreConformance, AdminDestructorAnswersQueuedRequests) {
  std::atomic<int> answered{0};
  {
    auto opened = this->open();
    Store& store = *opened;
    // Both pass through the KDF pool and back to the writer.
    store.create_admin("dave", "password1", "viewer",
                       [&](Status s) { answered += s == Status::ok; });
    store.flush();
    store.verify_admin("dave", "password1", [&](Status s, const AdminUser& u) {
      answered += s == Status::ok && u.id > 0;
    });
    store.create_admin("erin", "password1", "viewer",
                       [&](Status s) { answered += s == Status::ok; });
  }
  EXPECT_EQ(answered.load(), 3);
  auto reopened_ptr = this->open();
  Store& reopened = *reopened_ptr;
  EXPECT_EQ(verify(reopened, "erin", "password1").first, Status::ok);
}

TYPED_TEST(StoreConformance, AuditAppendAndPageNewestFirst) {
  auto opened = this->open();
  Store& store = *opened;
  const int64_t before = unix_millis();
  ASSERT_EQ(audit(store, AuditEntry{0, 0, "alice", "player.ban", "player:42", "cheating", true}),
            Status::ok);
  ASSERT_EQ(audit(store, AuditEntry{999, 12345, "bob", "room.close", "room:7", "", false}),
            Status::ok);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(audit(store, AuditEntry{0, 0, "carol", "room.broadcast", "room:" + std::to_string(i),
                                      "hello", true}),
              Status::ok);
  }

  const auto [status, all] = audit_page(store, 100, 0);
  ASSERT_EQ(status, Status::ok);
  ASSERT_EQ(all.size(), 7u);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_GT(all[i - 1].id, all[i].id);  // newest first
  const AuditEntry& first = all[6];
  EXPECT_EQ(first.actor, "alice");
  EXPECT_EQ(first.action, "player.ban");
  EXPECT_EQ(first.target, "player:42");
  EXPECT_EQ(first.detail, "cheating");
  EXPECT_TRUE(first.ok);
  EXPECT_GE(first.at_ms, before);  // 0 became now
  EXPECT_LE(first.at_ms, unix_millis());
  const AuditEntry& second = all[5];
  EXPECT_NE(second.id, 999);  // the store assigns ids
  EXPECT_EQ(second.at_ms, 12345);
  EXPECT_FALSE(second.ok);
  EXPECT_EQ(all[0].target, "room:4");

  // Pages of 3 by before_id: 7 = 3 + 3 + 1, then nothing.
  std::vector<int64_t> seen;
  int64_t cursor = 0;
  for (size_t expected : {3u, 3u, 1u, 0u}) {
    const auto page = audit_page(store, 3, cursor);
    ASSERT_EQ(page.first, Status::ok);
    ASSERT_EQ(page.second.size(), expected);
    for (const AuditEntry& e : page.second) seen.push_back(e.id);
    if (!page.second.empty()) cursor = page.second.back().id;
  }
  std::vector<int64_t> all_ids;
  for (const AuditEntry& e : all) all_ids.push_back(e.id);
  EXPECT_EQ(seen, all_ids);

  EXPECT_TRUE(audit_page(store, 0, 0).second.empty());
  EXPECT_EQ(audit_page(store, 10, -1).first, Status::invalid);
}

TYPED_TEST(StoreConformance, AuditPageSizeIsCapped) {
  auto opened = this->open();
  Store& store = *opened;
  {
    auto raw = this->raw();
    raw->exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600) "
        "INSERT INTO admin_audit (at_ms, actor, action, ok) SELECT i, 'x', 'y', TRUE FROM n");
  }
  const auto page = audit_page(store, 100000, 0);
  ASSERT_EQ(page.first, Status::ok);
  EXPECT_EQ(page.second.size(), AdminStore::kMaxAuditPage);
  EXPECT_EQ(page.second.front().at_ms, 600);
}

TYPED_TEST(StoreConformance, AuditFieldsAreBoundedAndCleaned) {
  auto opened = this->open();
  Store& store = *opened;
  EXPECT_EQ(audit(store, AuditEntry{0, 0, "", "x", "", "", true}), Status::invalid);
  EXPECT_EQ(audit(store, AuditEntry{0, 0, "x", "", "", "", true}), Status::invalid);
  EXPECT_EQ(audit(store, AuditEntry{0, -1, "x", "y", "", "", true}), Status::invalid);

  // "é" is two bytes: a cut must not split it.
  std::string long_detail = "a";
  for (int i = 0; i < 2000; ++i) long_detail += "é";
  ASSERT_EQ(audit(store, AuditEntry{0, 0, std::string(100, 'u'), "room.broadcast",
                                    std::string(300, 't'), long_detail, true}),
            Status::ok);
  ASSERT_EQ(audit(store, AuditEntry{0, 0, "eve",
                                    "a\x01"
                                    "b",
                                    "bad \xff utf8", "line one\nline two\ttab", true}),
            Status::ok);

  const auto [status, rows] = audit_page(store, 10, 0);
  ASSERT_EQ(status, Status::ok);
  ASSERT_EQ(rows.size(), 2u);
  const AuditEntry& cleaned = rows[0];
  EXPECT_EQ(cleaned.action, "a?b");
  EXPECT_EQ(cleaned.target, "bad ? utf8");
  EXPECT_EQ(cleaned.detail, "line one line two tab");
  const AuditEntry& cut = rows[1];
  EXPECT_EQ(cut.actor.size(), AdminStore::kAuditActorMax);
  EXPECT_EQ(cut.target.size(), AdminStore::kAuditTargetMax);
  EXPECT_EQ(cut.detail.size(), AdminStore::kAuditDetailMax - 1);  // 1 + 2 * 1023 bytes
  EXPECT_EQ(cut.detail.substr(cut.detail.size() - 2), "é");
}

// ---------------------------------------------------------------------------------------------
// Player search and detail

// Ten players with distinct, known "last seen" times: the later made, the more recent.
template <class B>
class PlayerSearch : public StoreConformance<B> {
 protected:
  void SetUp() override {
    StoreConformance<B>::SetUp();
    if (this->IsSkipped()) return;
    store_ = this->open();
    alice_ = guest(*store_, "device-alice", "Alice");
    alina_ = guest(*store_, "device-alina", "alina");
    bob_ = guest(*store_, "device-bob00", "Bob");
    percent_ = guest(*store_, "device-pct00", "100% legit");
    thousand_ = guest(*store_, "device-1000x", "1000 points");
    underscore_ = guest(*store_, "device-und00", "a_b");
    axb_ = guest(*store_, "device-axb00", "axb");
    backslash_ = guest(*store_, "device-bsl00", "back\\slash");
    backx_ = guest(*store_, "device-bsx00", "backxslash");
    zorro_ = register_account(*store_, "qwerty_7", "password1", "Zorro").player.id;
    this->raw()->exec("UPDATE players SET last_login_ms = 1000000 + id");
  }

  std::vector<PlayerId> find(std::string query, uint32_t limit = 50) {
    const auto [status, rows] = search(*store_, std::move(query), limit);
    EXPECT_EQ(status, Status::ok);
    return ids_of(rows);
  }

  std::unique_ptr<Store> store_;
  PlayerId alice_ = 0, alina_ = 0, bob_ = 0, percent_ = 0, thousand_ = 0, underscore_ = 0, axb_ = 0,
           backslash_ = 0, backx_ = 0, zorro_ = 0;
};

TYPED_TEST_SUITE(PlayerSearch, Backends, BackendName);

TYPED_TEST(PlayerSearch, ByNamePrefixIgnoringCase) {
  EXPECT_EQ(this->find("ali"),
            (std::vector<PlayerId>{this->alina_, this->alice_}));  // most recently seen first
  EXPECT_EQ(this->find("ALI"), (std::vector<PlayerId>{this->alina_, this->alice_}));
  EXPECT_EQ(this->find("  alic  "),
            (std::vector<PlayerId>{this->alice_}));          // spaces around are ignored
  EXPECT_EQ(this->find("lice"), (std::vector<PlayerId>{}));  // a prefix, not a substring
  EXPECT_EQ(this->find("bob"), (std::vector<PlayerId>{this->bob_}));
  EXPECT_EQ(this->find("zor"), (std::vector<PlayerId>{this->zorro_}));     // display name
  EXPECT_EQ(this->find("QWERTY"), (std::vector<PlayerId>{this->zorro_}));  // username
  EXPECT_EQ(this->find("nobody"), (std::vector<PlayerId>{}));
  EXPECT_EQ(this->find("ali", 1), (std::vector<PlayerId>{this->alina_}));

  const auto [status, rows] = search(*this->store_, "zorro");
  ASSERT_EQ(status, Status::ok);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].player.username, "qwerty_7");
  EXPECT_EQ(rows[0].player.display_name, "Zorro");
  EXPECT_FALSE(rows[0].player.guest);
  EXPECT_EQ(rows[0].stats.player_id, this->zorro_);
  EXPECT_EQ(rows[0].stats.games_played, 0);
  EXPECT_EQ(rows[0].last_login_ms, 1000000 + this->zorro_);
  EXPECT_GT(rows[0].created_ms, 0);
}

TYPED_TEST(PlayerSearch, LikeWildcardsAreLiteral) {
  EXPECT_EQ(this->find("100%"), (std::vector<PlayerId>{this->percent_}));    // not "1000 points"
  EXPECT_EQ(this->find("a_b"), (std::vector<PlayerId>{this->underscore_}));  // not "axb"
  EXPECT_EQ(this->find("a_"), (std::vector<PlayerId>{this->underscore_}));
  EXPECT_EQ(this->find("back\\"), (std::vector<PlayerId>{this->backslash_}));  // not "backxslash"
  EXPECT_EQ(this->find("%"), (std::vector<PlayerId>{}));
  EXPECT_EQ(this->find("_"), (std::vector<PlayerId>{}));
  EXPECT_EQ(this->find("\\"), (std::vector<PlayerId>{}));
  EXPECT_EQ(this->find("back"), (std::vector<PlayerId>{this->backx_, this->backslash_}));
}

TYPED_TEST(PlayerSearch, ByIdAlsoMatchesNames) {
  EXPECT_EQ(this->find(std::to_string(this->bob_)), (std::vector<PlayerId>{this->bob_}));
  // "1" is player 1 (Alice), listed first, then the names starting with "1", most recent first.
  ASSERT_EQ(this->alice_, 1);
  EXPECT_EQ(this->find("1"),
            (std::vector<PlayerId>{this->alice_, this->thousand_, this->percent_}));
  EXPECT_EQ(this->find("100"),
            (std::vector<PlayerId>{this->thousand_, this->percent_}));          // no player 100
  EXPECT_EQ(this->find("99999999999999999999999"), (std::vector<PlayerId>{}));  // past int64
}

TYPED_TEST(PlayerSearch, EmptyQueryListsMostRecentlySeen) {
  EXPECT_EQ(this->find(""),
            (std::vector<PlayerId>{this->zorro_, this->backx_, this->backslash_, this->axb_,
                                   this->underscore_, this->thousand_, this->percent_, this->bob_,
                                   this->alina_, this->alice_}));
  EXPECT_EQ(this->find("   ", 2), (std::vector<PlayerId>{this->zorro_, this->backx_}));
  {
    auto raw = this->raw();
    raw->exec("UPDATE players SET last_login_ms = 9999999 WHERE id = " +
              std::to_string(this->bob_));
  }
  EXPECT_EQ(this->find("", 1), (std::vector<PlayerId>{this->bob_}));
  EXPECT_EQ(this->find("", 0), (std::vector<PlayerId>{}));
  EXPECT_EQ(this->find("", 100000).size(), 10u);  // capped at kMaxSearchResults, which is more
}

TYPED_TEST(PlayerSearch, BadQueriesAreInvalid) {
  EXPECT_EQ(search(*this->store_, std::string(65, 'a')).first, Status::invalid);
  EXPECT_EQ(search(*this->store_, "a\nb").first, Status::invalid);
  EXPECT_EQ(search(*this->store_, "bad \xff").first, Status::invalid);
  EXPECT_EQ(search(*this->store_, std::string(64, 'a')).first, Status::ok);
}

TYPED_TEST(PlayerSearch, DetailWithStatsAndRecentMatches) {
  std::vector<MatchResult> results;
  for (int i = 0; i < 25; ++i) {
    results.push_back(MatchResult{this->bob_, "relay", 0xffff'0000'0000'0000ull + uint64_t(i), i,
                                  10'000 + i * 100, 10'050 + i * 100});
  }
  results.push_back(MatchResult{this->alice_, "spelltraction", 1, 1000, 1, 99'999});
  ASSERT_EQ(record(*this->store_, results), Status::ok);

  const auto [status, d] = detail(*this->store_, this->bob_);
  ASSERT_EQ(status, Status::ok);
  EXPECT_EQ(d.player.id, this->bob_);
  EXPECT_EQ(d.player.display_name, "Bob");
  EXPECT_TRUE(d.player.guest);
  EXPECT_EQ(d.stats.player_id, this->bob_);
  EXPECT_EQ(d.stats.games_played, 25);
  EXPECT_EQ(d.stats.total_score, 300);  // 0 + 1 + ... + 24
  EXPECT_EQ(d.stats.best_score, 24);
  EXPECT_EQ(d.last_login_ms, 1000000 + this->bob_);
  ASSERT_EQ(d.recent_matches.size(), AdminStore::kRecentMatches);
  EXPECT_EQ(d.recent_matches.front().score, 24);  // newest first
  EXPECT_EQ(d.recent_matches.front().ended_ms, 10'050 + 24 * 100);
  EXPECT_EQ(d.recent_matches.front().room_id, 0xffff'0000'0000'0000ull + 24);
  EXPECT_EQ(d.recent_matches.front().room_type, "relay");
  EXPECT_EQ(d.recent_matches.back().score, 5);
  for (const MatchResult& m : d.recent_matches) EXPECT_EQ(m.player_id, this->bob_);

  const auto by_name = search(*this->store_, "bob");
  ASSERT_EQ(by_name.second.size(), 1u);
  EXPECT_EQ(by_name.second[0].stats.total_score, 300);

  const auto idle = detail(*this->store_, this->axb_);
  ASSERT_EQ(idle.first, Status::ok);
  EXPECT_TRUE(idle.second.recent_matches.empty());
  EXPECT_EQ(idle.second.stats.games_played, 0);

  const auto missing = detail(*this->store_, this->zorro_ + 1000);
  EXPECT_EQ(missing.first, Status::not_found);
  EXPECT_EQ(missing.second.player.id, 0);
  EXPECT_EQ(detail(*this->store_, 0).first, Status::not_found);
}

TYPED_TEST(PlayerSearch, ShowsBans) {
  const int64_t until = unix_millis() + 3'600'000;
  std::promise<Status> p;
  auto f = p.get_future();
  this->store_->ban(this->bob_, until, "spam", [&p](Status s) { p.set_value(s); });
  ASSERT_EQ(await(f, "ban"), Status::ok);
  const auto rows = search(*this->store_, "bob").second;
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].player.banned_until_ms, until);
  EXPECT_EQ(rows[0].player.ban_reason, "spam");
  EXPECT_EQ(detail(*this->store_, this->bob_).second.player.ban_reason, "spam");
}

}  // namespace
}  // namespace rookery::store

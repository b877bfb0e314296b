// Player store tests: real SQLite files under the temp folder, one per test, removed afterwards.
// Raw sqlite3 connections check what actually reached the file.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "store/migrations.hpp"
#include "store/password.hpp"
#include "store/sqlite_store.hpp"
#include "store_fixtures.hpp"

namespace rookery::store {
namespace {

namespace fs = std::filesystem;

// A temporary folder per test, named after this suite.
class TempDir : public testing_support::TempDir {
 public:
  TempDir() : testing_support::TempDir("rookery-store-test") {}
};

testing::Environment* const kQuietLogs =
    testing::AddGlobalTestEnvironment(new testing_support::QuietLogs);

// Waits for a callback's value; a store bug must fail the run, not hang it.
template <class T>
T await(std::future<T>& f, const char* what) {
  if (f.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    std::fprintf(stderr, "FATAL: store request '%s' got no callback within 20 s\n", what);
    std::abort();  // the store's destructor would wait for the lost request forever
  }
  return f.get();
}

struct PlayerReply {
  Status status;
  Player player;
};

PlayerReply login_guest(PlayerStore& s, std::string device, std::string name = "") {
  std::promise<PlayerReply> p;
  auto f = p.get_future();
  s.login_guest(std::move(device), std::move(name), [&p](Status st, Player pl) {
    p.set_value({st, std::move(pl)});
  });
  return await(f, "login_guest");
}

PlayerReply register_account(PlayerStore& s, std::string user, std::string pass,
                             std::string name = "") {
  std::promise<PlayerReply> p;
  auto f = p.get_future();
  s.register_password(std::move(user), std::move(pass), std::move(name),
                      [&p](Status st, Player pl) {
                        p.set_value({st, std::move(pl)});
                      });
  return await(f, "register_password");
}

PlayerReply login(PlayerStore& s, std::string user, std::string pass) {
  std::promise<PlayerReply> p;
  auto f = p.get_future();
  s.login_password(std::move(user), std::move(pass), [&p](Status st, Player pl) {
    p.set_value({st, std::move(pl)});
  });
  return await(f, "login_password");
}

PlayerReply find(PlayerStore& s, PlayerId id) {
  std::promise<PlayerReply> p;
  auto f = p.get_future();
  s.find_player(id, [&p](Status st, Player pl) { p.set_value({st, std::move(pl)}); });
  return await(f, "find_player");
}

Status record(PlayerStore& s, std::vector<MatchResult> results) {
  std::promise<Status> p;
  auto f = p.get_future();
  s.record_matches(std::move(results), [&p](Status st) { p.set_value(st); });
  return await(f, "record_matches");
}

Status ban(PlayerStore& s, PlayerId id, int64_t until_ms, std::string reason) {
  std::promise<Status> p;
  auto f = p.get_future();
  s.ban(id, until_ms, std::move(reason), [&p](Status st) { p.set_value(st); });
  return await(f, "ban");
}

std::pair<Status, Stats> stats(PlayerStore& s, PlayerId id) {
  std::promise<std::pair<Status, Stats>> p;
  auto f = p.get_future();
  s.get_stats(id, [&p](Status st, Stats x) { p.set_value({st, std::move(x)}); });
  return await(f, "get_stats");
}

std::pair<Status, std::vector<Stats>> top(PlayerStore& s, uint32_t limit) {
  std::promise<std::pair<Status, std::vector<Stats>>> p;
  auto f = p.get_future();
  s.top_players(limit, [&p](Status st, std::vector<Stats> x) { p.set_value({st, std::move(x)}); });
  return await(f, "top_players");
}

MatchResult match(PlayerId id, int64_t score, int64_t ended_ms = 1000) {
  return MatchResult{id, "spelltraction", 7, score, ended_ms - 100, ended_ms};
}

// A separate, plain connection: sees only what the store committed.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "raw open failed: " << sqlite3_errmsg(db_);
    }
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  sqlite3* get() const { return db_; }

  // First column of the first row as text ("" if there is no row).
  std::string scalar(const std::string& sql) const {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db_);
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return out;
  }

  void exec(const std::string& sql) const {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  }

 private:
  sqlite3* db_ = nullptr;
};

StoreOptions options_for(const TempDir& tmp) {
  StoreOptions o;
  o.path = tmp.db();
  return o;
}

// ---------------------------------------------------------------------------------------------
// Migrations

TEST(Migrations, ApplyOnceAndAreIdempotent) {
  TempDir tmp;
  const auto known = embedded_migrations();
  ASSERT_FALSE(known.empty());
  EXPECT_EQ(known.front().name, "0001_init");

  const MigrationReport first = migrate(tmp.db());  // also creates the data/ folder
  EXPECT_EQ(first.from_version, 0);
  EXPECT_EQ(first.to_version, known.back().version);
  ASSERT_EQ(first.applied.size(), known.size());
  EXPECT_EQ(first.applied.front(), "0001_init");

  const MigrationReport second = migrate(tmp.db());
  EXPECT_EQ(second.from_version, known.back().version);
  EXPECT_EQ(second.to_version, known.back().version);
  EXPECT_TRUE(second.applied.empty());

  { SqliteStore store(options_for(tmp)); }  // opening applies nothing either

  RawDb raw(tmp.db());
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM schema_migrations"), std::to_string(known.size()));
  EXPECT_EQ(raw.scalar("SELECT name FROM schema_migrations WHERE version = 1"), "0001_init");
  EXPECT_NE(raw.scalar("SELECT applied_at_ms FROM schema_migrations WHERE version = 1"), "0");
  EXPECT_EQ(raw.scalar("PRAGMA journal_mode"), "wal");
  for (const char* table : {"players", "player_stats", "match_results"}) {
    EXPECT_EQ(
        raw.scalar(std::string("SELECT count(*) FROM sqlite_schema WHERE name = '") + table + "'"),
        "1")
        << table;
  }
}

TEST(Migrations, NewerDatabaseIsRefused) {
  TempDir tmp;
  migrate(tmp.db());
  {
    RawDb raw(tmp.db());
    raw.exec("INSERT INTO schema_migrations VALUES (9999, '9999_future', 0)");
  }
  try {
    migrate(tmp.db());
    FAIL() << "migrate accepted a newer schema";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this binary"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SqliteStore{options_for(tmp)}, std::runtime_error);
}

TEST(Migrations, FailedMigrationRollsBackAndStops) {
  TempDir tmp;
  fs::create_directories(tmp.dir() / "data");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(tmp.db().c_str(), &db), SQLITE_OK);
  const Migration list[] = {
      {1, "0001_a", "CREATE TABLE a (x INTEGER);"},
      {2, "0002_b", "CREATE TABLE b (x INTEGER); INSERT INTO missing VALUES (1);"},
      {3, "0003_c", "CREATE TABLE c (x INTEGER);"},
  };
  try {
    apply_migrations(db, list);
    ADD_FAILURE() << "a broken migration was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("0002_b"), std::string::npos) << e.what();
  }
  sqlite3_close(db);

  RawDb check(tmp.db());
  EXPECT_EQ(check.scalar("SELECT max(version) FROM schema_migrations"), "1");
  EXPECT_EQ(check.scalar("SELECT count(*) FROM sqlite_schema WHERE name IN ('b', 'c')"), "0");
}

TEST(Migrations, UnopenablePathThrowsWithCause) {
  TempDir tmp;
  const fs::path file = tmp.dir() / "plain-file";
  std::ofstream(file) << "x";
  StoreOptions o;
  o.path = (file / "sub" / "rookery.db").string();  // a file cannot be a folder
  try {
    SqliteStore store(o);
    FAIL() << "opened a database below a plain file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(o.path), std::string::npos) << e.what();
  }
  o.path = tmp.dir().string();  // a folder is not a database
  EXPECT_THROW(SqliteStore{o}, std::runtime_error);
  o = options_for(tmp);
  o.synchronous = "off";
  EXPECT_THROW(SqliteStore{o}, std::runtime_error);
}

// ---------------------------------------------------------------------------------------------
// Accounts

TEST(Store, GuestLoginCreatesThenFinds) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));

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

  RawDb raw(tmp.db());
  EXPECT_NE(raw.scalar("SELECT last_login_ms FROM players WHERE device_id = 'device-0001'"), "0");
}

TEST(Store, RegisterRejectsDuplicateUsernameIgnoringCase) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));

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

TEST(Store, PasswordLogin) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
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

TEST(Store, PasswordIsStoredAsArgon2idHash) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
  ASSERT_EQ(register_account(store, "carol", "hunter2hunter2").status, Status::ok);

  RawDb raw(tmp.db());
  const std::string hash = raw.scalar("SELECT password_hash FROM players WHERE username = 'carol'");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_NE(hash.find("m=19456,t=2,p=1"), std::string::npos) << hash;
  EXPECT_EQ(hash.find("hunter2"), std::string::npos);
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM players WHERE password_hash LIKE '%hunter2%'"), "0");
}

TEST(Store, InvalidInputsAreRejected) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
  const std::string long_name(33, 'a');
  const std::string long_password(257, 'p');

  EXPECT_EQ(login_guest(store, "short").status, Status::invalid);
  EXPECT_EQ(login_guest(store, std::string(129, 'd')).status, Status::invalid);
  EXPECT_EQ(login_guest(store, "device with spaces").status, Status::invalid);
  EXPECT_EQ(login_guest(store, "device-0001", long_name).status, Status::invalid);
  EXPECT_EQ(login_guest(store, "device-0001", "bad\nname").status, Status::invalid);
  EXPECT_EQ(login_guest(store, "device-0001", "bad \xff utf8").status, Status::invalid);

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
  RawDb raw(tmp.db());
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM players"), "2");
}

TEST(Store, FindPlayer) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
  const PlayerReply guest = login_guest(store, "device-0001", "Gus");
  const PlayerReply found = find(store, guest.player.id);
  ASSERT_EQ(found.status, Status::ok);
  EXPECT_EQ(found.player.display_name, "Gus");
  EXPECT_TRUE(found.player.guest);
  EXPECT_FALSE(found.player.created);
  EXPECT_EQ(find(store, guest.player.id + 100).status, Status::not_found);
}

// ---------------------------------------------------------------------------------------------
// Stats

TEST(Store, RecordMatchesUpdatesStatsAndLeaderboard) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
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

  RawDb raw(tmp.db());
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM match_results"), "5");
}

TEST(Store, BadRequestDoesNotPoisonItsBatch) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
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
  RawDb raw(tmp.db());
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM match_results"), "2");
}

// ---------------------------------------------------------------------------------------------
// Bans

TEST(Store, BannedPlayersCannotLogIn) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
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

// ---------------------------------------------------------------------------------------------
// Concurrency and durability

TEST(Store, ManyConcurrentGuestLogins) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
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
  RawDb raw(tmp.db());
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM players"), std::to_string(promises.size()));
}

TEST(Store, OkMeansVisibleToAnotherConnection) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
  const PlayerReply r = login_guest(store, "device-durable");
  ASSERT_EQ(r.status, Status::ok);
  // No flush: the callback alone promises the commit happened.
  RawDb raw(tmp.db());
  EXPECT_EQ(raw.scalar("SELECT id FROM players WHERE device_id = 'device-durable'"),
            std::to_string(r.player.id));

  std::promise<std::string> seen;
  auto f = seen.get_future();
  store.record_matches({match(r.player.id, 42)}, [&](Status s) {
    // Checked from inside the callback, before anything else can commit it.
    RawDb inside(tmp.db());
    seen.set_value(s == Status::ok
                       ? inside.scalar("SELECT total_score FROM player_stats WHERE player_id = " +
                                       std::to_string(r.player.id))
                       : "failed");
  });
  EXPECT_EQ(await(f, "record_matches"), "42");
}

TEST(Store, FlushWaitsForEverythingQueuedBefore) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
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
  RawDb raw(tmp.db());
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM players"), "101");
}

TEST(Store, DestructorAnswersEverythingQueued) {
  TempDir tmp;
  std::atomic<int> answered{0};
  {
    StoreOptions o = options_for(tmp);
    o.batch_max = 7;  // several transactions
    SqliteStore store(o);
    for (int i = 0; i < 50; ++i) {
      store.login_guest("device-" + std::to_string(300000 + i), "",
                        [&](Status s, const Player&) { answered += s == Status::ok; });
    }
    store.register_password("grace", "password1", "",
                            [&](Status s, const Player&) { answered += s == Status::ok; });
  }
  EXPECT_EQ(answered.load(), 51);
  SqliteStore reopened(options_for(tmp));
  EXPECT_EQ(login(reopened, "grace", "password1").status, Status::ok);
  EXPECT_EQ(login_guest(reopened, "device-300049").player.created, false);
}

TEST(Store, LockedDatabaseFailsTheBatchThenRecovers) {
  TempDir tmp;
  StoreOptions o = options_for(tmp);
  o.busy_timeout_ms = 50;
  SqliteStore store(o);
  RawDb other(tmp.db());
  other.exec("BEGIN IMMEDIATE");  // another process holds the write lock
  EXPECT_EQ(login_guest(store, "device-locked").status, Status::failed);
  other.exec("ROLLBACK");
  const PlayerReply r = login_guest(store, "device-locked");
  EXPECT_EQ(r.status, Status::ok);
  EXPECT_TRUE(r.player.created);  // the failed attempt left nothing behind
}

// Not a pass/fail check: prints the cost of one registration with the production KDF settings.
TEST(Store, RegisterCost) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
  ASSERT_EQ(register_account(store, "warmup", "password1").status, Status::ok);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(register_account(store, "timed", "password1").status, Status::ok);
  const auto ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
  std::printf("one register (Argon2id t=%llu, m=%zu MiB) took %.1f ms\n", password::kOpsLimit,
              password::kMemLimitBytes / (size_t{1024} * 1024), ms.count());
}

TEST(Password, HashVerifiesAndSalts) {
  const std::string a = password::hash("correct horse");
  const std::string b = password::hash("correct horse");
  EXPECT_NE(a, b);  // fresh salt each time
  EXPECT_TRUE(password::verify(a, "correct horse"));
  EXPECT_FALSE(password::verify(a, "correct horsf"));
  EXPECT_FALSE(password::verify("not a hash", "correct horse"));
  EXPECT_FALSE(password::verify(std::string(500, '$'), "correct horse"));
}

}  // namespace
}  // namespace rookery::store

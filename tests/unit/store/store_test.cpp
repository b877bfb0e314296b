// SQLite-only store tests (migrations, locking, the factory): real SQLite files under the temp
// folder, one per test, removed afterwards. Shared behaviour: store_conformance_test.cpp.
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
#include "store/sqlite_file.hpp"
#include "store/sqlite_store.hpp"
#include "store/store.hpp"
#include "store/store_fixtures.hpp"

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

// A separate, plain connection: sees only what the store committed.
using RawDb = testing_support::SqliteFile;

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
// SQLite only (every behaviour both stores share is in store_conformance_test.cpp)

TEST(Store, LockedDatabaseFailsTheBatchThenRecovers) {
  TempDir tmp;
  StoreOptions o = options_for(tmp);
  o.busy_timeout_ms = 50;
  SqliteStore store(o);
  RawDb other(tmp.db());
  other.exec("BEGIN IMMEDIATE");  // another process holds the write lock
  EXPECT_EQ(login_guest(store, "device-locked").status, Status::failed);
  EXPECT_FALSE(store.healthy());  // until a transaction commits again
  other.exec("ROLLBACK");
  const PlayerReply r = login_guest(store, "device-locked");
  EXPECT_EQ(r.status, Status::ok);
  EXPECT_TRUE(r.player.created);  // the failed attempt left nothing behind
  EXPECT_TRUE(store.healthy());
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

TEST(OpenStore, DbNamesItsDialect) {
  EXPECT_TRUE(is_postgres_url("postgresql://host/db"));
  EXPECT_TRUE(is_postgres_url("postgres://host/db"));
  EXPECT_FALSE(is_postgres_url("data/rookery.db"));
  EXPECT_FALSE(is_postgres_url("postgresql.db"));
  EXPECT_EQ(redact_db("postgresql://u:secret@h:5432/db"), "postgresql://u:***@h:5432/db");
  EXPECT_EQ(redact_db("postgresql://u@h/db?x=1"), "postgresql://u@h/db?x=1");
  EXPECT_EQ(redact_db("data/a:b@c.db"), "data/a:b@c.db");

  TempDir tmp;
  StoreOptions o = options_for(tmp);
  auto store = open_store(o);  // a path: the SQLite store
  EXPECT_NE(dynamic_cast<SqliteStore*>(store.get()), nullptr);
  store.reset();
  o.path = "postgresql://rookery@/rookery?host=" + tmp.path("no-server-here");
  try {
    open_store(o);
    FAIL() << "opened a PostgreSQL store with no server";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect"), std::string::npos) << e.what();
  }
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

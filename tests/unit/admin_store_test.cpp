// AdminStore tests (SqliteStore): admin users, the audit log and player search, on real SQLite
// files under the temp folder (one per test, removed afterwards). Raw sqlite3 connections check
// what actually reached the file.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "store/admin_store.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_store.hpp"
#include "store_fixtures.hpp"

namespace rookery::store {
namespace {

namespace fs = std::filesystem;

// A temporary folder per test, named after this suite.
class TempDir : public testing_support::TempDir {
 public:
  TempDir() : testing_support::TempDir("rookery-admin-test") {}
};

testing::Environment* const kQuietLogs =
    testing::AddGlobalTestEnvironment(new testing_support::QuietLogs);

StoreOptions options_for(const TempDir& tmp) {
  StoreOptions o;
  o.path = tmp.db();
  return o;
}

// Waits for a callback's value; a store bug must fail the run, not hang it.
template <class T>
T await(std::future<T>& f, const char* what) {
  if (f.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    std::fprintf(stderr, "FATAL: store request '%s' got no callback within 20 s\n", what);
    std::abort();  // the store's destructor would wait for the lost request forever
  }
  return f.get();
}

// Runs one request whose callback is (Status) and returns that status.
template <class Start>
Status status_of(Start start, const char* what) {
  std::promise<Status> p;
  auto f = p.get_future();
  start([&p](Status s) { p.set_value(s); });
  return await(f, what);
}

// Runs one request whose callback is (Status, T) and returns both.
template <class T, class Start>
std::pair<Status, T> reply_of(Start start, const char* what) {
  std::promise<std::pair<Status, T>> p;
  auto f = p.get_future();
  start([&p](Status s, T value) { p.set_value({s, std::move(value)}); });
  return await(f, what);
}

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

Status record(PlayerStore& s, std::vector<MatchResult> results) {
  return status_of([&](auto cb) { s.record_matches(std::move(results), cb); }, "record_matches");
}

// Ids of a search result, in order.
std::vector<PlayerId> ids_of(const std::vector<PlayerSummary>& rows) {
  std::vector<PlayerId> out;
  for (const PlayerSummary& r : rows) out.push_back(r.player.id);
  return out;
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

  // True if `sql` runs without error.
  bool runs(const std::string& sql) const {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  }

  void exec(const std::string& sql) const {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  }

 private:
  sqlite3* db_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// Schema

TEST(AdminSchema, MigrationTwoIsApplied) {
  TempDir tmp;
  const MigrationReport report = migrate(tmp.db());
  EXPECT_GE(report.to_version, 2);
  ASSERT_GE(report.applied.size(), 2u);
  EXPECT_EQ(report.applied[1], "0002_admin");
  { SqliteStore store(options_for(tmp)); }  // opens on the migrated file, applies nothing

  RawDb raw(tmp.db());
  EXPECT_EQ(raw.scalar("SELECT name FROM schema_migrations WHERE version = 2"), "0002_admin");
  for (const char* table : {"admin_users", "admin_audit"}) {
    EXPECT_EQ(raw.scalar(std::string("SELECT strict FROM pragma_table_list WHERE name = '") +
                         table + "'"),
              "1")
        << table;
  }
  for (const char* index : {"admin_audit_at", "players_by_display_name", "players_by_last_login"}) {
    EXPECT_EQ(raw.scalar(std::string("SELECT count(*) FROM sqlite_schema WHERE type = 'index' "
                                     "AND name = '") +
                         index + "'"),
              "1")
        << index;
  }
  // The constraints hold even for writes that bypass the store.
  EXPECT_FALSE(
      raw.runs("INSERT INTO admin_users (username, password_hash, role, created_ms) VALUES "
               "('x', 'h', 'root', 1)"));
  EXPECT_TRUE(
      raw.runs("INSERT INTO admin_users (username, password_hash, role, created_ms) VALUES "
               "('x', 'h', 'viewer', 1)"));
  EXPECT_FALSE(
      raw.runs("INSERT INTO admin_users (username, password_hash, role, created_ms) VALUES "
               "('X', 'h', 'viewer', 1)"));
  EXPECT_FALSE(
      raw.runs("INSERT INTO admin_audit (at_ms, actor, action, ok) VALUES (1, 'a', 'b', "
               "'yes')"));
}

// ---------------------------------------------------------------------------------------------
// Admin users

TEST(AdminUsers, CreateAndVerify) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
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

TEST(AdminUsers, DuplicatesAndInvalidInput) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
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

TEST(AdminUsers, PasswordIsStoredAsArgon2idHash) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
  ASSERT_EQ(create(store, "carol", "hunter2hunter2", "admin"), Status::ok);

  RawDb raw(tmp.db());
  const std::string hash =
      raw.scalar("SELECT password_hash FROM admin_users WHERE username = 'carol'");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_NE(hash.find("m=19456,t=2,p=1"), std::string::npos) << hash;
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM admin_users WHERE password_hash LIKE '%hunter2%'"),
            "0");
}

TEST(AdminUsers, ListAndCount) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
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

TEST(AdminUsers, DestructorAnswersQueuedAdminRequests) {
  TempDir tmp;
  std::atomic<int> answered{0};
  {
    SqliteStore store(options_for(tmp));
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
  SqliteStore reopened(options_for(tmp));
  EXPECT_EQ(verify(reopened, "erin", "password1").first, Status::ok);
}

// ---------------------------------------------------------------------------------------------
// Audit log

TEST(AdminAudit, AppendAndPageNewestFirst) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
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

TEST(AdminAudit, PageSizeIsCapped) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
  {
    RawDb raw(tmp.db());
    raw.exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600) "
        "INSERT INTO admin_audit (at_ms, actor, action, ok) SELECT i, 'x', 'y', 1 FROM n");
  }
  const auto page = audit_page(store, 100000, 0);
  ASSERT_EQ(page.first, Status::ok);
  EXPECT_EQ(page.second.size(), AdminStore::kMaxAuditPage);
  EXPECT_EQ(page.second.front().at_ms, 600);
}

TEST(AdminAudit, FieldsAreBoundedAndCleaned) {
  TempDir tmp;
  SqliteStore store(options_for(tmp));
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

class PlayerSearch : public testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<SqliteStore>(options_for(tmp_));
    alice_ = guest(*store_, "device-alice", "Alice");
    alina_ = guest(*store_, "device-alina", "alina");
    bob_ = guest(*store_, "device-bob00", "Bob");
    percent_ = guest(*store_, "device-pct00", "100% legit");
    thousand_ = guest(*store_, "device-1000x", "1000 points");
    underscore_ = guest(*store_, "device-und00", "a_b");
    axb_ = guest(*store_, "device-axb00", "axb");
    backslash_ = guest(*store_, "device-bsl00", "back\\slash");
    backx_ = guest(*store_, "device-bsx00", "backxslash");
    std::promise<Player> p;
    auto f = p.get_future();
    store_->register_password("qwerty_7", "password1", "Zorro",
                              [&p](Status, Player pl) { p.set_value(std::move(pl)); });
    zorro_ = await(f, "register_password").id;
    // Distinct, known "last seen" times: the later a player was made, the more recent.
    RawDb raw(tmp_.db());
    raw.exec("UPDATE players SET last_login_ms = 1000000 + id");
  }

  std::vector<PlayerId> find(std::string query, uint32_t limit = 50) {
    const auto [status, rows] = search(*store_, std::move(query), limit);
    EXPECT_EQ(status, Status::ok);
    return ids_of(rows);
  }

  TempDir tmp_;
  std::unique_ptr<SqliteStore> store_;
  PlayerId alice_ = 0, alina_ = 0, bob_ = 0, percent_ = 0, thousand_ = 0, underscore_ = 0, axb_ = 0,
           backslash_ = 0, backx_ = 0, zorro_ = 0;
};

TEST_F(PlayerSearch, ByNamePrefixIgnoringCase) {
  EXPECT_EQ(find("ali"), (std::vector<PlayerId>{alina_, alice_}));  // most recently seen first
  EXPECT_EQ(find("ALI"), (std::vector<PlayerId>{alina_, alice_}));
  EXPECT_EQ(find("  alic  "), (std::vector<PlayerId>{alice_}));  // spaces around are ignored
  EXPECT_EQ(find("lice"), (std::vector<PlayerId>{}));            // a prefix, not a substring
  EXPECT_EQ(find("bob"), (std::vector<PlayerId>{bob_}));
  EXPECT_EQ(find("zor"), (std::vector<PlayerId>{zorro_}));     // display name
  EXPECT_EQ(find("QWERTY"), (std::vector<PlayerId>{zorro_}));  // username
  EXPECT_EQ(find("nobody"), (std::vector<PlayerId>{}));
  EXPECT_EQ(find("ali", 1), (std::vector<PlayerId>{alina_}));

  const auto [status, rows] = search(*store_, "zorro");
  ASSERT_EQ(status, Status::ok);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].player.username, "qwerty_7");
  EXPECT_EQ(rows[0].player.display_name, "Zorro");
  EXPECT_FALSE(rows[0].player.guest);
  EXPECT_EQ(rows[0].stats.player_id, zorro_);
  EXPECT_EQ(rows[0].stats.games_played, 0);
  EXPECT_EQ(rows[0].last_login_ms, 1000000 + zorro_);
  EXPECT_GT(rows[0].created_ms, 0);
}

TEST_F(PlayerSearch, LikeWildcardsAreLiteral) {
  EXPECT_EQ(find("100%"), (std::vector<PlayerId>{percent_}));    // not "1000 points"
  EXPECT_EQ(find("a_b"), (std::vector<PlayerId>{underscore_}));  // not "axb"
  EXPECT_EQ(find("a_"), (std::vector<PlayerId>{underscore_}));
  EXPECT_EQ(find("back\\"), (std::vector<PlayerId>{backslash_}));  // not "backxslash"
  EXPECT_EQ(find("%"), (std::vector<PlayerId>{}));
  EXPECT_EQ(find("_"), (std::vector<PlayerId>{}));
  EXPECT_EQ(find("\\"), (std::vector<PlayerId>{}));
  EXPECT_EQ(find("back"), (std::vector<PlayerId>{backx_, backslash_}));
}

TEST_F(PlayerSearch, ByIdAlsoMatchesNames) {
  EXPECT_EQ(find(std::to_string(bob_)), (std::vector<PlayerId>{bob_}));
  // "1" is player 1 (Alice), listed first, then the names starting with "1", most recent first.
  ASSERT_EQ(alice_, 1);
  EXPECT_EQ(find("1"), (std::vector<PlayerId>{alice_, thousand_, percent_}));
  EXPECT_EQ(find("100"), (std::vector<PlayerId>{thousand_, percent_}));   // no player 100
  EXPECT_EQ(find("99999999999999999999999"), (std::vector<PlayerId>{}));  // past int64
}

TEST_F(PlayerSearch, EmptyQueryListsMostRecentlySeen) {
  EXPECT_EQ(find(""), (std::vector<PlayerId>{zorro_, backx_, backslash_, axb_, underscore_,
                                             thousand_, percent_, bob_, alina_, alice_}));
  EXPECT_EQ(find("   ", 2), (std::vector<PlayerId>{zorro_, backx_}));
  {
    RawDb raw(tmp_.db());
    raw.exec("UPDATE players SET last_login_ms = 9999999 WHERE id = " + std::to_string(bob_));
  }
  EXPECT_EQ(find("", 1), (std::vector<PlayerId>{bob_}));
  EXPECT_EQ(find("", 0), (std::vector<PlayerId>{}));
  EXPECT_EQ(find("", 100000).size(), 10u);  // capped at kMaxSearchResults, which is more
}

TEST_F(PlayerSearch, BadQueriesAreInvalid) {
  EXPECT_EQ(search(*store_, std::string(65, 'a')).first, Status::invalid);
  EXPECT_EQ(search(*store_, "a\nb").first, Status::invalid);
  EXPECT_EQ(search(*store_, "bad \xff").first, Status::invalid);
  EXPECT_EQ(search(*store_, std::string(64, 'a')).first, Status::ok);
}

TEST_F(PlayerSearch, DetailWithStatsAndRecentMatches) {
  std::vector<MatchResult> results;
  for (int i = 0; i < 25; ++i) {
    results.push_back(MatchResult{bob_, "relay", 0xffff'0000'0000'0000ull + uint64_t(i), i,
                                  10'000 + i * 100, 10'050 + i * 100});
  }
  results.push_back(MatchResult{alice_, "spelltraction", 1, 1000, 1, 99'999});
  ASSERT_EQ(record(*store_, results), Status::ok);

  const auto [status, d] = detail(*store_, bob_);
  ASSERT_EQ(status, Status::ok);
  EXPECT_EQ(d.player.id, bob_);
  EXPECT_EQ(d.player.display_name, "Bob");
  EXPECT_TRUE(d.player.guest);
  EXPECT_EQ(d.stats.player_id, bob_);
  EXPECT_EQ(d.stats.games_played, 25);
  EXPECT_EQ(d.stats.total_score, 300);  // 0 + 1 + ... + 24
  EXPECT_EQ(d.stats.best_score, 24);
  EXPECT_EQ(d.last_login_ms, 1000000 + bob_);
  ASSERT_EQ(d.recent_matches.size(), AdminStore::kRecentMatches);
  EXPECT_EQ(d.recent_matches.front().score, 24);  // newest first
  EXPECT_EQ(d.recent_matches.front().ended_ms, 10'050 + 24 * 100);
  EXPECT_EQ(d.recent_matches.front().room_id, 0xffff'0000'0000'0000ull + 24);
  EXPECT_EQ(d.recent_matches.front().room_type, "relay");
  EXPECT_EQ(d.recent_matches.back().score, 5);
  for (const MatchResult& m : d.recent_matches) EXPECT_EQ(m.player_id, bob_);

  const auto by_name = search(*store_, "bob");
  ASSERT_EQ(by_name.second.size(), 1u);
  EXPECT_EQ(by_name.second[0].stats.total_score, 300);

  const auto idle = detail(*store_, axb_);
  ASSERT_EQ(idle.first, Status::ok);
  EXPECT_TRUE(idle.second.recent_matches.empty());
  EXPECT_EQ(idle.second.stats.games_played, 0);

  const auto missing = detail(*store_, zorro_ + 1000);
  EXPECT_EQ(missing.first, Status::not_found);
  EXPECT_EQ(missing.second.player.id, 0);
  EXPECT_EQ(detail(*store_, 0).first, Status::not_found);
}

TEST_F(PlayerSearch, ShowsBans) {
  const int64_t until = unix_millis() + 3'600'000;
  std::promise<Status> p;
  auto f = p.get_future();
  store_->ban(bob_, until, "spam", [&p](Status s) { p.set_value(s); });
  ASSERT_EQ(await(f, "ban"), Status::ok);
  const auto rows = search(*store_, "bob").second;
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].player.banned_until_ms, until);
  EXPECT_EQ(rows[0].player.ban_reason, "spam");
  EXPECT_EQ(detail(*store_, bob_).second.player.ban_reason, "spam");
}

}  // namespace
}  // namespace rookery::store

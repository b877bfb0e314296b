// AdminStore tests specific to SQLite (the admin schema as SQLite holds it), on real SQLite files
// under the temp folder. Admin behaviour both stores share: store_conformance_test.cpp.
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
#include "store/sqlite_file.hpp"
#include "store/sqlite_store.hpp"
#include "store/store_fixtures.hpp"

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

// A separate, plain connection: sees only what the store committed.
using RawDb = testing_support::SqliteFile;

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

}  // namespace
}  // namespace rookery::store

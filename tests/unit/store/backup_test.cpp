// Online backup tests: real SQLite files under the temp folder, a live writer on its own
// connection (as a running server would be), and raw sqlite3 reads of the copy.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "base/log.hpp"
#include "store/backup.hpp"
#include "store/migrations.hpp"
#include "store/store_fixtures.hpp"

namespace rookery::store {
namespace {

namespace fs = std::filesystem;

// A temporary folder per test, named after this suite.
class TempDir : public testing_support::TempDir {
 public:
  TempDir() : testing_support::TempDir("rookery-backup-test") {}
};

testing::Environment* const kQuietLogs =
    testing::AddGlobalTestEnvironment(new testing_support::QuietLogs);

// A raw connection, as the server's store thread holds one: WAL mode, full sync.
class Db {
 public:
  explicit Db(const std::string& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK)
        << path;
    sqlite3_busy_timeout(db_, 5000);
  }
  ~Db() { sqlite3_close_v2(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (err != nullptr ? err : "");
    sqlite3_free(err);
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return out;
  }
  int64_t count(const std::string& table) {
    return std::stoll(text("SELECT count(*) FROM " + table));
  }

 private:
  sqlite3* db_ = nullptr;
};

// Inserts `n` guest players in one transaction, as one store batch would.
void add_guests(Db& db, int from, int n) {
  db.exec("BEGIN");
  for (int i = from; i < from + n; ++i) {
    db.exec(
        "INSERT INTO players (device_id, display_name, created_ms, last_login_ms) VALUES "
        "('device-" +
        std::to_string(i) + "', 'guest', 1, 1)");
  }
  db.exec("COMMIT");
}

TEST(Backup, CopiesALiveDatabaseAndVerifiesIt) {
  TempDir tmp;
  const std::string db_path = tmp.path("rookery.db");
  const MigrationReport migrated = migrate(db_path);
  Db live(db_path);
  live.exec("PRAGMA journal_mode=WAL");
  add_guests(live, 0, 100);
  // Committed rows still in the -wal file (not checkpointed) must be in the copy.
  ASSERT_TRUE(fs::exists(db_path + "-wal"));

  const std::string copy = tmp.path("backup.db");
  const BackupReport report = backup_database(db_path, copy);
  EXPECT_EQ(report.integrity, "ok");
  EXPECT_GT(report.pages, 0);
  EXPECT_EQ(report.bytes, report.pages * report.page_size);
  EXPECT_EQ(report.schema_version, migrated.to_version);

  // The copy is one self-contained file, readable on its own, only for its owner.
  EXPECT_FALSE(fs::exists(copy + "-wal"));
  EXPECT_EQ(fs::status(copy).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  Db restored(copy);
  EXPECT_EQ(restored.text("PRAGMA journal_mode"), "delete");
  EXPECT_EQ(restored.count("players"), 100);
  EXPECT_EQ(restored.text("PRAGMA integrity_check"), "ok");

  // The live database is untouched and still writable.
  add_guests(live, 100, 1);
  EXPECT_EQ(live.count("players"), 101);
}

TEST(Backup, WorksWhileAnotherConnectionKeepsCommitting) {
  TempDir tmp;
  const std::string db_path = tmp.path("rookery.db");
  migrate(db_path);
  {
    Db seed(db_path);
    seed.exec("PRAGMA journal_mode=WAL");
    add_guests(seed, 0, 2000);  // enough pages that the copy takes a moment
  }
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    Db live(db_path);
    for (int i = 0; !stop.load() && i < 100000; ++i) {
      add_guests(live, 10000 + i, 1);
      written.fetch_add(1);
    }
  });
  while (written.load() < 5) std::this_thread::yield();

  const std::string copy = tmp.path("backup.db");
  BackupReport report;
  ASSERT_NO_THROW(report = backup_database(db_path, copy));
  stop.store(true);
  writer.join();

  EXPECT_EQ(report.integrity, "ok");
  Db restored(copy);
  const int64_t rows = restored.count("players");
  // A snapshot: every seed row, some of the concurrent ones, never more than were written.
  EXPECT_GE(rows, 2005);
  EXPECT_LE(rows, 2000 + written.load());
  EXPECT_EQ(restored.text("PRAGMA integrity_check"), "ok");
}

TEST(Backup, ReadsADatabaseNoServerHasOpen) {
  TempDir tmp;
  const std::string db_path = tmp.path("rookery.db");
  migrate(db_path);  // closed afterwards: no -wal or -shm left
  const std::string copy = tmp.path("backup.db");
  EXPECT_EQ(backup_database(db_path, copy).integrity, "ok");
  Db restored(copy);
  EXPECT_EQ(restored.count("players"), 0);
}

TEST(Backup, RefusesToOverwriteAnExistingFile) {
  TempDir tmp;
  const std::string db_path = tmp.path("rookery.db");
  migrate(db_path);
  const std::string copy = tmp.path("precious.txt");
  { std::ofstream(copy) << "keep me"; }
  EXPECT_THROW(backup_database(db_path, copy), BackupError);
  std::ifstream in(copy);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "keep me");

  // Nor the database itself.
  EXPECT_THROW(backup_database(db_path, db_path), BackupError);
  EXPECT_EQ(Db(db_path).text("PRAGMA integrity_check"), "ok");
}

TEST(Backup, MissingSourceFailsWithoutCreatingAnything) {
  TempDir tmp;
  const std::string copy = tmp.path("backup.db");
  EXPECT_THROW(backup_database(tmp.path("typo.db"), copy), BackupError);
  EXPECT_FALSE(fs::exists(copy));
  EXPECT_FALSE(fs::exists(tmp.path("typo.db")));  // never created by the attempt
}

TEST(Backup, NotADatabaseFailsAndLeavesNoPartialFile) {
  TempDir tmp;
  const std::string junk = tmp.path("junk.db");
  {
    std::ofstream out(junk);
    for (int i = 0; i < 1000; ++i) out << "this is not an SQLite database\n";
  }
  const std::string copy = tmp.path("backup.db");
  EXPECT_THROW(backup_database(junk, copy), BackupError);
  EXPECT_FALSE(fs::exists(copy));
}

TEST(Backup, CommandChecksItsArguments) {
  TempDir tmp;
  const std::string db_path = tmp.path("rookery.db");
  migrate(db_path);
  EXPECT_EQ(run_backup(db_path, {}), 2);
  EXPECT_EQ(run_backup(db_path, {"a.db", "b.db"}), 2);
  const std::string copy = tmp.path("backup.db");
  EXPECT_EQ(run_backup(db_path, {copy}), 0);
  EXPECT_EQ(run_backup(db_path, {copy}), 1);  // exists now
}

TEST(Backup, PostgresIsRefusedWithThePgDumpHint) {
  TempDir tmp;
  const std::string file = tmp.path("backup.dump");
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_backup("postgresql://rookery:secret@db.internal/rookery", {file}), 1);
  const std::string said = testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("pg_dump"), std::string::npos) << said;
  EXPECT_EQ(said.find("secret"), std::string::npos) << "the password was printed: " << said;
  EXPECT_FALSE(fs::exists(file));  // no server was contacted, nothing was written
}

}  // namespace
}  // namespace rookery::store

#include "store/backup.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "store/sqlite_db.hpp"
#include "store/store.hpp"

namespace rookery::store {
namespace {

namespace fs = std::filesystem;

std::string errmsg(sqlite3* db, int rc) {
  return db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
}

// Opens `path` without ever creating it: a mistyped --db must fail, not back up an empty file.
sqlite::Connection open_existing(const std::string& path, int flags, const char* role) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  sqlite::Connection conn(raw);  // owns the handle even when the open failed
  if (rc != SQLITE_OK) {
    throw BackupError(std::string("cannot open the ") + role + " database '" + path +
                      "': " + errmsg(raw, rc));
  }
  sqlite3_extended_result_codes(raw, 1);
  return conn;
}

// Runs a statement that yields one text value per row and returns the rows joined by "; ".
std::string query_text(sqlite3* db, const char* sql) {
  sqlite::Stmt stmt(db, sql);
  sqlite::Cursor row = stmt.query();
  std::string out;
  while (row.next()) {
    if (!out.empty()) out += "; ";
    out += row.text(0);
  }
  return out;
}

int64_t query_int(sqlite3* db, const char* sql) {
  sqlite::Stmt stmt(db, sql);
  sqlite::Cursor row = stmt.query();
  return row.next() && !row.is_null(0) ? row.int64(0) : 0;
}

// Creates the destination exclusively, so an existing file (or one created by a racing process)
// is never overwritten.
void create_exclusive(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) {
      throw BackupError("backup file '" + path +
                        "' already exists: choose a new name (an existing file is never "
                        "overwritten)");
    }
    throw BackupError("cannot create backup file '" + path + "': " + std::strerror(err));
  }
  ::close(fd);
}

// Makes the finished file and its directory entry durable.
void sync_file_and_dir(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void remove_partial(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) fs::remove(path + suffix, ec);
}

BackupReport copy_and_verify(const std::string& source, const std::string& destination,
                             const BackupOptions& options) {
  // Read-only: the backup can never damage the live database. SQLite still joins the WAL
  // (shared memory) of a running server, so the copy includes every committed transaction.
  sqlite::Connection src = open_existing(source, SQLITE_OPEN_READONLY, "source");
  sqlite::Connection dst = open_existing(destination, SQLITE_OPEN_READWRITE, "backup");

  sqlite3_backup* backup = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
  if (backup == nullptr) {
    throw BackupError("cannot start the backup: " + errmsg(dst.get(), SQLITE_ERROR));
  }
  const auto deadline = std::chrono::steady_clock::now() + options.busy_timeout;
  int rc = SQLITE_OK;
  for (;;) {
    // -1: every page in one step, i.e. one read transaction and so one consistent snapshot.
    rc = sqlite3_backup_step(backup, -1);
    if (rc == SQLITE_DONE) break;
    const int primary = rc & 0xff;
    if ((primary == SQLITE_BUSY || primary == SQLITE_LOCKED) &&
        std::chrono::steady_clock::now() < deadline) {
      sqlite3_sleep(20);
      continue;
    }
    break;
  }
  BackupReport report;
  report.pages = sqlite3_backup_pagecount(backup);
  const int finish_rc = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    throw BackupError("copying '" + source + "' failed: " + sqlite3_errstr(rc));
  }
  if (finish_rc != SQLITE_OK) {
    throw BackupError("copying '" + source + "' failed: " + errmsg(dst.get(), finish_rc));
  }

  try {
    // The copied header still says WAL; a backup is easier to move around as one file.
    const std::string mode = query_text(dst.get(), "PRAGMA journal_mode=DELETE");
    if (mode != "delete") throw BackupError("the copy refused journal_mode=DELETE: " + mode);
    report.integrity = query_text(dst.get(), "PRAGMA integrity_check");
    if (report.integrity != "ok") {
      throw BackupError("the copy failed PRAGMA integrity_check: " + report.integrity);
    }
    report.page_size = query_int(dst.get(), "PRAGMA page_size");
    if (query_int(dst.get(),
                  "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                  "name = 'schema_migrations'") > 0) {
      report.schema_version =
          static_cast<int>(query_int(dst.get(), "SELECT max(version) FROM schema_migrations"));
    }
  } catch (const sqlite::Error& e) {
    throw BackupError("verifying the copy failed: " + std::string(e.what()));
  }
  return report;
}

}  // namespace

BackupReport backup_database(const std::string& source, const std::string& destination,
                             const BackupOptions& options) {
  std::error_code ec;
  if (!fs::is_regular_file(source, ec)) {
    throw BackupError("database '" + source + "' does not exist or is not a regular file");
  }
  if (fs::equivalent(source, destination, ec)) {
    throw BackupError("backup file '" + destination + "' is the database itself");
  }
  create_exclusive(destination);
  BackupReport report;
  try {
    report = copy_and_verify(source, destination, options);  // connections closed on return
  } catch (...) {
    remove_partial(destination);
    throw;
  }
  sync_file_and_dir(destination);
  report.bytes = static_cast<int64_t>(fs::file_size(destination, ec));
  return report;
}

int run_backup(const std::string& db, const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0].empty()) {
    std::fprintf(stderr,
                 "usage: rookery backup FILE\n"
                 "Copies the player store (--db, now '%s') into the new file FILE while the server "
                 "may be running, then verifies the copy. FILE must not exist.\n",
                 db.c_str());
    return 2;
  }
  const std::string& file = args[0];
  if (is_postgres_url(db)) {
    // A server database has its own consistent, online dump tool; copying it file by file is
    // not something rookery should pretend to do.
    std::fprintf(
        stderr,
        "rookery backup: the player store is PostgreSQL (%s); rookery backup copies SQLite "
        "files only.\nUse pg_dump, e.g.: pg_dump --format=custom --file=%s '<the --db "
        "URL>'\nand restore with pg_restore (docs/operations.md).\n",
        redact_db(db).c_str(), file.c_str());
    return 1;
  }
  try {
    const BackupReport r = backup_database(db, file);
    std::printf(
        "backed up %s to %s: %lld pages of %lld bytes (%lld bytes), schema version %d, "
        "integrity %s\n"
        "Restore: stop rookery, move the database and its -wal/-shm files aside, copy %s to %s, "
        "start rookery (docs/operations.md).\n",
        db.c_str(), file.c_str(), static_cast<long long>(r.pages),
        static_cast<long long>(r.page_size), static_cast<long long>(r.bytes), r.schema_version,
        r.integrity.c_str(), file.c_str(), db.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rookery backup: %s\n", e.what());
    return 1;
  }
}

}  // namespace rookery::store

// Online backup of the SQLite player store (`rookery backup FILE`): a consistent copy of a
// database that a running server may be writing, made with SQLite's backup API.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace rookery::store {

/// A backup that did not produce a verified copy; what() names the file and the cause.
class BackupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Tuning for backup_database(); the defaults suit a live server.
struct BackupOptions {
  // How long to keep retrying while the source is locked (SQLITE_BUSY/LOCKED), e.g. during a
  // checkpoint or a migration. WAL readers are not blocked by the writer, so this is rare.
  std::chrono::milliseconds busy_timeout{10000};
};

/// What backup_database() copied and verified.
struct BackupReport {
  int64_t pages = 0;           // database pages copied
  int64_t page_size = 0;       // bytes per page
  int64_t bytes = 0;           // size of the finished backup file
  int schema_version = 0;      // highest schema_migrations version in the copy (0: none)
  std::string integrity = "";  // "ok" (anything else throws)
};

/// Copies the SQLite database at `source` into the new file `destination` and verifies the copy.
///
/// - The copy is one consistent snapshot: all pages are copied in one backup step inside one
///   read transaction. In WAL mode (the store's mode) readers never block the writer, so a
///   running server keeps committing meanwhile; stepping a few pages at a time would instead
///   restart the copy after every commit made by another process.
/// - `destination` must not exist: it is created with O_EXCL (mode 0600, it holds password
///   hashes), so an existing file is never overwritten, not even by a race.
/// - The copy is switched to journal_mode=DELETE, so it is one self-contained file, and checked
///   with PRAGMA integrity_check.
/// On any failure the partial destination is removed and BackupError is thrown.
/// Thread-safe: uses its own connections. Blocks for the length of the copy.
BackupReport backup_database(const std::string& source, const std::string& destination,
                             const BackupOptions& options = {});

/// The `rookery backup FILE` command: `db` is the configured store (--db), `args` the words after
/// the command (exactly one: FILE). Prints the report to stdout, errors to stderr. Returns the
/// exit status: 0 copied and verified, 1 failed, 2 usage error.
int run_backup(const std::string& db, const std::vector<std::string>& args);

}  // namespace rookery::store

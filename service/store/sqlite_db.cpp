#include "store/sqlite_db.hpp"

#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

namespace rookery::store::sqlite {
namespace {

// STRICT tables (0001_init.sql) need 3.37; RETURNING needs 3.35.
constexpr int kMinSqliteVersion = 3037000;

[[noreturn]] void throw_error(sqlite3* db, int code, std::string_view context) {
  std::string what(context);
  what += ": ";
  what += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw Error(code, what);
}

}  // namespace

Connection::~Connection() {
  // sqlite3_close_v2 defers the close if a statement is still alive instead of failing.
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Connection open(const std::string& path, std::string_view synchronous, int busy_timeout_ms) {
  if (sqlite3_libversion_number() < kMinSqliteVersion) {
    throw std::runtime_error(std::string("SQLite ") + sqlite3_libversion() +
                             " is too old: the store needs 3.37 or newer (STRICT tables)");
  }
  if (synchronous != "normal" && synchronous != "full" && synchronous != "extra") {
    throw std::runtime_error("store synchronous must be \"normal\", \"full\" or \"extra\", not \"" +
                             std::string(synchronous) + "\"");
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      throw std::runtime_error("cannot create the folder of database '" + path +
                               "': " + ec.message());
    }
  }

  sqlite3* raw = nullptr;
  // NOMUTEX: each connection is used by one thread at a time, so SQLite's own locking is waste.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Connection conn(raw);  // owns the handle even when the open failed
  if (rc != SQLITE_OK) {
    throw std::runtime_error("cannot open database '" + path +
                             "': " + (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  try {
    // The first statement touches the file, so a directory or an unreadable file fails here.
    Stmt journal(raw, "PRAGMA journal_mode=WAL");
    Cursor row = journal.query();
    if (!row.next() || (row.text(0) != "wal" && row.text(0) != "memory")) {
      throw std::runtime_error("WAL journal mode refused");
    }
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot open database '" + path + "': " + e.what());
  }
  // Pragma values cannot be bound; `synchronous` was checked against a fixed list above.
  exec(raw, "PRAGMA synchronous=" + std::string(synchronous));
  exec(raw, "PRAGMA foreign_keys=ON");
  return conn;
}

void exec(sqlite3* db, std::string_view sql) {
  const char* next = sql.data();
  const char* const end = sql.data() + sql.size();
  while (next < end) {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db, next, static_cast<int>(end - next), &stmt, &tail);
    if (rc != SQLITE_OK) throw_error(db, rc, "prepare failed");
    next = tail;
    if (stmt == nullptr) continue;  // only whitespace or a comment was left
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) throw_error(db, rc, "statement failed");
  }
}

Cursor::~Cursor() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Cursor::next() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(stmt_);
  throw_error(db, sqlite3_extended_errcode(db), std::string("step failed: ") + sqlite3_sql(stmt_));
}

std::string Cursor::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (data == nullptr) return {};
  return std::string(data, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

Stmt::Stmt(sqlite3* db, std::string_view sql) {
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) throw_error(db, rc, "prepare failed for '" + std::string(sql) + "'");
}

Stmt::~Stmt() {
  sqlite3_finalize(stmt_);
}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Cursor Stmt::query_params(std::span<const sql::Param> params) {
  sqlite3_reset(stmt_);
  int index = 0;
  for (const sql::Param& p : params) {
    ++index;
    if (const auto* i = std::get_if<int64_t>(&p)) {
      bind_int64(index, *i);
    } else if (const auto* t = std::get_if<std::string_view>(&p)) {
      bind_text(index, *t);
    } else {
      bind_null(index);
    }
  }
  return Cursor(stmt_);
}

void Stmt::check_bind(int rc) {
  // Only a programming error (wrong parameter count) or out-of-memory lands here.
  if (rc != SQLITE_OK) throw_error(sqlite3_db_handle(stmt_), rc, "bind failed");
}

void Stmt::bind_int64(int index, int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value));
}

void Stmt::bind_text(int index, std::string_view value) {
  // TRANSIENT copies, so a cursor may outlive the caller's temporaries.
  check_bind(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                               SQLITE_TRANSIENT));
}

void Stmt::bind_null(int index) {
  check_bind(sqlite3_bind_null(stmt_, index));
}

}  // namespace rookery::store::sqlite

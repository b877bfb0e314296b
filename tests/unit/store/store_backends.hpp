// The databases the store conformance suite runs on, each a fresh, empty database per test:
// SQLite (a file in a temporary folder) and PostgreSQL (a schema of its own on the server named
// by $ROOKERY_TEST_PG, dropped afterwards; tests/postgres/run.sh starts one). Each also opens a
// plain connection of its own ("raw"), which sees only what the store committed.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "store/sqlite_file.hpp"
#include "store/store.hpp"
#include "store/store_fixtures.hpp"

namespace rookery::store::testing_support {

/// A plain connection to the test's database, for checks and for writes that bypass the store.
class RawDb {
 public:
  virtual ~RawDb() = default;
  /// First column of the first row as text ("" if there is no row or it is NULL).
  virtual std::string scalar(const std::string& sql) = 0;
  /// True if `sql` runs without error.
  virtual bool runs(const std::string& sql) = 0;
  /// Runs `sql`; a failure fails the test.
  void exec(const std::string& sql) { EXPECT_TRUE(runs(sql)) << sql; }
};

/// RawDb on a SQLite file.
class SqliteRaw final : public RawDb {
 public:
  explicit SqliteRaw(const std::string& path) : file_(path) {}
  std::string scalar(const std::string& sql) override { return file_.scalar(sql); }
  bool runs(const std::string& sql) override { return file_.runs(sql); }

 private:
  SqliteFile file_;
};

/// RawDb on a PostgreSQL URL.
class PostgresRaw final : public RawDb {
 public:
  explicit PostgresRaw(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) ADD_FAILURE() << "raw connect: " << PQerrorMessage(conn_);
    PQclear(PQexec(conn_, "SET client_min_messages TO warning"));
  }
  ~PostgresRaw() override { PQfinish(conn_); }
  PostgresRaw(const PostgresRaw&) = delete;
  PostgresRaw& operator=(const PostgresRaw&) = delete;

  std::string scalar(const std::string& sql) override {
    PGresult* r = PQexec(conn_, sql.c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << sql << ": " << PQerrorMessage(conn_);
    std::string out;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) {
      out = PQgetvalue(r, 0, 0);
    }
    PQclear(r);
    return out;
  }
  bool runs(const std::string& sql) override {
    PGresult* r = PQexec(conn_, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    return ok;
  }

 private:
  PGconn* conn_;
};

/// A fresh SQLite database file per test.
class SqliteBackend {
 public:
  static constexpr const char* kName = "Sqlite";
  SqliteBackend() : tmp_("rookery-conformance") {}
  /// Empty: SQLite is always there.
  std::string unavailable() const { return ""; }
  /// Options naming this test's database.
  StoreOptions options() const {
    StoreOptions o;
    o.path = tmp_.db();
    return o;
  }
  /// A plain connection to it (the store must have created it).
  std::unique_ptr<RawDb> raw() const { return std::make_unique<SqliteRaw>(tmp_.db()); }

 private:
  TempDir tmp_;
};

/// A fresh PostgreSQL schema per test on the server at $ROOKERY_TEST_PG.
class PostgresBackend {
 public:
  static constexpr const char* kName = "Postgres";
  PostgresBackend() {
    const char* base = std::getenv("ROOKERY_TEST_PG");
    if (base == nullptr || *base == '\0') return;
    base_ = base;
    std::random_device rd;
    schema_ = "t" + std::to_string(::getpid()) + "_" + std::to_string(rd() % 1000000000u);
    PostgresRaw admin(base_);
    if (!admin.runs("CREATE SCHEMA " + schema_)) ADD_FAILURE() << "cannot create " << schema_;
    // Every connection of this test (the store's and the raw ones) lives in its own schema.
    url_ = base_ + (base_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
           schema_;
  }
  ~PostgresBackend() {
    if (schema_.empty()) return;
    PostgresRaw admin(base_);
    admin.runs("DROP SCHEMA " + schema_ + " CASCADE");
  }
  PostgresBackend(const PostgresBackend&) = delete;
  PostgresBackend& operator=(const PostgresBackend&) = delete;

  /// Why this backend cannot run, or "" if it can.
  std::string unavailable() const {
    return base_.empty() ? "ROOKERY_TEST_PG is not set (tests/postgres/run.sh sets it)" : "";
  }
  StoreOptions options() const {
    StoreOptions o;
    o.path = url_;
    o.reconnect_max_ms = 500;  // tests wait for recovery; production backs off to 5 s
    return o;
  }
  std::unique_ptr<RawDb> raw() const { return std::make_unique<PostgresRaw>(url_); }
  /// The URL of this test's schema.
  const std::string& url() const { return url_; }

 private:
  std::string base_, schema_, url_;
};

/// Waits for a callback's value; a store bug must fail the run, not hang it.
template <class T>
T await(std::future<T>& f, const char* what) {
  if (f.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    std::fprintf(stderr, "FATAL: store request '%s' got no callback within 30 s\n", what);
    std::abort();  // the store's destructor would wait for the lost request forever
  }
  return f.get();
}

/// Runs one request whose callback is (Status) and returns that status.
template <class Start>
Status status_of(Start start, const char* what) {
  std::promise<Status> p;
  auto f = p.get_future();
  start([&p](Status s) { p.set_value(s); });
  return await(f, what);
}

/// Runs one request whose callback is (Status, T) and returns both.
template <class T, class Start>
std::pair<Status, T> reply_of(Start start, const char* what) {
  std::promise<std::pair<Status, T>> p;
  auto f = p.get_future();
  start([&p](Status s, T value) { p.set_value({s, std::move(value)}); });
  return await(f, what);
}

/// A store call's status and player.
struct PlayerReply {
  Status status;
  Player player;
};

inline PlayerReply login_guest(PlayerStore& s, std::string device, std::string name = "") {
  auto r = reply_of<Player>([&](auto cb) { s.login_guest(std::move(device), std::move(name), cb); },
                            "login_guest");
  return {r.first, std::move(r.second)};
}

inline PlayerReply register_account(PlayerStore& s, std::string user, std::string pass,
                                    std::string name = "") {
  auto r = reply_of<Player>(
      [&](auto cb) { s.register_password(std::move(user), std::move(pass), std::move(name), cb); },
      "register_password");
  return {r.first, std::move(r.second)};
}

inline PlayerReply login(PlayerStore& s, std::string user, std::string pass) {
  auto r = reply_of<Player>(
      [&](auto cb) { s.login_password(std::move(user), std::move(pass), cb); }, "login_password");
  return {r.first, std::move(r.second)};
}

inline PlayerReply find(PlayerStore& s, PlayerId id) {
  auto r = reply_of<Player>([&](auto cb) { s.find_player(id, cb); }, "find_player");
  return {r.first, std::move(r.second)};
}

inline Status record(PlayerStore& s, std::vector<MatchResult> results) {
  return status_of([&](auto cb) { s.record_matches(std::move(results), cb); }, "record_matches");
}

inline Status ban(PlayerStore& s, PlayerId id, int64_t until_ms, std::string reason) {
  return status_of([&](auto cb) { s.ban(id, until_ms, std::move(reason), cb); }, "ban");
}

inline std::pair<Status, Stats> stats(PlayerStore& s, PlayerId id) {
  return reply_of<Stats>([&](auto cb) { s.get_stats(id, cb); }, "get_stats");
}

inline std::pair<Status, std::vector<Stats>> top(PlayerStore& s, uint32_t limit) {
  return reply_of<std::vector<Stats>>([&](auto cb) { s.top_players(limit, cb); }, "top_players");
}

/// A finished stint in a spelltraction room.
inline MatchResult match(PlayerId id, int64_t score, int64_t ended_ms = 1000) {
  return MatchResult{id, "spelltraction", 7, score, ended_ms - 100, ended_ms};
}

}  // namespace rookery::store::testing_support

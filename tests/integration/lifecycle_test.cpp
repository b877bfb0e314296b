// Process lifecycle: a SIGTERM drain that tells clients and saves the games, and a kill -9 that
// loses no acknowledged write. The database (SQLite or PostgreSQL) is read directly afterwards.
#include <libpq-fe.h>
#include <sqlite3.h>

#include "test_support.hpp"

namespace rookery::itest {
namespace {

/// A read-only look at the test's database after the server exited: SQLite or PostgreSQL,
/// whichever the server used. Closed at scope end.
class Database {
 public:
  explicit Database(const ServerProcess& server) {
    if (postgres_base_url().empty()) {
      if (sqlite3_open_v2(server.db_path().c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) !=
          SQLITE_OK) {
        ADD_FAILURE() << "cannot open " << server.db_path() << ": " << sqlite3_errmsg(db_);
      }
    } else {
      pg_ = PQconnectdb(server.database().c_str());
      if (PQstatus(pg_) != CONNECTION_OK)
        ADD_FAILURE() << "cannot connect: " << PQerrorMessage(pg_);
    }
  }
  ~Database() {
    sqlite3_close(db_);
    PQfinish(pg_);
  }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// Every row of `sql` (one int64 parameter bound to ?1), as int64 columns.
  std::vector<std::vector<int64_t>> rows(const char* sql, int64_t param) {
    return pg_ != nullptr ? pg_rows(sql, param) : sqlite_rows(sql, param);
  }

 private:
  std::vector<std::vector<int64_t>> sqlite_rows(const char* sql, int64_t param) {
    std::vector<std::vector<int64_t>> out;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "bad query " << sql << ": " << sqlite3_errmsg(db_);
      return out;
    }
    sqlite3_bind_int64(stmt, 1, param);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::vector<int64_t> row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        row.push_back(sqlite3_column_int64(stmt, i));
      }
      out.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    return out;
  }

  std::vector<std::vector<int64_t>> pg_rows(std::string sql, int64_t param) {
    std::vector<std::vector<int64_t>> out;
    for (size_t at = sql.find("?1"); at != std::string::npos; at = sql.find("?1")) {
      sql.replace(at, 2, "$1");
    }
    const std::string value = std::to_string(param);
    const char* values[] = {value.c_str()};
    PGresult* r = PQexecParams(pg_, sql.c_str(), 1, nullptr, values, nullptr, nullptr, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      ADD_FAILURE() << "bad query " << sql << ": " << PQerrorMessage(pg_);
    } else {
      for (int i = 0; i < PQntuples(r); ++i) {
        std::vector<int64_t> row;
        for (int c = 0; c < PQnfields(r); ++c) row.push_back(std::stoll(PQgetvalue(r, i, c)));
        out.push_back(std::move(row));
      }
    }
    PQclear(r);
    return out;
  }

  sqlite3* db_ = nullptr;
  PGconn* pg_ = nullptr;
};

class LifecycleTest : public IntegrationTest {};

TEST_F(LifecycleTest, SigtermDrainsClientsAndSavesScores) {
  auto& server =
      start_server({"--spelltraction-hold-ms", "500", "--shutdown-deadline-ms", "10000"});
  auto a = guest(server, Via::tcp, "device-drain-aaaa");
  auto b = guest(server, Via::ws, "device-drain-bbbb");
  auto lobby = guest(server, Via::tcp, "device-drain-lobby");
  const Envelope ja = a->join_or_create("spelltraction");
  ASSERT_MSG(ja, Joined);
  const Envelope jb = b->join_or_create("spelltraction");
  ASSERT_MSG(jb, Joined);
  ASSERT_EQ(ja.joined().room().room_id(), jb.joined().room().room_id());
  SpellModel model;
  ASSERT_TRUE(model.apply(jb.joined().snapshot()));
  const ScoredResult r = play_until_scored(*a, *b, model, kLongWait);
  ASSERT_GE(r.cell, 0);
  const std::map<uint32_t, Client*> by_seat = {{a->seat(), a.get()}, {b->seat(), b.get()}};

  a->drain(0ms);
  b->drain(0ms);
  server.send_signal(SIGTERM);

  for (Client* c : {a.get(), b.get()}) {
    const auto shutdown = c->wait_for(
        [](const Envelope& e) { return e.has_event() && e.event().has_server_shutdown(); }, kWait,
        Unmatched::keep);
    ASSERT_TRUE(shutdown.has_value()) << "no ServerShutdown (closed: " << c->close_reason() << ")";
    EXPECT_GT(shutdown->event().server_shutdown().deadline_ms(), 0u);
    const auto closing =
        c->wait_for([](const Envelope& e) { return e.has_event() && e.event().has_room_closing(); },
                    kWait, Unmatched::keep);
    ASSERT_TRUE(closing.has_value()) << "no RoomClosing";
    EXPECT_EQ(closing->event().room_id(), ja.joined().room().room_id());
    const auto left =
        c->wait_for([](const Envelope& e) { return e.has_left(); }, kWait, Unmatched::keep);
    ASSERT_TRUE(left.has_value()) << "no Left";
    EXPECT_EQ(left->left().reason(), "shutdown");
    EXPECT_TRUE(c->wait_closed(kWait)) << "the server did not close the connection";
  }
  const auto lobby_shutdown = lobby->wait_for(
      [](const Envelope& e) { return e.has_event() && e.event().has_server_shutdown(); }, kWait,
      Unmatched::keep);
  EXPECT_TRUE(lobby_shutdown.has_value()) << "a client in the lobby was not told";
  EXPECT_TRUE(lobby->wait_closed(kWait));

  const auto code = server.wait_exit(kLongWait);
  ASSERT_TRUE(code.has_value()) << "rookery did not exit after SIGTERM";
  EXPECT_EQ(*code, 0) << "rookery exit code after a drain";
  EXPECT_TRUE(server.find_log_line({"drained"}).has_value());

  Database db(server);
  for (const auto& [seat, c] : by_seat) {
    const auto matches = db.rows(
        "SELECT score, room_id FROM match_results WHERE player_id = ?1 AND room_type = "
        "'spelltraction'",
        static_cast<int64_t>(c->player_id()));
    ASSERT_EQ(matches.size(), 1u) << "player " << c->player_id() << " (seat " << seat << ")";
    EXPECT_EQ(static_cast<uint64_t>(matches[0][1]), ja.joined().room().room_id());
    const auto stats = db.rows(
        "SELECT total_score, games_played, best_score FROM player_stats WHERE player_id = ?1",
        static_cast<int64_t>(c->player_id()));
    ASSERT_EQ(stats.size(), 1u) << "no player_stats row for player " << c->player_id();
    EXPECT_EQ(stats[0][0], matches[0][0]);
    EXPECT_EQ(stats[0][1], 1);
    EXPECT_EQ(stats[0][2], matches[0][0]);
    // Scores only grow: what was seen in play is a lower bound of what was saved.
    EXPECT_GE(matches[0][0], static_cast<int64_t>(r.after.scores.at(seat)));
  }
  for (const uint32_t seat : r.scored.seats()) {
    const auto saved = db.rows("SELECT score FROM match_results WHERE player_id = ?1",
                               static_cast<int64_t>(by_seat.at(seat)->player_id()));
    ASSERT_EQ(saved.size(), 1u);
    EXPECT_GE(saved[0][0], 1) << "seat " << seat << " scored, but a zero score was saved";
  }
}

TEST_F(LifecycleTest, KillNineLosesAtMostOneCheckpointOfAGameInProgress) {
  auto& server = start_server({"--spelltraction-hold-ms", "500", "--checkpoint-ms", "500"});
  auto a = guest(server, Via::tcp, "device-crash-aaaa");
  auto b = guest(server, Via::ws, "device-crash-bbbb");
  const Envelope ja = a->join_or_create("spelltraction");
  ASSERT_MSG(ja, Joined);
  const Envelope jb = b->join_or_create("spelltraction");
  ASSERT_MSG(jb, Joined);
  SpellModel model;
  ASSERT_TRUE(model.apply(jb.joined().snapshot()));
  const ScoredResult r = play_until_scored(*a, *b, model, kLongWait);
  ASSERT_GE(r.cell, 0);
  ASSERT_GT(r.scored.seats_size(), 0);
  // Still playing, nobody left: only a checkpoint can have saved the score. Wait for one (and
  // its commit), then crash.
  std::this_thread::sleep_for(1500ms);
  server.kill_now();

  Database db(server);
  const std::map<uint32_t, Client*> by_seat = {{a->seat(), a.get()}, {b->seat(), b.get()}};
  for (const uint32_t seat : r.scored.seats()) {
    const auto id = static_cast<int64_t>(by_seat.at(seat)->player_id());
    const auto matches = db.rows("SELECT score FROM match_results WHERE player_id = ?1", id);
    ASSERT_EQ(matches.size(), 1u) << "the game in progress was lost for player " << id;
    EXPECT_GE(matches[0][0], static_cast<int64_t>(r.after.scores.at(seat)));
    const auto stats =
        db.rows("SELECT total_score, games_played FROM player_stats WHERE player_id = ?1", id);
    ASSERT_EQ(stats.size(), 1u);
    EXPECT_EQ(stats[0][0], matches[0][0]);
    EXPECT_EQ(stats[0][1], 1) << "several checkpoints must count as one game";
  }
}

TEST_F(LifecycleTest, AcknowledgedRegistrationSurvivesKillNine) {
  auto& first = start_server();
  std::map<std::string, uint64_t> players;
  for (const std::string user : {"kilroy", "was_here", "again"}) {
    auto c = connect(first, Via::tcp);
    ASSERT_MSG(c->hello(), Welcome);
    const Envelope ok = c->register_user(user, "password-of-" + user);
    ASSERT_MSG(ok, LoginOk);
    players[user] = ok.login_ok().player_id();
  }
  auto g = connect(first, Via::ws);
  ASSERT_MSG(g->hello(), Welcome);
  const Envelope guest_ok = g->login_guest("device-survivor-1");
  ASSERT_MSG(guest_ok, LoginOk);
  // The last LoginOk has just arrived: crash at once, no chance to flush anything.
  first.kill_now();

  auto& second = start_server();
  for (const auto& [user, id] : players) {
    auto c = connect(second, Via::tcp);
    ASSERT_MSG(c->hello(), Welcome);
    const Envelope ok = c->login_user(user, "password-of-" + user);
    ASSERT_MSG(ok, LoginOk) << "account " << user << " was lost";
    EXPECT_EQ(ok.login_ok().player_id(), id);
    EXPECT_FALSE(ok.login_ok().created());
  }
  auto g2 = connect(second, Via::ws);
  ASSERT_MSG(g2->hello(), Welcome);
  const Envelope again = g2->login_guest("device-survivor-1");
  ASSERT_MSG(again, LoginOk);
  EXPECT_EQ(again.login_ok().player_id(), guest_ok.login_ok().player_id());
  EXPECT_FALSE(again.login_ok().created());
}

}  // namespace
}  // namespace rookery::itest

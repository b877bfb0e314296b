// The admin API's routing in-process: requests are built in memory and handed to AdminApi, which
// answers through its Respond callback. Real stores (temporary SQLite), the real game core; the
// side-port thread and the one game shard are loops the test runs itself, so every answer that
// comes "later" (a store call, a password hash, a shard gather) is waited for, never guessed.
#include "http/admin_api.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <future>
#include <optional>

#include "core/server.hpp"
#include "games/game_types.hpp"
#include "store/sqlite_store.hpp"
#include "store/store_fixtures.hpp"

namespace rookery::http {
namespace {

namespace bhttp = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using store::testing_support::TempDir;

::testing::Environment* const kQuietLogs =
    ::testing::AddGlobalTestEnvironment(new store::testing_support::QuietLogs);

// A logged-in admin as the API sees it.
struct Login {
  std::string token;
  std::string csrf;
};

struct AdminApiTest : ::testing::Test {
  TempDir dir;
  config::Config cfg;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<core::Server> server;
  boost::asio::io_context side_port;
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<AdminApi> api;

  void SetUp() override {
    cfg.net.threads = 1;
    store::StoreOptions o;
    o.path = dir.db();
    store = std::make_unique<store::SqliteStore>(o);
    server = std::make_unique<core::Server>(cfg, *store, games::builtin_game_types({}));
    metrics = std::make_unique<Metrics>(BuildInfo{"test", "abc"});
    api = std::make_unique<AdminApi>(*server, *store, *store, *metrics, BuildInfo{"test", "abc"},
                                     side_port.get_executor());
    for (const auto& [user, role] : {std::pair{"viewer1", "viewer"}, {"operator1", "operator"}}) {
      std::promise<store::Status> made;
      store->create_admin(user, std::string(user) + "-password", role,
                          [&](store::Status st) { made.set_value(st); });
      ASSERT_EQ(made.get_future().get(), store::Status::ok);
    }
  }
  void TearDown() override {
    for (const auto& room : server->core().all_rooms()) room->close("test over");
    run_loops_for(20ms);
    store->flush();
  }

  void run_loops_once() {
    side_port.restart();
    side_port.poll();
    server->shard(0).io().restart();
    server->shard(0).io().poll();
  }
  void run_loops_for(std::chrono::milliseconds d) {
    const auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end) {
      run_loops_once();
      std::this_thread::sleep_for(1ms);
    }
  }

  // Sends one request and runs the loops until it is answered (or 30 s pass).
  Response call(bhttp::verb method, const std::string& target, const std::string& body = "",
                const Login* as = nullptr, bool with_csrf = true) {
    auto req = std::make_shared<Request>(method, target, 11);
    if (!body.empty()) {
      req->body() = body;
      req->set(bhttp::field::content_type, "application/json");
      req->prepare_payload();
    }
    if (as) {
      // The console's way: the session cookie plus the CSRF header on mutations.
      req->set(bhttp::field::cookie, std::string(Auth::kCookieName) + "=" + as->token);
      if (with_csrf) req->set("X-CSRF-Token", as->csrf);
    }
    std::optional<Reply> reply;
    api->handle(req, "10.0.0.1", [&](Reply r) { reply = std::move(r); });
    const auto end = std::chrono::steady_clock::now() + 30s;
    while (!reply && std::chrono::steady_clock::now() < end) {
      run_loops_once();
      std::this_thread::sleep_for(1ms);
    }
    EXPECT_TRUE(reply) << "no answer to " << target;
    return reply ? reply->response : Response{};
  }
  static json::object body_of(const Response& r) { return json::parse(r.body()).as_object(); }
  static std::string error_code(const Response& r) {
    return std::string(body_of(r).at("error").at("code").as_string());
  }
  Login login(const std::string& user) {
    const auto r = call(bhttp::verb::post, "/api/v1/auth/login",
                        R"({"username":")" + user + R"(","password":")" + user + R"(-password"})");
    EXPECT_EQ(r.result(), bhttp::status::ok) << r.body();
    const auto o = body_of(r);
    return Login{std::string(o.at("token").as_string()),
                 std::string(o.at("csrf_token").as_string())};
  }
};

TEST_F(AdminApiTest, EverythingButLoginNeedsASession) {
  for (const char* target : {"/api/v1/overview", "/api/v1/rooms", "/api/v1/players",
                             "/api/v1/audit", "/api/v1/no-such-thing"}) {
    const auto r = call(bhttp::verb::get, target);
    EXPECT_EQ(r.result(), bhttp::status::unauthorized) << target;
    EXPECT_EQ(error_code(r), "unauthorized") << target;
  }
}

TEST_F(AdminApiTest, LoginChecksThePasswordAndHandsOutACookieAndACsrfToken) {
  const auto bad = call(bhttp::verb::post, "/api/v1/auth/login",
                        R"({"username":"viewer1","password":"wrong-password"})");
  EXPECT_EQ(bad.result(), bhttp::status::unauthorized);
  const auto get = call(bhttp::verb::get, "/api/v1/auth/login");
  EXPECT_EQ(get.result(), bhttp::status::method_not_allowed);
  const auto missing = call(bhttp::verb::post, "/api/v1/auth/login", R"({"username":"viewer1"})");
  EXPECT_EQ(missing.result(), bhttp::status::bad_request);

  const auto good = call(bhttp::verb::post, "/api/v1/auth/login",
                         R"({"username":"viewer1","password":"viewer1-password"})");
  ASSERT_EQ(good.result(), bhttp::status::ok);
  EXPECT_NE(good[bhttp::field::set_cookie].find("HttpOnly"), std::string::npos);
  const Login me{std::string(body_of(good).at("token").as_string()),
                 std::string(body_of(good).at("csrf_token").as_string())};
  const auto who = call(bhttp::verb::get, "/api/v1/auth/me", "", &me);
  ASSERT_EQ(who.result(), bhttp::status::ok);
  EXPECT_EQ(body_of(who).at("role").as_string(), "viewer");
}

TEST_F(AdminApiTest, UnknownPathsAndWrongMethodsAreNamed) {
  const Login op = login("operator1");
  EXPECT_EQ(call(bhttp::verb::get, "/api/v1/nope", "", &op).result(), bhttp::status::not_found);
  EXPECT_EQ(call(bhttp::verb::get, "/api/v1/rooms/abc", "", &op).result(),
            bhttp::status::not_found);
  const auto del = call(bhttp::verb::delete_, "/api/v1/rooms", "", &op);
  EXPECT_EQ(del.result(), bhttp::status::method_not_allowed);
  EXPECT_EQ(error_code(del), "method_not_allowed");
  EXPECT_EQ(call(bhttp::verb::post, "/api/v1/overview", "", &op).result(),
            bhttp::status::method_not_allowed);
}

TEST_F(AdminApiTest, MutationsNeedTheCsrfTokenAndAJsonObject) {
  const Login op = login("operator1");
  const auto no_csrf = call(bhttp::verb::post, "/api/v1/rooms", R"({"type":"relay"})", &op, false);
  EXPECT_EQ(no_csrf.result(), bhttp::status::forbidden);
  EXPECT_EQ(error_code(no_csrf), "csrf");
  for (const char* body : {"{not json", "[1,2]", "\"text\""}) {
    const auto r = call(bhttp::verb::post, "/api/v1/rooms", body, &op);
    EXPECT_EQ(r.result(), bhttp::status::bad_request) << body;
    EXPECT_EQ(error_code(r), "malformed_json") << body;
  }
  EXPECT_TRUE(server->core().all_rooms().empty());
}

TEST_F(AdminApiTest, RolesDecideWhoMayAct) {
  const Login viewer = login("viewer1");
  const auto r = call(bhttp::verb::post, "/api/v1/rooms", R"({"type":"relay"})", &viewer);
  EXPECT_EQ(r.result(), bhttp::status::forbidden);
  EXPECT_EQ(error_code(r), "forbidden");
  EXPECT_EQ(call(bhttp::verb::get, "/api/v1/admin-users", "", &viewer).result(),
            bhttp::status::forbidden);
  EXPECT_EQ(call(bhttp::verb::post, "/api/v1/server/drain", "", &viewer).result(),
            bhttp::status::forbidden);
  EXPECT_FALSE(server->draining());
  EXPECT_TRUE(server->core().all_rooms().empty());
}

TEST_F(AdminApiTest, RoomsAreCreatedByTheCoresRulesAndReadBackFromTheirShard) {
  const Login op = login("operator1");
  // The core's bounds, with its message.
  const auto too_big =
      call(bhttp::verb::post, "/api/v1/rooms", R"({"type":"relay","max_players":100000})", &op);
  EXPECT_EQ(too_big.result(), bhttp::status::bad_request);
  EXPECT_NE(body_of(too_big).at("error").at("message").as_string().find("max_players"),
            std::string::npos);
  const auto unknown = call(bhttp::verb::post, "/api/v1/rooms", R"({"type":"chess"})", &op);
  EXPECT_EQ(unknown.result(), bhttp::status::bad_request);

  const auto made = call(bhttp::verb::post, "/api/v1/rooms",
                         R"({"type":"relay","name":"from-the-console","max_players":4})", &op);
  ASSERT_EQ(made.result(), bhttp::status::created) << made.body();
  const uint64_t id = body_of(made).at("id").to_number<uint64_t>();
  const auto detail = call(bhttp::verb::get, "/api/v1/rooms/" + std::to_string(id), "", &op);
  ASSERT_EQ(detail.result(), bhttp::status::ok) << detail.body();
  EXPECT_EQ(body_of(detail).at("name").as_string(), "from-the-console");
  EXPECT_EQ(body_of(detail).at("max_players").to_number<int64_t>(), 4);
  EXPECT_EQ(call(bhttp::verb::get, "/api/v1/rooms/999999", "", &op).result(),
            bhttp::status::not_found);

  const auto lock =
      call(bhttp::verb::post, "/api/v1/rooms/" + std::to_string(id) + "/lock", "", &op);
  EXPECT_EQ(lock.result(), bhttp::status::ok);
  const auto list = call(bhttp::verb::get, "/api/v1/rooms?state=locked", "", &op);
  ASSERT_EQ(list.result(), bhttp::status::ok);
  EXPECT_EQ(body_of(list).at("total").to_number<int64_t>(), 1);
  const auto no_reason =
      call(bhttp::verb::post, "/api/v1/rooms/" + std::to_string(id) + "/close", "{}", &op);
  EXPECT_EQ(no_reason.result(), bhttp::status::bad_request);
}

TEST_F(AdminApiTest, ABanIsStoredAndAudited) {
  std::promise<store::Player> made;
  store->login_guest("device-admin-api-test", "Guest", [&](store::Status st, store::Player p) {
    EXPECT_EQ(st, store::Status::ok);
    made.set_value(p);
  });
  const store::Player p = made.get_future().get();
  const Login op = login("operator1");
  const std::string target = "/api/v1/players/" + std::to_string(p.id);
  const auto past = call(bhttp::verb::post, target + "/ban", R"({"until_ms":1})", &op);
  EXPECT_EQ(past.result(), bhttp::status::bad_request);
  const auto ban =
      call(bhttp::verb::post, target + "/ban", R"({"duration_s":60,"reason":"spam"})", &op);
  ASSERT_EQ(ban.result(), bhttp::status::ok) << ban.body();
  EXPECT_EQ(
      call(bhttp::verb::post, "/api/v1/players/987654/ban", R"({"duration_s":60})", &op).result(),
      bhttp::status::not_found);

  const auto detail = call(bhttp::verb::get, target, "", &op);
  ASSERT_EQ(detail.result(), bhttp::status::ok);
  EXPECT_GT(body_of(detail).at("banned_until_ms").to_number<int64_t>(), 0);
  const auto audit = call(bhttp::verb::get, "/api/v1/audit", "", &op);
  ASSERT_EQ(audit.result(), bhttp::status::ok);
  const std::string text = audit.body();
  EXPECT_NE(text.find("player.ban"), std::string::npos);
  EXPECT_NE(text.find("operator1"), std::string::npos);
}

TEST_F(AdminApiTest, TheOverviewAnswersEvenWhenTheShardDoesNot) {
  const Login viewer = login("viewer1");
  auto req = std::make_shared<Request>(bhttp::verb::get, "/api/v1/overview", 11);
  req->set(bhttp::field::cookie, std::string(Auth::kCookieName) + "=" + viewer.token);
  std::optional<Reply> reply;
  api->handle(req, "10.0.0.1", [&](Reply r) { reply = std::move(r); });
  // Only the side-port's loop runs: the game shard is "stuck".
  const auto start = std::chrono::steady_clock::now();
  while (!reply && std::chrono::steady_clock::now() - start < 5s) {
    side_port.restart();
    side_port.run_for(5ms);
  }
  ASSERT_TRUE(reply);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(reply->response.result(), bhttp::status::ok);
  EXPECT_FALSE(body_of(reply->response).at("complete").as_bool());
}

}  // namespace
}  // namespace rookery::http

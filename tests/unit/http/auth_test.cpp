// Admin authentication on the side-port: logins against a real admin store (Argon2id), the
// failed-login budget (which parallel checks cannot outrun), sessions, bearer vs cookie, CSRF.
#include "http/auth.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <deque>
#include <functional>
#include <future>

#include "store/sqlite_store.hpp"
#include "store/store_fixtures.hpp"

namespace rookery::http {
namespace {

namespace bhttp = boost::beast::http;
using store::testing_support::TempDir;

::testing::Environment* const kQuietLogs =
    ::testing::AddGlobalTestEnvironment(new store::testing_support::QuietLogs);

struct AuthTest : ::testing::Test {
  TempDir dir;
  std::unique_ptr<store::SqliteStore> store;
  // Stands in for the side-port thread: what Auth posts waits here until the test runs it.
  std::mutex mu;
  std::deque<std::function<void()>> posted;
  std::unique_ptr<Auth> auth;

  void SetUp() override {
    store::StoreOptions o;
    o.path = dir.db();
    store = std::make_unique<store::SqliteStore>(o);
    std::promise<store::Status> made;
    store->create_admin("boss", "boss-password-1", "operator",
                        [&](store::Status st) { made.set_value(st); });
    ASSERT_EQ(made.get_future().get(), store::Status::ok);
    auth =
        std::make_unique<Auth>(*store, std::chrono::seconds(60), [this](std::function<void()> f) {
          std::lock_guard lock(mu);
          posted.push_back(std::move(f));
        });
  }

  // Runs what was posted (as the side-port thread would) until `n` results arrived.
  void run_posted_until(const size_t& results, size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (results < n && std::chrono::steady_clock::now() < deadline) {
      std::function<void()> f;
      {
        std::lock_guard lock(mu);
        if (!posted.empty()) {
          f = std::move(posted.front());
          posted.pop_front();
        }
      }
      if (f) {
        f();
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
    ASSERT_GE(results, n) << "login results did not arrive";
  }

  Auth::LoginResult login(const std::string& user, const std::string& pass,
                          const std::string& peer = "10.0.0.1") {
    std::vector<Auth::LoginResult> got;
    size_t n = 0;
    auth->login(user, pass, peer, [&](Auth::LoginResult r) {
      got.push_back(r);
      ++n;
    });
    run_posted_until(n, 1);
    return got.empty() ? Auth::LoginResult{} : got.front();
  }

  static Request with_header(bhttp::field f, const std::string& value) {
    Request r;
    r.set(f, value);
    return r;
  }
};

TEST_F(AuthTest, RightPasswordMakesASessionWrongOneDoesNot) {
  const auto bad = login("boss", "not-the-password");
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.session, nullptr);
  const auto good = login("boss", "boss-password-1");
  ASSERT_EQ(good.status, 200);
  ASSERT_NE(good.session, nullptr);
  EXPECT_EQ(good.session->username, "boss");
  EXPECT_EQ(good.session->role, Role::operator_);
  EXPECT_EQ(good.session->token.size(), 32u);
  EXPECT_NE(good.session->token, good.session->csrf);
  EXPECT_TRUE(auth->valid(good.session->token));
  const std::string token = good.session->token;
  auth->logout(token);
  EXPECT_FALSE(auth->valid(token));
}

TEST_F(AuthTest, FailedLoginsBackOffPerUserAndPerAddress) {
  ASSERT_EQ(login("boss", "boss-password-1", "10.0.0.9").status, 200);  // boss's own desk
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(login("Boss", "wrong-password-" + std::to_string(i)).status, 401);
  const auto locked = login("boss", "boss-password-1");
  EXPECT_EQ(locked.status, 429);
  EXPECT_GE(locked.retry_after_s, 1u);
  EXPECT_NE(locked.message.find("for this user"), std::string::npos) << locked.message;
  // The user is protected whatever address the guesses come from next...
  EXPECT_EQ(login("boss", "boss-password-1", "10.0.0.2").status, 429);
  // ...but its owner, from an address it logged in from before, is not locked out.
  EXPECT_EQ(login("boss", "boss-password-1", "10.0.0.9").status, 200);
  // The guessing address may still try other users until its own budget (10) is spent.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(login("ghost" + std::to_string(i), "wrong-password").status, 401) << i;
  }
  const auto address = login("ghost9", "wrong-password");
  EXPECT_EQ(address.status, 429);
  EXPECT_NE(address.message.find("from this address"), std::string::npos) << address.message;
}

TEST_F(AuthTest, ParallelGuessesCannotOutrunTheBudget) {
  // Twenty checks started before any answered: only the budget's five reach the store.
  std::vector<int> statuses;
  size_t n = 0;
  for (int i = 0; i < 20; ++i) {
    auth->login("boss", "wrong-password-" + std::to_string(i), "10.0.0.3",
                [&](Auth::LoginResult r) {
                  statuses.push_back(r.status);
                  ++n;
                });
  }
  run_posted_until(n, 20);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 401), 5);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 429), 15);
}

TEST_F(AuthTest, SuccessDoesNotSpendTheBudget) {
  for (int i = 0; i < 8; ++i) EXPECT_EQ(login("boss", "boss-password-1", "10.0.0.4").status, 200);
  EXPECT_EQ(login("boss", "wrong-password", "10.0.0.4").status, 401);
}

TEST_F(AuthTest, BearerNeedsNoCsrfCookieDoes) {
  const auto good = login("boss", "boss-password-1");
  ASSERT_NE(good.session, nullptr);
  const std::string token = good.session->token;
  const std::string csrf = good.session->csrf;

  const Request bearer = with_header(bhttp::field::authorization, "Bearer " + token);
  const Caller b = auth->authenticate(bearer);
  ASSERT_NE(b.session, nullptr);
  EXPECT_FALSE(b.via_cookie);
  EXPECT_TRUE(auth->csrf_ok(bearer, b));

  Request cookie = with_header(bhttp::field::cookie, "other=1; rookery_session=" + token);
  const Caller c = auth->authenticate(cookie);
  ASSERT_NE(c.session, nullptr);
  EXPECT_TRUE(c.via_cookie);
  EXPECT_FALSE(auth->csrf_ok(cookie, c));
  std::string wrong = csrf;
  wrong[0] = wrong[0] == '0' ? '1' : '0';  // one character off
  cookie.set("X-CSRF-Token", wrong);
  EXPECT_FALSE(auth->csrf_ok(cookie, c));
  cookie.set("X-CSRF-Token", csrf);
  EXPECT_TRUE(auth->csrf_ok(cookie, c));

  EXPECT_EQ(auth->authenticate(with_header(bhttp::field::authorization, "Bearer nope")).session,
            nullptr);
  EXPECT_EQ(auth->authenticate(Request{}).session, nullptr);
}

TEST_F(AuthTest, CookieIsHttpOnlyStrictAndClearable) {
  const auto good = login("boss", "boss-password-1");
  ASSERT_NE(good.session, nullptr);
  const std::string set = auth->cookie_for(good.session);
  EXPECT_NE(set.find("rookery_session=" + good.session->token), std::string::npos);
  EXPECT_NE(set.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(set.find("Max-Age=60"), std::string::npos);
  EXPECT_NE(auth->cookie_for(nullptr).find("Max-Age=0"), std::string::npos);
}

TEST(Roles, ParseAndOrder) {
  EXPECT_EQ(parse_role("viewer"), Role::viewer);
  EXPECT_EQ(parse_role("operator"), Role::operator_);
  EXPECT_EQ(parse_role("admin"), Role::admin);
  EXPECT_FALSE(parse_role("root"));
  EXPECT_LT(Role::viewer, Role::operator_);
  EXPECT_LT(Role::operator_, Role::admin);
  EXPECT_STREQ(to_string(Role::operator_), "operator");
}

}  // namespace
}  // namespace rookery::http

// The per-address and per-account limits (core/guard.hpp), with time passed in.
#include "core/guard.hpp"

#include <gtest/gtest.h>

namespace rookery::core {
namespace {

GuardSettings settings() {
  GuardSettings s;
  s.connections_per_address = 3;
  s.accounts_per_address_per_minute = 2;
  s.password_failures_per_account = 3;
  s.password_failures_per_address = 6;
  s.rooms_per_player = 2;
  s.rooms_per_address = 3;
  s.exempt = base::AddressRanges::parse("127.0.0.0/8");
  return s;
}

TEST(GuardTest, ConnectionsPerAddressAreCappedAndGivenBack) {
  Guard g(settings());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(g.open_connection("198.51.100.1"));
  EXPECT_FALSE(g.open_connection("198.51.100.1"));
  EXPECT_TRUE(g.open_connection("198.51.100.2"));  // another address has its own
  g.close_connection("198.51.100.1");
  EXPECT_TRUE(g.open_connection("198.51.100.1"));
  // An IPv6 client's whole /64 is one address.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(g.open_connection("2001:db8::" + std::to_string(i + 1)));
  EXPECT_FALSE(g.open_connection("2001:db8::ffff"));
  // Exempt addresses are not counted.
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(g.open_connection("127.0.0.1"));
  EXPECT_EQ(g.refusals()[static_cast<size_t>(Limit::connections_per_address)], 2u);
}

TEST(GuardTest, NewAccountsPerAddressRefillOverAMinute) {
  Guard g(settings());
  EXPECT_TRUE(g.take_new_account("198.51.100.1", 0));
  EXPECT_TRUE(g.take_new_account("198.51.100.1", 0));
  EXPECT_FALSE(g.take_new_account("198.51.100.1", 1000));
  g.refund_new_account("198.51.100.1");  // that login found an existing account
  EXPECT_TRUE(g.take_new_account("198.51.100.1", 1000));
  EXPECT_FALSE(g.take_new_account("198.51.100.1", 2000));
  EXPECT_TRUE(g.take_new_account("198.51.100.1", 32000));  // 2 a minute: one back in 30 s
  // Counted by the core, only when an account was refused (a known device still logs in).
  EXPECT_EQ(g.refusals()[static_cast<size_t>(Limit::new_accounts_per_address)], 0u);
}

TEST(GuardTest, PasswordFailuresBackOffPerAccountAndTheWaitIsCapped) {
  Guard g(settings());
  const std::string attacker = "203.0.113.9";
  bool last_free = false;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(g.password_attempt("alice", attacker, 0, nullptr, &last_free), 0) << i;
  }
  EXPECT_TRUE(last_free);  // the third failure starts the backoff
  Limit which{};
  EXPECT_EQ(g.password_attempt("alice", attacker, 0, &which), 1000);
  EXPECT_EQ(which, Limit::password_account);
  EXPECT_EQ(g.password_attempt("alice", attacker, 1000), 0);     // waited: one more try
  EXPECT_EQ(g.password_attempt("alice", attacker, 1000), 2000);  // then twice as long
  // However long the attack, the account waits at most kAccountBackoffMaxMs.
  int64_t now = 1000;
  for (int i = 0; i < 30; ++i) {
    now += g.password_attempt("alice", "203.0.113." + std::to_string(100 + i), now);
    g.password_attempt("alice", "203.0.113." + std::to_string(100 + i), now);
  }
  EXPECT_LE(g.password_attempt("alice", "203.0.113.250", now), Guard::kAccountBackoffMaxMs);
}

TEST(GuardTest, TheRealPlayersAddressIsNotLockedOutByAnAttackerElsewhere) {
  Guard g(settings());
  const std::string home = "198.51.100.20";
  ASSERT_EQ(g.password_attempt("bob", home, 0), 0);
  g.password_succeeded("bob", home);
  for (int i = 0; i < 3; ++i) g.password_attempt("bob", "203.0.113.9", 10);
  EXPECT_GT(g.password_attempt("bob", "203.0.113.9", 10), 0);  // the attacker waits
  EXPECT_EQ(g.password_attempt("bob", home, 10), 0);           // bob does not
}

TEST(GuardTest, AnAddressGuessingManyAccountsBacksOff) {
  Guard g(settings());
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(g.password_attempt("user" + std::to_string(i), "203.0.113.9", 0), 0);
  }
  Limit which{};
  EXPECT_EQ(g.password_attempt("user99", "203.0.113.9", 0, &which), 1000);
  EXPECT_EQ(which, Limit::password_address);
  EXPECT_EQ(g.password_attempt("user99", "203.0.113.10", 0), 0);  // another address may
  // Failures are forgotten after a quiet quarter of an hour.
  EXPECT_EQ(g.password_attempt("user99", "203.0.113.9", Guard::kForgetFailuresMs + 1), 0);
}

TEST(GuardTest, UnansweredAttemptsDoNotCount) {
  Guard g(settings());
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(g.password_attempt("carol", "198.51.100.3", 0), 0);
    g.password_unanswered("carol", "198.51.100.3");  // the store was down: not a failure
  }
}

TEST(GuardTest, ASprayOfAddressesDoesNotResetAnAccountsBackoff) {
  GuardSettings s = settings();
  s.max_entries = 50;
  Guard g(s);
  for (int i = 0; i < 3; ++i) g.password_attempt("dave", "203.0.113.9", 0);
  ASSERT_GT(g.password_attempt("dave", "203.0.113.9", 0), 0);
  // Attempts at many other accounts fill the table; dave's entry is recent, so it stays...
  for (int i = 0; i < 40; ++i) g.password_attempt("other" + std::to_string(i), "198.51.100.7", 0);
  EXPECT_GT(g.password_attempt("dave", "203.0.113.9", 0), 0);
}

TEST(GuardTest, RoomsPerPlayerAndPerAddress) {
  Guard g(settings());
  Limit which{};
  EXPECT_TRUE(g.take_room(1, "198.51.100.1"));
  EXPECT_TRUE(g.take_room(1, "198.51.100.1"));
  EXPECT_FALSE(g.take_room(1, "198.51.100.1", &which));
  EXPECT_EQ(which, Limit::rooms_per_player);
  EXPECT_TRUE(g.take_room(2, "198.51.100.1"));
  EXPECT_FALSE(g.take_room(3, "198.51.100.1", &which));
  EXPECT_EQ(which, Limit::rooms_per_address);
  g.room_gone(1, "198.51.100.1");
  EXPECT_TRUE(g.take_room(3, "198.51.100.1"));
  EXPECT_TRUE(g.take_room(4, "127.0.0.1"));  // exempt from the address cap, not the player's
}

}  // namespace
}  // namespace rookery::core

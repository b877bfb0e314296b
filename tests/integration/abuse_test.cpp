// The per-address and per-account limits against a real server over real sockets: what a
// hostile client met before (issue 12 #3, #7, #10), refused with typed errors and counted.

#include "http_support.hpp"
#include "test_support.hpp"

namespace rookery::itest {
namespace {

class AbuseTest : public IntegrationTest {
 protected:
  // The value of rookery_limit_refusals_total{limit="..."} on the server's /metrics.
  static double refusals(const ServerProcess& server, const std::string& limit) {
    return metric_value("127.0.0.1", server.http_port(),
                        "rookery_limit_refusals_total{limit=\"" + limit + "\"}");
  }
  // Loopback is exempt by default (load generators); these tests want it counted.
  static std::vector<std::string> counted(std::vector<std::string> flags) {
    flags.insert(flags.end(), {"--limits-exempt", ""});
    return flags;
  }
};

TEST_F(AbuseTest, ConnectionsPerAddressAreCapped) {
  auto& server = start_server(counted({"--max-connections-per-address", "3"}));
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(connect(server, i % 2 ? Via::ws : Via::tcp));
    ASSERT_MSG(held.back()->hello(), Welcome);
  }
  auto extra = connect(server, Via::tcp);
  const auto refused = extra->wait_for(is_error(proto::ADDRESS_LIMIT), kWait, Unmatched::keep);
  ASSERT_TRUE(refused.has_value()) << "no ADDRESS_LIMIT (closed: " << extra->close_reason() << ")";
  EXPECT_TRUE(refused->error().fatal());
  EXPECT_TRUE(extra->wait_closed(kWait));
  EXPECT_EQ(refusals(server, "connections_per_address"), 1);
  held.pop_back();  // a slot comes back when a connection ends
  bool admitted = false;
  for (int i = 0; i < 50 && !admitted; ++i) {
    auto again = connect(server, Via::tcp);
    const auto w = again->hello();
    admitted = w.has_welcome();
    if (!admitted) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(admitted);
}

TEST_F(AbuseTest, NewGuestAccountsPerAddressAreCappedKnownDevicesStillLogIn) {
  auto& server = start_server(counted({"--accounts-per-address-per-minute", "2"}));
  for (const char* device : {"device-spray-0001", "device-spray-0002"}) {
    auto c = connect(server, Via::tcp);
    ASSERT_MSG(c->hello(), Welcome);
    ASSERT_MSG(c->login_guest(device), LoginOk);
  }
  auto c = connect(server, Via::tcp);
  ASSERT_MSG(c->hello(), Welcome);
  const auto refused = c->login_guest("device-spray-0003");
  ASSERT_ERROR(refused, ADDRESS_LIMIT);
  EXPECT_FALSE(refused.error().fatal());
  const auto known = c->login_guest("device-spray-0001");  // same connection, a known device
  ASSERT_MSG(known, LoginOk);
  EXPECT_EQ(refusals(server, "new_accounts_per_address"), 1);
}

TEST_F(AbuseTest, PasswordGuessingBacksOffWithRetryAfter) {
  auto& server = start_server(counted({"--password-failures-per-account", "2"}));
  {
    auto owner = connect(server, Via::tcp);
    ASSERT_MSG(owner->hello(), Welcome);
    ASSERT_MSG(owner->register_user("victim", "the-right-password"), LoginOk);
  }
  // Guesses from the owner's address are spared the account's backoff; this test is about an
  // address that never got in, so the server must not know the owner's: a fresh server.
  server.stop();
  auto& fresh = start_server(counted({"--password-failures-per-account", "2"}));
  for (int i = 0; i < 2; ++i) {
    auto c = connect(fresh, Via::tcp);
    ASSERT_MSG(c->hello(), Welcome);
    const auto wrong = c->login_user("victim", "wrong-password-" + std::to_string(i));
    ASSERT_ERROR(wrong, BAD_CREDENTIALS);
  }
  auto c = connect(fresh, Via::ws);
  ASSERT_MSG(c->hello(), Welcome);
  const auto throttled = c->login_user("victim", "the-right-password");
  ASSERT_ERROR(throttled, LOGIN_THROTTLED);
  EXPECT_GT(throttled.error().retry_after_ms(), 0u);
  EXPECT_LE(throttled.error().retry_after_ms(), 30000u);
  EXPECT_EQ(refusals(fresh, "password_account"), 1);
  EXPECT_TRUE(fresh.find_log_line({"password logins throttled"}).has_value());
  // After the wait the right password works.
  std::this_thread::sleep_for(std::chrono::milliseconds(throttled.error().retry_after_ms() + 50));
  ASSERT_MSG(c->login_user("victim", "the-right-password"), LoginOk);
}

TEST_F(AbuseTest, RoomCreationIsCappedPerPlayerAndListingsPage) {
  auto& server = start_server(counted({"--max-rooms-per-player", "1"}));
  auto a = guest(server, Via::tcp, "device-rooms-0001");
  ASSERT_MSG(a->create_room("relay", "first"), Joined);
  ASSERT_MSG(a->leave(), Left);  // the room stays open (empty-room timeout)
  const auto second = a->create_room("relay", "second");
  ASSERT_ERROR(second, ROOM_LIMIT);
  EXPECT_FALSE(second.error().fatal());
  EXPECT_EQ(refusals(server, "rooms_per_player"), 1);
  // Other players' rooms, then the listing in pages of two.
  for (int i = 2; i <= 4; ++i) {
    auto p = guest(server, Via::tcp, "device-rooms-000" + std::to_string(i));
    ASSERT_MSG(p->create_room("relay", "room-" + std::to_string(i)), Joined);
  }
  Envelope list;
  list.mutable_list_rooms()->set_limit(2);
  const auto page1 = a->request(list, kWait);
  ASSERT_MSG(page1, RoomList);
  EXPECT_EQ(page1.room_list().rooms_size(), 2);
  EXPECT_EQ(page1.room_list().total(), 4u);
  ASSERT_FALSE(page1.room_list().next_cursor().empty());
  list.mutable_list_rooms()->set_cursor(page1.room_list().next_cursor());
  const auto page2 = a->request(list, kWait);
  ASSERT_MSG(page2, RoomList);
  EXPECT_EQ(page2.room_list().rooms_size(), 2);
  EXPECT_TRUE(page2.room_list().next_cursor().empty());
  list.mutable_list_rooms()->set_cursor("not-a-cursor");
  ASSERT_ERROR(a->request(list, kWait), INVALID_ARGUMENT);
}

}  // namespace
}  // namespace rookery::itest

// Logging in: password accounts and guests, over both transports, against a spawned server.
#include "test_support.hpp"

namespace rookery::itest {
namespace {

class AuthTest : public IntegrationTest, public ::testing::WithParamInterface<Via> {};

TEST_P(AuthTest, RegisterThenLogInWithPassword) {
  auto& server = start_server();
  const std::string user = std::string("alice_") + via_name(GetParam());
  const std::string password = "correct horse battery";

  auto first = connect(server, GetParam());
  const Envelope welcome = first->hello();
  ASSERT_MSG(welcome, Welcome);
  EXPECT_EQ(welcome.welcome().protocol_version(), 1u);
  EXPECT_GT(welcome.welcome().max_frame_bytes(), 0u);
  const Envelope created = first->register_user(user, password);
  ASSERT_MSG(created, LoginOk);
  EXPECT_TRUE(created.login_ok().created());
  EXPECT_FALSE(created.login_ok().resumed());
  EXPECT_NE(created.login_ok().player_id(), 0u);
  EXPECT_FALSE(created.login_ok().session_token().empty());
  EXPECT_EQ(created.login_ok().display_name(), user);
  first.reset();

  auto second = connect(server, GetParam());
  ASSERT_MSG(second->hello(), Welcome);
  const Envelope wrong = second->login_user(user, "not the password");
  ASSERT_ERROR(wrong, BAD_CREDENTIALS);
  EXPECT_FALSE(wrong.error().fatal()) << describe(wrong);
  // A failed attempt leaves the connection usable.
  const Envelope ok = second->login_user(user, password);
  ASSERT_MSG(ok, LoginOk);
  EXPECT_EQ(ok.login_ok().player_id(), created.login_ok().player_id());
  EXPECT_FALSE(ok.login_ok().created());
  EXPECT_NE(ok.login_ok().session_token(), created.login_ok().session_token());
  ASSERT_MSG(second->ping(7), Pong);
}

TEST_P(AuthTest, DuplicateUsernameIsRefused) {
  auto& server = start_server();
  auto first = connect(server, GetParam());
  ASSERT_MSG(first->hello(), Welcome);
  ASSERT_MSG(first->register_user("bob", "password-one"), LoginOk);

  auto second = connect(server, GetParam());
  ASSERT_MSG(second->hello(), Welcome);
  ASSERT_ERROR(second->register_user("bob", "password-two"), USERNAME_TAKEN);
  // Usernames are case-insensitive: "BOB" is the same account name.
  ASSERT_ERROR(second->register_user("BOB", "password-two"), USERNAME_TAKEN);
  ASSERT_MSG(second->register_user("bobby", "password-two"), LoginOk);
}

TEST_P(AuthTest, UnknownUserGetsBadCredentials) {
  auto& server = start_server();
  auto c = connect(server, GetParam());
  ASSERT_MSG(c->hello(), Welcome);
  ASSERT_ERROR(c->login_user("nobody_here", "whatever-password"), BAD_CREDENTIALS);
}

TEST_P(AuthTest, GuestWithSameDeviceIsSamePlayer) {
  auto& server = start_server();
  auto first = connect(server, GetParam());
  ASSERT_MSG(first->hello(), Welcome);
  const Envelope a = first->login_guest("device-0123456789", "Guesty");
  ASSERT_MSG(a, LoginOk);
  EXPECT_TRUE(a.login_ok().created());
  first.reset();

  auto second = connect(server, GetParam());
  ASSERT_MSG(second->hello(), Welcome);
  const Envelope b = second->login_guest("device-0123456789", "Guesty");
  ASSERT_MSG(b, LoginOk);
  EXPECT_EQ(b.login_ok().player_id(), a.login_ok().player_id());
  EXPECT_FALSE(b.login_ok().created());

  auto other = connect(server, GetParam());
  ASSERT_MSG(other->hello(), Welcome);
  const Envelope c = other->login_guest("device-other-9876", "Other");
  ASSERT_MSG(c, LoginOk);
  EXPECT_NE(c.login_ok().player_id(), a.login_ok().player_id());
}

TEST_P(AuthTest, SecondLoginOfSamePlayerKicksTheFirst) {
  auto& server = start_server();
  auto first = guest(server, GetParam(), "device-kick-0001");
  auto second = guest(server, GetParam(), "device-kick-0001");
  const auto kicked = first->wait_for(is_error(proto::KICKED), kWait);
  ASSERT_TRUE(kicked.has_value()) << "first connection was not told it was replaced";
  EXPECT_TRUE(kicked->error().fatal());
  EXPECT_TRUE(first->wait_closed(kWait));
  ASSERT_MSG(second->ping(), Pong);
}

TEST_P(AuthTest, InvalidLoginFieldsAreRejected) {
  auto& server = start_server();
  auto c = connect(server, GetParam());
  ASSERT_MSG(c->hello(), Welcome);
  ASSERT_ERROR(c->register_user("x", "long-enough-password"), INVALID_ARGUMENT);
  ASSERT_ERROR(c->register_user("valid_name", "short"), INVALID_ARGUMENT);
  ASSERT_ERROR(c->login_guest("short"), INVALID_ARGUMENT);
  ASSERT_MSG(c->login_guest("long-enough-device"), LoginOk);
  ASSERT_ERROR(c->login_guest("long-enough-device"), ALREADY_AUTHENTICATED);
}

INSTANTIATE_TEST_SUITE_P(Transports, AuthTest, ::testing::Values(Via::tcp, Via::ws),
                         via_param_name);

}  // namespace
}  // namespace rookery::itest

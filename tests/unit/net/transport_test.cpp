// Close reasons from socket errors: the metrics tell a vanished peer from a real error.
#include "net/transport.hpp"

#include <gtest/gtest.h>

#include <boost/asio/error.hpp>
#include <cerrno>
#include <set>
#include <string>

namespace rookery::net {
namespace {

namespace e = boost::asio::error;
using boost::system::error_code;
using boost::system::system_category;

TEST(CloseReasonTest, EndOfStreamIsANormalClose) {
  EXPECT_EQ(close_reason_of(e::eof), CloseReason::normal);
}

TEST(CloseReasonTest, ResetsAndBrokenPipesAreAPeerThatWentAway) {
  EXPECT_EQ(close_reason_of(e::connection_reset), CloseReason::peer_gone);
  EXPECT_EQ(close_reason_of(e::broken_pipe), CloseReason::peer_gone);
  EXPECT_EQ(close_reason_of(e::timed_out), CloseReason::peer_gone);
  // As writev reports them: errno in the system category.
  EXPECT_EQ(close_reason_of(error_code(EPIPE, system_category())), CloseReason::peer_gone);
  EXPECT_EQ(close_reason_of(error_code(ECONNRESET, system_category())), CloseReason::peer_gone);
}

TEST(CloseReasonTest, OtherFailuresAreErrors) {
  EXPECT_EQ(close_reason_of(error_code(EBADF, system_category())), CloseReason::error);
  EXPECT_EQ(close_reason_of(e::no_buffer_space), CloseReason::error);
}

TEST(CloseReasonTest, EveryReasonHasItsOwnName) {
  std::set<std::string> names;
  for (int r = 0; r < kCloseReasonCount; ++r) names.insert(to_string(static_cast<CloseReason>(r)));
  EXPECT_EQ(names.size(), static_cast<size_t>(kCloseReasonCount));
  EXPECT_EQ(std::string(to_string(CloseReason::peer_gone)), "peer_gone");
}

}  // namespace
}  // namespace rookery::net

// The game server's counters on /metrics against a real server over real sockets (issue 13,
// metrics hygiene): page loads are not game connections, a vanished peer is not an error, and
// logins, room lifecycles and the errors sent are counted by what they were.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_support.hpp"
#include "test_support.hpp"

namespace rookery::itest {
namespace {

class MetricsTest : public IntegrationTest {
 protected:
  // The value of one series, written as on /metrics (`name{label="v",...}`); -1 if absent.
  static double metric(const ServerProcess& server, const std::string& series) {
    return metric_value("127.0.0.1", server.http_port(), series);
  }
  // Polls until the series has the value (the counters are read from the shards on a scrape,
  // and a close is counted when the server has seen it).
  static bool metric_reaches(const ServerProcess& server, const std::string& series, double value) {
    for (int i = 0; i < 100; ++i) {
      if (metric(server, series) == value) return true;
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << series << " = " << metric(server, series) << ", wanted " << value;
    return false;
  }
  // A TCP connection to the game port closed with a reset (SO_LINGER 0): a peer that vanished.
  static void connect_and_reset(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    std::this_thread::sleep_for(200ms);  // the server has accepted it
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
  }
};

TEST_F(MetricsTest, PageLoadsOnTheWebSocketPortAreNotGameConnections) {
  auto& server = start_server();
  for (int i = 0; i < 2; ++i) {
    const auto page = http("127.0.0.1", server.ws_port(), bhttp::verb::get, "/");
    EXPECT_NE(page.status, 0);
  }
  EXPECT_TRUE(metric_reaches(server, "rookery_ws_port_other_total{outcome=\"page_served\"}", 2));
  EXPECT_EQ(metric(server, "rookery_connections_accepted_total{transport=\"ws\"}"), 0);
  EXPECT_EQ(metric(server, "rookery_connections_closed_total{reason=\"normal\"}"), 0);

  auto c = connect(server, Via::ws);
  ASSERT_MSG(c->hello(), Welcome);
  EXPECT_EQ(metric(server, "rookery_connections_accepted_total{transport=\"ws\"}"), 1);
}

TEST_F(MetricsTest, ACleanCloseIsNormalAndAVanishedPeerIsPeerGone) {
  auto& server = start_server();
  {
    auto c = connect(server, Via::tcp);
    ASSERT_MSG(c->hello(), Welcome);
  }  // the client closes its socket: end of stream
  EXPECT_TRUE(metric_reaches(server, "rookery_connections_closed_total{reason=\"normal\"}", 1));
  connect_and_reset(server.tcp_port());
  EXPECT_TRUE(metric_reaches(server, "rookery_connections_closed_total{reason=\"peer_gone\"}", 1));
  EXPECT_EQ(metric(server, "rookery_connections_closed_total{reason=\"error\"}"), 0);
}

TEST_F(MetricsTest, LoginsRoomsAndErrorsSentAreCountedByWhatTheyWere) {
  auto& server = start_server({"--empty-room-timeout-ms", "300"});
  auto c = connect(server, Via::tcp);
  ASSERT_MSG(c->hello(), Welcome);
  const auto wrong = c->login_user("nobody-here", "wrong-password");
  ASSERT_ERROR(wrong, BAD_CREDENTIALS);
  ASSERT_MSG(c->login_guest("metrics-device-0001"), LoginOk);
  for (int i = 0; i < 3; ++i) {
    const auto refused = c->leave();
    ASSERT_ERROR(refused, NOT_IN_ROOM);
  }
  ASSERT_MSG(c->create_room("relay"), Joined);
  ASSERT_MSG(c->leave(), Left);  // empty: closed by the empty-room timeout

  EXPECT_EQ(metric(server, "rookery_logins_total{kind=\"guest\",result=\"ok\"}"), 1);
  EXPECT_EQ(metric(server, "rookery_logins_total{kind=\"password\",result=\"bad_credentials\"}"),
            1);
  EXPECT_EQ(metric(server, "rookery_logins_total{kind=\"password\",result=\"ok\"}"), 0);
  EXPECT_EQ(metric(server, "rookery_errors_sent_total{code=\"not_in_room\"}"), 3);
  EXPECT_EQ(metric(server, "rookery_errors_sent_total{code=\"bad_credentials\"}"), 1);
  EXPECT_EQ(metric(server, "rookery_rooms_created_total{type=\"relay\"}"), 1);
  EXPECT_TRUE(
      metric_reaches(server, "rookery_rooms_closed_total{type=\"relay\",reason=\"empty\"}", 1));
  EXPECT_EQ(metric(server, "rookery_rooms_closed_total{type=\"relay\",reason=\"operator\"}"), 0);
}

}  // namespace
}  // namespace rookery::itest

// Hard limits: bad frames, error and rate budgets, timeouts, admission, slow readers. Each
// violation gets a typed Error (and a close where the protocol says so), never a crash.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <thread>

#include "test_support.hpp"

namespace rookery::itest {
namespace {

class LimitsTest : public IntegrationTest {
 protected:
  // After abuse, a fresh client can still log in and play.
  void expect_server_still_serves(const ServerProcess& server) {
    auto c = guest(server, Via::tcp, "device-healthy-after");
    ASSERT_MSG(c->join_or_create("relay"), Joined);
    ASSERT_MSG(c->input_acked(1, "still serving"), State);
  }
};

TEST_F(LimitsTest, OversizeFrameGetsBadFrameAndClose) {
  auto& server = start_server({"--max-frame-bytes", "4096"});
  auto c = connect(server, Via::tcp);
  ASSERT_MSG(c->hello(), Welcome);
  c->send_raw(tcp_frame("", 4097));  // only the header: the length alone is over the limit
  const auto err = c->wait_for(is_error(proto::BAD_FRAME), kWait, Unmatched::keep);
  ASSERT_TRUE(err.has_value()) << "no BAD_FRAME (closed: " << c->close_reason() << ")";
  EXPECT_TRUE(err->error().fatal());
  EXPECT_TRUE(c->wait_closed(kWait));

  // An empty frame (length 0) is a bad frame too.
  auto d = connect(server, Via::tcp);
  d->send_raw(tcp_frame(""));
  const auto empty = d->wait_for(is_error(proto::BAD_FRAME), kWait, Unmatched::keep);
  ASSERT_TRUE(empty.has_value()) << "no BAD_FRAME for an empty frame";
  EXPECT_TRUE(d->wait_closed(kWait));

  // A frame just under the limit is accepted (a valid Ping padded with an unknown field).
  auto e = connect(server, Via::tcp);
  Envelope ping;
  ping.set_request_id(77);
  ping.mutable_ping()->set_client_time(5);
  std::string bytes = ping.SerializeAsString();
  const std::string pad = "\xfa\x07";  // field 127, length-delimited
  const size_t room = 4096 - bytes.size() - pad.size() - 2;
  bytes += pad + static_cast<char>(0x80 | (room & 0x7f)) + static_cast<char>(room >> 7) +
           std::string(room, 'p');
  ASSERT_EQ(bytes.size(), 4096u);
  e->send_raw(tcp_frame(bytes));
  const auto pong = e->wait_for([](const Envelope& m) { return m.request_id() == 77; }, kWait);
  ASSERT_TRUE(pong.has_value());
  ASSERT_MSG(*pong, Pong);

  expect_server_still_serves(server);
}

TEST_F(LimitsTest, OversizeWebSocketMessageIsClosed) {
  auto& server = start_server({"--max-frame-bytes", "4096"});
  auto c = connect(server, Via::ws);
  ASSERT_MSG(c->hello(), Welcome);
  c->send_raw(std::string(5000, 'x'));
  EXPECT_TRUE(c->wait_closed(kWait));
  // WebSocket has its own typed close for this: 1009, message too big.
  EXPECT_EQ(c->close_reason(), "websocket close 1009");
  expect_server_still_serves(server);
}

class GarbageTest : public LimitsTest, public ::testing::WithParamInterface<Via> {};

TEST_P(GarbageTest, GarbageIsMalformedThenTooManyErrorsCloses) {
  auto& server = start_server({"--max-errors", "3"});
  auto c = guest(server, GetParam(), "device-garbage-01");
  // A frame whose bytes are not an Envelope: an unterminated varint tag.
  const std::string garbage("\xff\xff\xff\xff\xff\xff", 6);
  const auto send_garbage = [&] {
    c->send_raw(GetParam() == Via::tcp ? tcp_frame(garbage) : garbage);
  };
  for (int i = 0; i < 3; ++i) {
    send_garbage();
    const auto err = c->receive(kWait);
    ASSERT_TRUE(err.has_value()) << "no answer to garbage #" << i;
    ASSERT_ERROR(*err, MALFORMED);
    EXPECT_FALSE(err->error().fatal());
    ASSERT_MSG(c->ping(), Pong) << "connection unusable after garbage #" << i;
  }
  send_garbage();  // one more than --max-errors
  const auto fatal = c->wait_for(is_error(proto::TOO_MANY_ERRORS), kWait, Unmatched::keep);
  ASSERT_TRUE(fatal.has_value()) << "no TOO_MANY_ERRORS (closed: " << c->close_reason() << ")";
  EXPECT_TRUE(fatal->error().fatal());
  EXPECT_TRUE(c->wait_closed(kWait));

  expect_server_still_serves(server);
}

TEST_P(GarbageTest, EnvelopeWithoutMessageIsUnknown) {
  auto& server = start_server();
  auto c = guest(server, GetParam(), "device-unknown-01");
  Envelope empty;
  empty.set_request_id(5);
  c->send(empty);
  const auto err = c->receive(kWait);
  ASSERT_TRUE(err.has_value());
  ASSERT_ERROR(*err, UNKNOWN_MESSAGE);
  EXPECT_EQ(err->request_id(), 5u);
  // A server-to-client message sent by a client is refused the same way.
  Envelope welcome;
  welcome.mutable_welcome()->set_protocol_version(1);
  ASSERT_ERROR(c->request(welcome, kWait), UNKNOWN_MESSAGE);
  ASSERT_MSG(c->ping(), Pong);
}

INSTANTIATE_TEST_SUITE_P(Transports, GarbageTest, ::testing::Values(Via::tcp, Via::ws),
                         via_param_name);

TEST_F(LimitsTest, HandshakeTimeoutClosesSilentConnections) {
  auto& server = start_server({"--handshake-timeout-ms", "500"});
  const auto connected = Clock::now();
  auto logged_in = guest(server, Via::tcp, "device-handshake-ok");
  // On a very busy machine even this login may miss 500 ms; then it proves nothing.
  const bool logged_in_in_time = Clock::now() - connected < 400ms;
  auto silent = connect(server, Via::tcp);
  auto hello_only = connect(server, Via::ws);
  ASSERT_MSG(hello_only->hello(), Welcome);

  for (Client* c : {silent.get(), hello_only.get()}) {
    const auto err = c->wait_for(is_error(proto::TIMEOUT), kWait, Unmatched::keep);
    ASSERT_TRUE(err.has_value()) << "no TIMEOUT (closed: " << c->close_reason() << ")";
    EXPECT_TRUE(err->error().fatal());
    EXPECT_TRUE(c->wait_closed(kWait));
  }
  if (logged_in_in_time) {
    // A client that logged in in time is not affected.
    ASSERT_MSG(logged_in->ping(), Pong);
    EXPECT_FALSE(logged_in->closed());
  }
}

TEST_F(LimitsTest, IdleTimeoutClosesQuietClients) {
  auto& server = start_server({"--idle-timeout-ms", "2000"});
  auto quiet = guest(server, Via::ws, "device-idle-quiet");
  auto chatty = guest(server, Via::tcp, "device-idle-chatty");
  ASSERT_MSG(quiet->join_or_create("relay"), Joined);  // being sent State does not count
  const auto started = Clock::now();
  std::optional<Envelope> timeout;
  while (!timeout && Clock::now() - started < kWait) {
    ASSERT_MSG(chatty->ping(), Pong);
    timeout = quiet->wait_for(is_error(proto::TIMEOUT), 200ms, Unmatched::drop);
  }
  ASSERT_TRUE(timeout.has_value()) << "quiet client not closed (" << quiet->close_reason() << ")";
  EXPECT_TRUE(timeout->error().fatal());
  EXPECT_TRUE(quiet->wait_closed(kWait));
  ASSERT_MSG(chatty->ping(), Pong);
}

TEST_F(LimitsTest, MaxConnectionsRefusesTheThird) {
  auto& server = start_server({"--max-connections", "2"});
  auto first = connect(server, Via::tcp);
  ASSERT_MSG(first->hello(), Welcome);
  auto second = connect(server, Via::ws);
  ASSERT_MSG(second->hello(), Welcome);

  auto third = connect(server, Via::tcp);
  const auto full = third->wait_for(is_error(proto::SERVER_FULL), kWait, Unmatched::keep);
  ASSERT_TRUE(full.has_value()) << "no SERVER_FULL (closed: " << third->close_reason() << ")";
  EXPECT_TRUE(full->error().fatal());
  EXPECT_TRUE(third->wait_closed(kWait));
  // The admitted connections still work.
  ASSERT_MSG(first->ping(), Pong);
  ASSERT_MSG(second->ping(), Pong);

  // A slot frees up when a connection goes away (once the server has noticed).
  first.reset();
  bool admitted = false;
  for (const auto deadline = Clock::now() + kWait; !admitted && Clock::now() < deadline;) {
    try {
      auto next = connect(server, Via::tcp);
      const Envelope reply = next->hello();
      admitted = reply.has_welcome();
      if (!admitted) ASSERT_ERROR(reply, SERVER_FULL);
    } catch (const client::ClientError&) {
      // Refused and closed before our Hello was written or answered: still full.
    }
    if (!admitted) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(admitted) << "a freed slot was never reused";
}

TEST_F(LimitsTest, WrongProtocolVersionIsRefused) {
  auto& server = start_server();
  auto c = connect(server, Via::tcp);
  const Envelope reply = c->hello(2);
  ASSERT_ERROR(reply, PROTOCOL_VERSION);
  EXPECT_TRUE(reply.error().fatal());
  EXPECT_TRUE(c->wait_closed(kWait));
}

TEST_F(LimitsTest, RequestsBeforeHelloAreNotAuthenticated) {
  auto& server = start_server();
  auto c = connect(server, Via::tcp);
  const Envelope list = c->list_rooms();
  ASSERT_ERROR(list, NOT_AUTHENTICATED);
  EXPECT_FALSE(list.error().fatal());
  ASSERT_ERROR(c->login_guest("device-early-login"), NOT_AUTHENTICATED);
  ASSERT_ERROR(c->reconnect("0123456789abcdef"), NOT_AUTHENTICATED);
  ASSERT_MSG(c->ping(), Pong);  // ping is allowed at any time
  ASSERT_MSG(c->hello(), Welcome);
  // After Hello but before a login, room requests still need the login.
  ASSERT_ERROR(c->join_or_create("relay"), NOT_AUTHENTICATED);
  ASSERT_MSG(c->login_guest("device-early-login"), LoginOk);
  ASSERT_MSG(c->list_rooms(), RoomList);
}

TEST_F(LimitsTest, RateLimitDropsThenCloses) {
  auto& server = start_server({"--msg-rate", "5", "--msg-burst", "5"});
  auto c = connect(server, Via::tcp);
  // 50 pings in one write: a real burst, whatever the scheduling of this test.
  std::string burst;
  for (uint32_t i = 1; i <= 50; ++i) {
    Envelope ping;
    ping.set_request_id(i);
    ping.mutable_ping()->set_client_time(i);
    burst += tcp_frame(ping.SerializeAsString());
  }
  c->send_raw(burst);
  int pongs = 0;
  int limited = 0;
  int fatal_limited = 0;
  while (auto m = c->receive(kWait)) {
    if (m->has_pong()) {
      ++pongs;
    } else if (m->has_error() && m->error().code() == proto::RATE_LIMITED) {
      ++(m->error().fatal() ? fatal_limited : limited);
    } else {
      ADD_FAILURE() << "unexpected " << describe(*m);
    }
  }
  EXPECT_TRUE(c->closed()) << "the flooding connection was not closed";
  EXPECT_GE(pongs, 5) << "the burst allowance was not honoured";
  EXPECT_LT(pongs, 50);
  EXPECT_GE(limited, 1);
  EXPECT_EQ(fatal_limited, 1);
  EXPECT_LE(limited, 10) << "more non-fatal offences than --max-errors (default 10)";
  expect_server_still_serves(server);
}

// Hardening #8: WebSocket frames that carry no message of their own (here: a fragmented message
// that never ends, fed empty continuation frames) cost the server like messages, so they take
// tokens too; a flood of them is rate-limited and closed like a flood of messages.
TEST_F(LimitsTest, EmptyWebSocketContinuationFramesAreRateLimitedToo) {
  auto& server = start_server({});
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), server.ws_port()});
  const std::string upgrade =
      "GET / HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  boost::asio::write(s, boost::asio::buffer(upgrade));
  boost::asio::streambuf head;
  boost::asio::read_until(s, head, "\r\n\r\n");
  // Client frames are masked; an empty payload needs only the 4 key bytes.
  const std::string start = {
      static_cast<char>(0x02),     static_cast<char>(0x81), 'k', 'e', 'y', '!',
      static_cast<char>('x' ^ 'k')};
  const std::string empty_continuation = {
      static_cast<char>(0x00), static_cast<char>(0x80), 'k', 'e', 'y', '!'};
  std::string flood = start;
  for (int i = 0; i < 2000; ++i) flood += empty_continuation;
  boost::system::error_code ec;
  boost::asio::write(s, boost::asio::buffer(flood), ec);
  // The server answers with RATE_LIMITED errors, then closes: read until the end.
  const auto deadline = Clock::now() + kWait;
  char buf[4096];
  s.non_blocking(true);
  bool ended = false;
  while (!ended && Clock::now() < deadline) {
    s.read_some(boost::asio::buffer(buf), ec);
    if (ec == boost::asio::error::would_block) {
      std::this_thread::sleep_for(10ms);
    } else if (ec) {
      ended = true;
    }
  }
  EXPECT_TRUE(ended) << "the flooding connection was not closed";
  EXPECT_TRUE(server.wait_for_log({"connection closed", "reason=rate_limited"}, kWait))
      << server.stderr_text();
  expect_server_still_serves(server);
}

// Sockets the server process holds open (its /proc fd table, minus stdio and the like).
size_t open_fds(pid_t pid) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    ++n;
  }
  return n;
}

// One close rule: a session closed for a bad frame while its socket still has unsent bytes for
// a peer that stopped reading stays under the sweep, which cuts the socket after the grace
// (before the rule, the session left its shard at once and the socket stayed open for good).
TEST_F(LimitsTest, ClosedSessionsSocketIsCutEvenIfThePeerNeverReads) {
  auto& server = start_server({"--outbound-queue-bytes", "67108864", "--msg-rate", "100000",
                               "--msg-burst", "100000", "--relay-tick-hz", "60"});
  client::Options small_buffer;
  small_buffer.rcvbuf_bytes = 4096;
  auto stalled = guest(server, Via::tcp, "device-stalled-bad-frame", small_buffer);
  auto sender = guest(server, Via::tcp, "device-stalled-sender");
  const Envelope created = sender->create_room("relay", "close rule test", 2);
  ASSERT_MSG(created, Joined);
  ASSERT_MSG(stalled->join(created.joined().room().room_id()), Joined);
  stalled->set_reading(false);
  // About 12 MB for the stalled member: more than the kernel buffers hold, so the server's own
  // queue for it is not empty when it misbehaves.
  const std::string payload(4000, 's');
  const uint32_t seat = sender->seat();
  uint32_t seq = 0;
  while (seq < 3000) {
    for (int i = 0; i < 8; ++i) sender->input(++seq, payload);
    const auto acked = sender->wait_for(is_acked(seat, seq), kWait);
    ASSERT_TRUE(acked.has_value()) << "inputs not acked";
  }
  const size_t before = open_fds(server.pid());
  stalled->send_raw(tcp_frame(""));  // an empty frame: BAD_FRAME, then close
  const std::string player = "player=" + std::to_string(stalled->player_id());
  const auto deadline = Clock::now() + kWait;
  while (!server.find_log_line({"reason=protocol_error", player}) && Clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(server.find_log_line({"reason=protocol_error", player}));
  // The sweep runs every second and cuts a closing socket after 2 s.
  size_t after = before;
  while (after >= before && Clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
    after = open_fds(server.pid());
  }
  EXPECT_LT(after, before) << "the closed session's socket is still open";
  expect_server_still_serves(server);
}

// A member that stops reading is cut once its unsent bytes pass --outbound-queue-bytes, and
// the room keeps serving the others. The stalled member's transport is the parameter.
class SlowReaderTest : public LimitsTest, public ::testing::WithParamInterface<Via> {};

TEST_P(SlowReaderTest, SlowReaderIsDisconnectedOthersKeepReceiving) {
  auto& server = start_server({"--outbound-queue-bytes", "65536", "--msg-rate", "100000",
                               "--msg-burst", "100000", "--relay-tick-hz", "60"});
  client::Options small_buffer;
  small_buffer.rcvbuf_bytes = 4096;
  auto stalled = guest(server, GetParam(), "device-slow-reader", small_buffer);
  auto sender = guest(server, Via::tcp, "device-fast-sender");
  auto reader = guest(server, Via::ws, "device-fast-reader");
  const Envelope created = sender->create_room("relay", "slow-reader test", 3);
  ASSERT_MSG(created, Joined);
  const uint64_t room = created.joined().room().room_id();
  ASSERT_MSG(stalled->join(room), Joined);
  ASSERT_MSG(reader->join(room), Joined);
  const std::string stalled_player = "player=" + std::to_string(stalled->player_id());
  stalled->set_reading(false);

  // Batches of 4000-byte inputs, each batch sent once the room has applied the previous one:
  // every State stays well under the queue bound, so only a member that does not read falls
  // behind. (The server's kernel send buffer, up to tcp_wmem's maximum, fills first.)
  const std::string payload(4000, 's');
  const uint32_t seat = sender->seat();
  uint32_t seq = 0;
  const auto started = Clock::now();
  bool cut = false;
  while (!cut && Clock::now() - started < kLongWait) {
    for (int i = 0; i < 8; ++i) sender->input(++seq, payload);
    const auto acked = sender->wait_for(is_acked(seat, seq), kWait);
    ASSERT_TRUE(acked.has_value()) << "inputs not acked (sender closed: " << sender->closed() << " "
                                   << sender->close_reason() << ")";
    reader->drain(0ms);
    ASSERT_FALSE(reader->closed()) << reader->close_reason();
    cut = server.find_log_line({"reason=slow_consumer", stalled_player}).has_value();
  }
  ASSERT_TRUE(cut) << "the stalled reader was not disconnected within " << kLongWait.count()
                   << " ms (" << seq << " inputs of 4000 bytes sent)";
  // Only the stalled reader was cut.
  for (const Client* c : {sender.get(), reader.get()}) {
    EXPECT_FALSE(
        server.find_log_line({"reason=slow_consumer", "player=" + std::to_string(c->player_id())}));
  }
  // Its socket is closed by the server: reading now gets what was in flight, then the end.
  EXPECT_TRUE(stalled->wait_closed(kLongWait)) << "the stalled connection is still open";

  // The others keep playing.
  sender->input(++seq, "after the cut");
  ASSERT_TRUE(reader->wait_for(is_relayed("after the cut"), kWait))
      << "the reading member stopped receiving State";
  ASSERT_TRUE(sender->wait_for(is_relayed("after the cut"), kWait));
}

INSTANTIATE_TEST_SUITE_P(Transports, SlowReaderTest, ::testing::Values(Via::tcp, Via::ws),
                         via_param_name);

}  // namespace
}  // namespace rookery::itest

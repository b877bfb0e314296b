// The WebSocket transport over a real loopback connection, its peer played by the test with a
// raw socket: the upgrade, frames sent right behind it, ping/pong, a burst written through a
// tiny send buffer (partial writes, a pong between whole messages only), the close handshake
// and failures with their close codes.
#include "net/ws_transport.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "net/framing.hpp"

namespace rookery::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr const char* kUpgrade =
    "GET / HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

std::string masked(uint8_t opcode, std::string_view payload, bool fin = true) {
  std::string out;
  out += static_cast<char>((fin ? 0x80 : 0) | opcode);
  if (payload.size() < 126) {
    out += static_cast<char>(0x80 | payload.size());
  } else {
    out += static_cast<char>(0x80 | 126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xff);
  }
  const char key[4] = {0x5a, 0x01, 0x7f, 0x33};
  out.append(key, 4);
  for (size_t i = 0; i < payload.size(); ++i) out += static_cast<char>(payload[i] ^ key[i & 3]);
  return out;
}

// TCP framing, as the server queues messages.
std::shared_ptr<const std::string> framed(const std::vector<std::string>& messages) {
  auto out = std::make_shared<std::string>();
  for (const auto& m : messages) {
    char len[kFrameHeaderBytes];
    put_frame_length(len, static_cast<uint32_t>(m.size()));
    out->append(len, kFrameHeaderBytes);
    out->append(m);
  }
  return out;
}

class Owner final : public TransportOwner {
 public:
  bool opened = false;
  std::vector<std::string> messages;
  std::vector<std::pair<CloseReason, std::string>> closes;
  void on_open() override { opened = true; }
  void on_message(std::string_view bytes) override { messages.emplace_back(bytes); }
  uint64_t extra_frames = 0;
  void on_extra_frames(uint64_t count) override { extra_frames += count; }
  void on_transport_closed(CloseReason reason, std::string_view detail) override {
    closes.emplace_back(reason, std::string(detail));
  }
};

// A server frame as the test's client reads it.
struct Frame {
  uint8_t opcode = 0;
  std::string payload;
};

struct WsTransportTest : ::testing::Test {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  asio::ip::tcp::socket client{io};
  std::unique_ptr<WsTransport> transport;
  std::shared_ptr<Owner> owner = std::make_shared<Owner>();
  std::string inbox;  // bytes the client received, not yet parsed

  // Connects; `after_upgrade` is written in the same send as the upgrade request.
  void open(const std::string& after_upgrade = "", int server_sndbuf = 0) {
    client.connect(acceptor.local_endpoint());
    asio::ip::tcp::socket server = acceptor.accept();
    if (server_sndbuf > 0) server.set_option(asio::socket_base::send_buffer_size(server_sndbuf));
    transport = std::make_unique<WsTransport>(std::move(server), 1 << 20, 5s, nullptr);
    transport->start(owner);
    asio::write(client, asio::buffer(std::string(kUpgrade) + after_upgrade));
    run_until([&] { return owner->opened; });
    ASSERT_TRUE(owner->opened);
    client.non_blocking(true);
    run_until([&] { return inbox.find("\r\n\r\n") != std::string::npos; });
    const size_t end = inbox.find("\r\n\r\n");
    ASSERT_NE(end, std::string::npos);
    const std::string head = inbox.substr(0, end);
    EXPECT_NE(head.find("101"), std::string::npos) << head;
    EXPECT_NE(head.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << head;
    inbox.erase(0, end + 4);
  }
  // Runs the server's loop and reads what the client received, until `done` or `limit`.
  template <class Done>
  void run_until(Done done, std::chrono::milliseconds limit = 5s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < end) {
      io.restart();
      io.run_for(2ms);
      receive();
    }
  }
  void receive() {
    if (!client.non_blocking()) return;
    char buf[65536];
    for (;;) {
      boost::system::error_code ec;
      const size_t n = client.read_some(asio::buffer(buf), ec);
      if (ec) return;
      inbox.append(buf, n);
    }
  }
  // Whole server frames received so far (unmasked, as the RFC requires of servers).
  std::vector<Frame> frames() {
    std::vector<Frame> out;
    size_t at = 0;
    for (;;) {
      if (inbox.size() - at < 2) break;
      const auto b0 = static_cast<uint8_t>(inbox[at]);
      const auto b1 = static_cast<uint8_t>(inbox[at + 1]);
      EXPECT_EQ(b1 & 0x80, 0) << "server frames are never masked";
      EXPECT_NE(b0 & 0x80, 0) << "server frames are final";
      uint64_t len = b1 & 0x7f;
      size_t h = 2;
      if (len == 126) {
        if (inbox.size() - at < 4) break;
        len = static_cast<uint64_t>(static_cast<uint8_t>(inbox[at + 2])) << 8 |
              static_cast<uint8_t>(inbox[at + 3]);
        h = 4;
      } else if (len == 127) {
        if (inbox.size() - at < 10) break;
        len = 0;
        for (int i = 0; i < 8; ++i) len = len << 8 | static_cast<uint8_t>(inbox[at + 2 + i]);
        h = 10;
      }
      if (inbox.size() - at < h + len) break;
      out.push_back(Frame{static_cast<uint8_t>(b0 & 0x0f), inbox.substr(at + h, len)});
      at += h + len;
    }
    return out;
  }
  void client_send(const std::string& bytes) {
    client.non_blocking(false);
    asio::write(client, asio::buffer(bytes));
    client.non_blocking(true);
  }
};

TEST_F(WsTransportTest, FramesRightBehindTheUpgradeAndPingsAreAnswered) {
  open(masked(2, "early"));
  run_until([&] { return owner->messages.size() == 1; });
  ASSERT_EQ(owner->messages, std::vector<std::string>{"early"});
  client_send(masked(9, "are you there"));
  run_until([&] { return frames().size() == 1; });
  const auto f = frames();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].opcode, 0xA);
  EXPECT_EQ(f[0].payload, "are you there");
  EXPECT_TRUE(owner->closes.empty());
}

TEST_F(WsTransportTest, EveryFrameIsReportedNotOnlyWholeMessages) {
  open();
  // A message in 3 fragments with 5 empty continuations between, and 2 pings: 10 frames, one
  // message; the other 9 are reported for the rate limit.
  std::string bytes = masked(2, "ab", false);
  for (int i = 0; i < 5; ++i) bytes += masked(0, "", false);
  bytes += masked(9, "p1") + masked(0, "c", false) + masked(9, "p2") + masked(0, "d", true);
  client_send(bytes);
  run_until([&] { return owner->messages.size() == 1 && owner->extra_frames == 9; });
  EXPECT_EQ(owner->messages, std::vector<std::string>{"abcd"});
  EXPECT_EQ(owner->extra_frames, 9u);
  // A plain message costs one (counted as the message itself).
  client_send(masked(2, "one"));
  run_until([&] { return owner->messages.size() == 2; });
  EXPECT_EQ(owner->extra_frames, 9u);
}

TEST_F(WsTransportTest, ABurstGoesOutWholeAndInOrderThroughPartialWrites) {
  open("", 4096);
  std::vector<std::string> sent;
  for (int b = 0; b < 20; ++b) {
    std::vector<std::string> batch;
    for (int i = 0; i < 10; ++i) {
      const int k = b * 10 + i;
      batch.push_back(
          std::string(static_cast<size_t>(1 + (k * 37) % 3000), static_cast<char>('a' + k % 26)) +
          std::to_string(k));
      sent.push_back(batch.back());
    }
    transport->queue(framed(batch));
  }
  transport->flush();
  EXPECT_GT(transport->pending_bytes(), 0u);  // the tiny send buffer is full
  // A ping while the burst is stuck: its pong must land between whole messages.
  client_send(masked(9, "mid-burst"));
  run_until([&] { return frames().size() == sent.size() + 1; });
  const auto f = frames();
  ASSERT_EQ(f.size(), sent.size() + 1);
  size_t next = 0;
  int pongs = 0;
  for (const auto& frame : f) {
    if (frame.opcode == 0xA) {
      ++pongs;
      EXPECT_EQ(frame.payload, "mid-burst");
      continue;
    }
    ASSERT_EQ(frame.opcode, 0x2);
    ASSERT_LT(next, sent.size());
    EXPECT_EQ(frame.payload, sent[next]) << "message " << next;
    ++next;
  }
  EXPECT_EQ(pongs, 1);
  EXPECT_EQ(next, sent.size());
  EXPECT_EQ(transport->pending_bytes(), 0u);
}

TEST_F(WsTransportTest, AGracefulCloseSendsWhatIsQueuedThenCloses1000AndWaitsForThePeer) {
  open();
  transport->queue(framed({"last words", "really"}));
  transport->close(true);
  run_until([&] { return frames().size() == 3; });
  const auto f = frames();
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].payload, "last words");
  EXPECT_EQ(f[1].payload, "really");
  EXPECT_EQ(f[2].opcode, 0x8);
  EXPECT_EQ(f[2].payload, std::string("\x03\xe8", 2));  // 1000
  EXPECT_FALSE(transport->is_closed());                 // waiting for the peer's close
  client_send(masked(8, std::string("\x03\xe8", 2)));
  run_until([&] { return transport->is_closed(); });
  EXPECT_TRUE(transport->is_closed());
  ASSERT_EQ(owner->closes.size(), 1u);
  EXPECT_EQ(owner->closes[0].first, CloseReason::normal);
}

TEST_F(WsTransportTest, ThePeersCloseIsAnsweredAndReportedAsNormal) {
  open();
  client_send(masked(8, std::string("\x03\xe8", 2)));
  run_until([&] { return !frames().empty(); });
  const auto f = frames();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].opcode, 0x8);
  ASSERT_FALSE(owner->closes.empty());
  EXPECT_EQ(owner->closes[0].first, CloseReason::normal);
  EXPECT_EQ(owner->closes[0].second, "peer closed");
}

TEST_F(WsTransportTest, ViolationsCloseWithTheirCodeAndNoMessage) {
  open();
  std::string unmasked("\x82\x01x", 3);
  client_send(unmasked);
  run_until([&] { return !frames().empty(); });
  auto f = frames();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].opcode, 0x8);
  EXPECT_EQ(f[0].payload, std::string("\x03\xea", 2));  // 1002
  ASSERT_EQ(owner->closes.size(), 1u);
  EXPECT_EQ(owner->closes[0].first, CloseReason::protocol_error);
  // What the owner queues after a violation is not sent: WebSocket says it with its code.
  transport->queue(framed({"not sent"}));
  transport->flush();
  run_until([&] { return false; }, 100ms);
  EXPECT_EQ(frames().size(), 1u);
  EXPECT_TRUE(owner->messages.empty());
}

TEST_F(WsTransportTest, AMessageOverTheLimitCloses1009FromItsHeader) {
  open();
  std::string header("\x82\xff", 2);  // masked, 64-bit length: 2 MiB, over the 1 MiB limit
  for (int i = 7; i >= 0; --i) header += static_cast<char>(((2ull << 20) >> (8 * i)) & 0xff);
  header += std::string("\x01\x02\x03\x04", 4);
  client_send(header);
  run_until([&] { return !frames().empty(); });
  const auto f = frames();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].payload, std::string("\x03\xf1", 2));  // 1009
  ASSERT_EQ(owner->closes.size(), 1u);
  EXPECT_EQ(owner->closes[0].second, "frame over max_frame_bytes");
}

}  // namespace
}  // namespace rookery::net

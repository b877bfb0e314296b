// WebSocket framing after the handshake: the client-frame decoder's rules (masking, reserved
// bits, control frames, fragments, sizes checked from the header) and the server headers.
#include "net/ws_frames.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rookery::net {
namespace {

// A client frame: masked with a fixed key, as RFC 6455 requires of clients.
std::string client_frame(uint8_t opcode, std::string_view payload, bool fin = true,
                         bool masked = true, uint8_t rsv = 0) {
  std::string out;
  out += static_cast<char>((fin ? 0x80 : 0) | rsv | opcode);
  const uint8_t mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    out += static_cast<char>(mask_bit | payload.size());
  } else if (payload.size() <= 0xffff) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xff);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i) out += static_cast<char>((payload.size() >> (8 * i)) & 0xff);
  }
  const char key[4] = {0x11, 0x22, 0x33, 0x44};
  if (masked) out.append(key, 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    out += masked ? static_cast<char>(payload[i] ^ key[i & 3]) : payload[i];
  }
  return out;
}

struct Decoded {
  std::vector<std::string> messages;
  std::vector<std::pair<WsOpcode, std::string>> controls;
};

// Feeds `bytes` in pieces of `piece` bytes (0: all at once).
WsDecoder::Result feed(WsDecoder& d, std::string bytes, Decoded& out, size_t piece = 0) {
  if (piece == 0) piece = bytes.size();
  for (size_t at = 0; at < bytes.size(); at += piece) {
    const size_t n = std::min(piece, bytes.size() - at);
    const auto r = d.feed(
        bytes.data() + at, n,
        [&](std::string_view m) {
          out.messages.emplace_back(m);
          return true;
        },
        [&](WsOpcode op, std::string_view p) {
          out.controls.emplace_back(op, std::string(p));
          return true;
        });
    if (r != WsDecoder::Result::ok) return r;
  }
  return WsDecoder::Result::ok;
}

TEST(WsDecoder, WholeFramesAndFramesSplitAnywhereGiveTheSameMessages) {
  const std::string big(70000, 'x');  // a 64-bit length
  const std::string mid(300, 'm');    // a 16-bit length
  const std::string stream =
      client_frame(2, "hello") + client_frame(2, "") + client_frame(2, mid) + client_frame(2, big);
  for (size_t piece : {size_t{0}, size_t{1}, size_t{3}, size_t{7}, size_t{4096}}) {
    WsDecoder d(100000);
    Decoded got;
    ASSERT_EQ(feed(d, stream, got, piece), WsDecoder::Result::ok) << piece;
    ASSERT_EQ(got.messages.size(), 4u) << piece;
    EXPECT_EQ(got.messages[0], "hello");
    EXPECT_EQ(got.messages[1], "");
    EXPECT_EQ(got.messages[2], mid);
    EXPECT_EQ(got.messages[3], big);
    EXPECT_EQ(d.buffered(), 0u);
    EXPECT_EQ(d.frames(), 4u);
  }
}

TEST(WsDecoder, FragmentsReassembleAndControlFramesMayComeBetweenThem) {
  WsDecoder d(1000);
  Decoded got;
  const std::string stream = client_frame(2, "ab", false) + client_frame(9, "ping!") +
                             client_frame(0, "", false) + client_frame(0, "cd", true);
  ASSERT_EQ(feed(d, stream, got, 2), WsDecoder::Result::ok);
  ASSERT_EQ(got.messages, std::vector<std::string>{"abcd"});
  ASSERT_EQ(got.controls.size(), 1u);
  EXPECT_EQ(got.controls[0].first, WsOpcode::ping);
  EXPECT_EQ(got.controls[0].second, "ping!");
  // Every frame counts, the empty continuation too (rate limits see them all).
  EXPECT_EQ(d.frames(), 4u);
}

TEST(WsDecoder, ViolationsAreRefusedWithAReason) {
  struct Case {
    std::string bytes;
    WsDecoder::Result result;
    std::string why;
  };
  std::string non_minimal = client_frame(2, "abc");
  non_minimal = std::string("\x82\xfe\x00\x03", 4) + non_minimal.substr(2);  // 16-bit for 3
  const std::vector<Case> cases = {
      {client_frame(2, "x", true, false), WsDecoder::Result::protocol_error, "not masked"},
      {client_frame(2, "x", true, true, 0x40), WsDecoder::Result::protocol_error, "reserved"},
      {client_frame(3, "x"), WsDecoder::Result::protocol_error, "opcode"},
      {client_frame(9, "x", false), WsDecoder::Result::protocol_error, "fragmented control"},
      {client_frame(9, std::string(126, 'p')), WsDecoder::Result::protocol_error, "125"},
      {client_frame(0, "x"), WsDecoder::Result::protocol_error, "continuation"},
      {client_frame(2, "a", false) + client_frame(2, "b"), WsDecoder::Result::protocol_error,
       "inside a fragmented"},
      {non_minimal, WsDecoder::Result::protocol_error, "minimally"},
      {client_frame(2, std::string(101, 'z')), WsDecoder::Result::too_big, "max_frame_bytes"},
      {client_frame(2, std::string(60, 'a'), false) + client_frame(0, std::string(60, 'b')),
       WsDecoder::Result::too_big, "max_frame_bytes"},
  };
  for (const auto& c : cases) {
    WsDecoder d(100);
    Decoded got;
    EXPECT_EQ(feed(d, c.bytes, got), c.result) << c.why;
    EXPECT_NE(d.error().find(c.why), std::string::npos) << d.error();
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(WsDecoder, AnOversizeFrameIsRefusedFromItsHeaderAlone) {
  WsDecoder d(1024);
  Decoded got;
  // Only the header of a frame claiming 1 GiB: refused before any payload is buffered.
  std::string header("\x82\xff", 2);
  for (int i = 7; i >= 0; --i) header += static_cast<char>(((1ull << 30) >> (8 * i)) & 0xff);
  EXPECT_EQ(feed(d, header, got), WsDecoder::Result::too_big);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(WsDecoder, StoppingEarlyDropsTheRest) {
  WsDecoder d(100);
  int seen = 0;
  std::string stream = client_frame(2, "one") + client_frame(2, "two");
  d.feed(
      stream.data(), stream.size(),
      [&](std::string_view) {
        ++seen;
        return false;
      },
      [](WsOpcode, std::string_view) { return true; });
  EXPECT_EQ(seen, 1);
}

TEST(WsHeader, ServerHeadersUseTheShortestLength) {
  char h[kWsMaxHeaderBytes];
  EXPECT_EQ(put_ws_header(h, WsOpcode::binary, 125), 2u);
  EXPECT_EQ(static_cast<uint8_t>(h[0]), 0x82);
  EXPECT_EQ(static_cast<uint8_t>(h[1]), 125);
  EXPECT_EQ(put_ws_header(h, WsOpcode::binary, 126), 4u);
  EXPECT_EQ(static_cast<uint8_t>(h[1]), 126);
  EXPECT_EQ(static_cast<uint8_t>(h[2]), 0);
  EXPECT_EQ(static_cast<uint8_t>(h[3]), 126);
  EXPECT_EQ(put_ws_header(h, WsOpcode::binary, 65535), 4u);
  EXPECT_EQ(put_ws_header(h, WsOpcode::binary, 65536), 10u);
  EXPECT_EQ(static_cast<uint8_t>(h[1]), 127);
  EXPECT_EQ(static_cast<uint8_t>(h[7]), 1);  // 65536 = 0x00..010000
  const std::string close = ws_close_frame(kWsCloseTooBig);
  EXPECT_EQ(close, std::string("\x88\x02\x03\xf1", 4));
}

}  // namespace
}  // namespace rookery::net

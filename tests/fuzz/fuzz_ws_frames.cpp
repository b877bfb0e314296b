// The WebSocket frame decoder (net/ws_frames.hpp): what a client sends after the upgrade, masked
// frames, fragments and control frames. Fed whole and cut at fuzzer-chosen points; both must give
// the same messages, control frames and verdict, and nothing over the limits may come out.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "net/ws_frames.hpp"

namespace {

using rookery::net::WsDecoder;
using rookery::net::WsOpcode;

constexpr size_t kMaxMessage = 4096;

struct Decoded {
  std::vector<std::pair<int, std::string>> items;  // -1: a data message; else a control opcode
  WsDecoder::Result result = WsDecoder::Result::ok;
  std::string error;
  uint64_t frames = 0;
  size_t buffered = 0;
};

// Feeds a copy of `stream` (the decoder unmasks in place) in pieces, stopping at a violation or
// a close frame, as the transport does.
Decoded decode(std::string stream, const std::vector<size_t>& cuts) {
  Decoded out;
  WsDecoder decoder(kMaxMessage);
  size_t at = 0;
  bool closed = false;
  auto feed = [&](size_t n) {
    out.result = decoder.feed(
        stream.data() + at, n,
        [&](std::string_view message) {
          if (message.size() > kMaxMessage) std::abort();
          out.items.emplace_back(-1, std::string(message));
          return true;
        },
        [&](WsOpcode op, std::string_view payload) {
          if (payload.size() > 125) std::abort();
          if (op != WsOpcode::close && op != WsOpcode::ping && op != WsOpcode::pong) std::abort();
          out.items.emplace_back(static_cast<int>(op), std::string(payload));
          closed = op == WsOpcode::close;
          return !closed;
        });
    at += n;
    return out.result == WsDecoder::Result::ok && !closed;
  };
  bool go_on = true;
  for (size_t cut : cuts) {
    if (!(go_on = feed(std::min(cut, stream.size() - at)))) break;
  }
  if (go_on) feed(stream.size() - at);
  out.error = out.result == WsDecoder::Result::ok ? "" : decoder.error();
  out.frames = decoder.frames();
  out.buffered = closed || out.result != WsDecoder::Result::ok ? 0 : decoder.buffered();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<size_t> cuts(in.ConsumeIntegralInRange<size_t>(0, 16));
  for (auto& cut : cuts) cut = in.ConsumeIntegralInRange<size_t>(0, 64);
  const std::string stream = in.ConsumeRemainingBytesAsString();

  const Decoded whole = decode(stream, {});
  const Decoded pieces = decode(stream, cuts);
  if (whole.items != pieces.items || whole.result != pieces.result || whole.error != pieces.error ||
      whole.frames != pieces.frames || whole.buffered != pieces.buffered) {
    std::abort();
  }
  // Held between reads: one incomplete frame plus an unfinished message, both bounded.
  if (whole.buffered > 2 * (rookery::net::kWsMaxHeaderBytes + 4 + kMaxMessage)) std::abort();
  return 0;
}

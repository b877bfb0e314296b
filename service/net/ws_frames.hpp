// WebSocket framing after the handshake (RFC 6455 section 5), done here rather than by Beast's
// stream so the server can (1) gather a turn's messages into one writev, as TCP does, (2) see
// every frame a client sends (control and empty continuation frames included) and (3) unmask
// in place without an extra copy. Server frames are unmasked, so a message's frame is just a
// 2-10 byte header before the Envelope bytes the server already built for TCP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace rookery::net {

/// WebSocket opcodes (RFC 6455 section 5.2).
enum class WsOpcode : uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA
};

/// Close codes the server sends (RFC 6455 section 7.4.1).
inline constexpr uint16_t kWsCloseNormal = 1000;
inline constexpr uint16_t kWsCloseProtocolError = 1002;
inline constexpr uint16_t kWsCloseTooBig = 1009;

/// Largest header of a server frame: 2 bytes plus a 64-bit length.
inline constexpr size_t kWsMaxHeaderBytes = 10;

/// Writes the header of an unmasked final frame with `opcode` and `payload` bytes at `out`
/// (room for kWsMaxHeaderBytes); returns its length: 2, 4 or 10.
inline size_t put_ws_header(char* out, WsOpcode opcode, uint64_t payload) {
  out[0] = static_cast<char>(0x80 | static_cast<uint8_t>(opcode));
  if (payload < 126) {
    out[1] = static_cast<char>(payload);
    return 2;
  }
  if (payload <= 0xffff) {
    out[1] = 126;
    out[2] = static_cast<char>(payload >> 8);
    out[3] = static_cast<char>(payload & 0xff);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<char>((payload >> (56 - 8 * i)) & 0xff);
  return 10;
}

/// A whole unmasked control frame (close, ping, pong); `payload` at most 125 bytes.
inline std::string ws_control_frame(WsOpcode opcode, std::string_view payload) {
  std::string out(kWsMaxHeaderBytes, '\0');
  out.resize(put_ws_header(out.data(), opcode, payload.size()));
  out.append(payload);
  return out;
}

/// A close frame with `code` (and no reason text).
inline std::string ws_close_frame(uint16_t code) {
  const char body[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
  return ws_control_frame(WsOpcode::close, std::string_view(body, 2));
}

/// Splits the bytes a client sends into messages and control frames. Every client frame must
/// be masked, with no reserved bits (no extension is ever negotiated); control frames must be
/// final and at most 125 bytes; a message (all its fragments) at most `max_message` bytes,
/// checked from the header before its payload is buffered. Holds only an incomplete trailing
/// frame and an unfinished fragmented message between calls.
class WsDecoder {
 public:
  enum class Result { ok, protocol_error, too_big };

  explicit WsDecoder(size_t max_message) : max_message_(max_message) {}

  /// Feeds `n` bytes (unmasked in place, hence mutable). Calls `on_message(std::string_view)`
  /// for each data message and `on_control(WsOpcode, std::string_view)` for each control
  /// frame, in order; either returns false to stop early. On a violation returns it, keeps
  /// nothing, and error() says what it was; the caller fails the connection.
  template <class OnMessage, class OnControl>
  Result feed(char* data, size_t n, OnMessage&& on_message, OnControl&& on_control) {
    // An incomplete frame from earlier: continue it in a buffer of our own. It is moved out
    // of partial_ first, so a callback that resets the decoder (a closing connection) cannot
    // free the bytes being read.
    std::string work;
    const bool own = !partial_.empty();
    if (own) {
      work.swap(partial_);
      work.append(data, n);
      data = work.data();
      n = work.size();
    }
    size_t used = 0;
    while (used < n) {
      const Header h = parse_header(data + used, n - used);
      if (h.error) return fail(h.error, h.too_big);
      if (!h.complete || n - used < h.header + h.payload) break;
      bool go_on = true;
      deliver(data + used, h, on_message, on_control, go_on);
      used += h.header + h.payload;
      if (!go_on) return Result::ok;
    }
    if (used < n) {
      if (own) {
        // Keep the tail without copying it again: a frame trickled in byte by byte costs
        // linear time, not quadratic.
        work.erase(0, used);
        partial_.swap(work);
      } else {
        partial_.assign(data + used, n - used);
      }
    }
    return Result::ok;
  }

  /// What the last violation was ("client frame not masked", ...).
  const std::string& error() const { return error_; }
  /// Frames decoded so far, data and control, fragments and empty ones included.
  uint64_t frames() const { return frames_; }
  /// Bytes held for an incomplete frame or an unfinished fragmented message.
  size_t buffered() const { return partial_.size() + message_.size(); }
  /// Drops what is held and releases its memory.
  void reset() {
    std::string().swap(partial_);
    std::string().swap(message_);
    in_message_ = false;
  }

 private:
  struct Header {
    bool complete = false;  // enough bytes to know the header
    bool too_big = false;
    const char* error = nullptr;
    bool fin = false;
    WsOpcode opcode = WsOpcode::continuation;
    size_t header = 0;   // header bytes, mask included
    size_t payload = 0;  // payload bytes
  };

  // Reads a frame header from `p` (n bytes available) and checks every rule a header alone
  // can break, the message size included.
  Header parse_header(const char* p, size_t n) const {
    Header h;
    if (n < 2) return h;
    const auto b0 = static_cast<uint8_t>(p[0]);
    const auto b1 = static_cast<uint8_t>(p[1]);
    h.fin = (b0 & 0x80) != 0;
    const uint8_t op = b0 & 0x0f;
    if ((b0 & 0x70) != 0) return bad(h, "reserved bits set (no extension was negotiated)");
    if ((b1 & 0x80) == 0) return bad(h, "client frame not masked");
    const bool control = (op & 0x08) != 0;
    if (op != 0 && op != 1 && op != 2 && op != 8 && op != 9 && op != 10) {
      return bad(h, "unknown opcode");
    }
    h.opcode = static_cast<WsOpcode>(op);
    uint64_t len = b1 & 0x7f;
    size_t at = 2;
    if (len == 126) {
      if (n < 4) return h;
      len = static_cast<uint64_t>(static_cast<uint8_t>(p[2])) << 8 | static_cast<uint8_t>(p[3]);
      if (len < 126) return bad(h, "length not minimally encoded");
      at = 4;
    } else if (len == 127) {
      if (n < 10) return h;
      len = 0;
      for (int i = 0; i < 8; ++i) len = len << 8 | static_cast<uint8_t>(p[2 + i]);
      if (len >> 63) return bad(h, "length over 2^63");
      if (len <= 0xffff) return bad(h, "length not minimally encoded");
      at = 10;
    }
    if (control) {
      if (!h.fin) return bad(h, "fragmented control frame");
      if (len > 125) return bad(h, "control frame over 125 bytes");
    } else if (h.opcode == WsOpcode::continuation) {
      if (!in_message_) return bad(h, "continuation frame outside a message");
    } else if (in_message_) {
      return bad(h, "new message inside a fragmented one");
    }
    if (!control && (len > max_message_ || message_.size() + len > max_message_)) {
      h.too_big = true;
      return bad(h, "message over max_frame_bytes");
    }
    if (n < at + 4) return h;
    h.header = at + 4;
    h.payload = static_cast<size_t>(len);
    h.complete = true;
    return h;
  }
  static Header bad(Header h, const char* why) {
    h.error = why;
    return h;
  }
  Result fail(const char* why, bool too_big) {
    error_ = why;
    reset();
    return too_big ? Result::too_big : Result::protocol_error;
  }

  // Unmasks and hands on one whole frame starting at `frame`.
  template <class OnMessage, class OnControl>
  void deliver(char* frame, const Header& h, OnMessage& on_message, OnControl& on_control,
               bool& go_on) {
    ++frames_;
    char* payload = frame + h.header;
    const char* key = frame + h.header - 4;
    for (size_t i = 0; i < h.payload; ++i) payload[i] = static_cast<char>(payload[i] ^ key[i & 3]);
    const std::string_view bytes(payload, h.payload);
    if ((static_cast<uint8_t>(h.opcode) & 0x08) != 0) {
      go_on = on_control(h.opcode, bytes);
      return;
    }
    if (h.opcode != WsOpcode::continuation && h.fin) {
      go_on = on_message(bytes);  // the common case: one frame, one message, no copy
      return;
    }
    message_.append(bytes);
    in_message_ = true;
    if (h.fin) {
      std::string whole;
      whole.swap(message_);
      in_message_ = false;
      go_on = on_message(std::string_view(whole));
    }
  }

  size_t max_message_;
  std::string partial_;  // an incomplete frame, still masked
  std::string message_;  // the fragments of an unfinished message, unmasked
  bool in_message_ = false;
  uint64_t frames_ = 0;
  std::string error_;
};

}  // namespace rookery::net

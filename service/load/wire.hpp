// Hot-path protobuf wire-format helpers: scan an Envelope without parsing it into objects (the
// generator reads ~100,000 States a second on one thread), and encode Input / Ping frames into
// a caller's buffer. Rare messages (Welcome, Joined, Error, ...) use the generated classes.
// Field numbers are those of service/proto/rookery.proto.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rookery::load::wire {

// Envelope.msg field numbers.
enum Field : uint32_t {
  kWelcome = 3,
  kLoginOk = 5,
  kRoomList = 8,
  kJoined = 12,
  kLeft = 14,
  kInput = 15,
  kState = 16,
  kEvent = 17,
  kPing = 18,
  kPong = 19,
  kError = 20,
};

inline bool read_varint(const uint8_t*& p, const uint8_t* end, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    const uint8_t b = *p++;
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

/// Skips one field's value of wire type `wt`; false on malformed input.
inline bool skip_value(const uint8_t*& p, const uint8_t* end, uint32_t wt) {
  uint64_t v = 0;
  switch (wt) {
    case 0:
      return read_varint(p, end, v);
    case 1:
      if (end - p < 8) return false;
      p += 8;
      return true;
    case 2:
      if (!read_varint(p, end, v) || v > static_cast<uint64_t>(end - p)) return false;
      p += v;
      return true;
    case 5:
      if (end - p < 4) return false;
      p += 4;
      return true;
    default:
      return false;
  }
}

/// Calls fn(field, wire_type, value_varint, bytes) for every field of a message: for wire type
/// 2, `bytes` is the value; for 0, `value_varint` is. Stops (returns false) on malformed input
/// or when fn returns false.
template <class Fn>
bool for_each_field(std::string_view msg, Fn&& fn) {
  const auto* p = reinterpret_cast<const uint8_t*>(msg.data());
  const auto* end = p + msg.size();
  while (p < end) {
    uint64_t tag = 0;
    if (!read_varint(p, end, tag)) return false;
    const auto field = static_cast<uint32_t>(tag >> 3);
    const auto wt = static_cast<uint32_t>(tag & 7);
    if (wt == 0) {
      uint64_t v = 0;
      if (!read_varint(p, end, v)) return false;
      if (!fn(field, wt, v, std::string_view())) return true;
    } else if (wt == 2) {
      uint64_t len = 0;
      if (!read_varint(p, end, len) || len > static_cast<uint64_t>(end - p)) return false;
      const std::string_view bytes(reinterpret_cast<const char*>(p), len);
      p += len;
      if (!fn(field, wt, 0, bytes)) return true;
    } else if (!skip_value(p, end, wt)) {
      return false;
    }
  }
  return true;
}

/// The top level of an Envelope: which message it carries and that message's bytes.
struct Top {
  uint32_t request_id = 0;
  uint32_t field = 0;  // 0: none
  std::string_view body;
};

inline bool scan_envelope(std::string_view env, Top& top) {
  top = Top{};
  return for_each_field(env, [&](uint32_t f, uint32_t wt, uint64_t v, std::string_view b) {
    if (f == 1 && wt == 0) {
      top.request_id = static_cast<uint32_t>(v);
    } else if (wt == 2 && f >= 2) {
      top.field = f;
      top.body = b;
    }
    return true;
  });
}

/// The first varint value of field `want` in `msg` (0 if absent, as proto3 omits zeros).
inline uint64_t varint_field(std::string_view msg, uint32_t want) {
  uint64_t out = 0;
  for_each_field(msg, [&](uint32_t f, uint32_t wt, uint64_t v, std::string_view) {
    if (f == want && wt == 0) {
      out = v;
      return false;
    }
    return true;
  });
  return out;
}

/// The seq acked for `seat` in a State body; false when the State holds no ack for it.
inline bool state_ack_for(std::string_view state, uint32_t seat, uint32_t& seq) {
  bool found = false;
  for_each_field(state, [&](uint32_t f, uint32_t wt, uint64_t, std::string_view b) {
    if (f != 4 || wt != 2) return true;  // acks = 4
    uint32_t s = 0;
    uint32_t q = 0;
    for_each_field(b, [&](uint32_t af, uint32_t awt, uint64_t av, std::string_view) {
      if (awt == 0 && af == 1) s = static_cast<uint32_t>(av);
      if (awt == 0 && af == 2) q = static_cast<uint32_t>(av);
      return true;
    });
    if (s == seat) {
      seq = q;
      found = true;
      return false;
    }
    return true;
  });
  return found;
}

inline uint8_t* put_varint(uint8_t* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

inline size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline uint32_t zigzag(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}

/// SpellTraction Move{x, y} payload; returns its size (at most 12).
inline size_t encode_move(uint8_t* out, int32_t x, int32_t y) {
  uint8_t* p = out;
  *p++ = 0x08;
  p = put_varint(p, zigzag(x));
  *p++ = 0x10;
  p = put_varint(p, zigzag(y));
  return static_cast<size_t>(p - out);
}

/// Writes Envelope{input: Input{seq, payload}} at `out` (with the u32 LE length prefix when
/// `prefix`); returns the bytes written. `out` needs payload.size() + 32 bytes.
inline size_t encode_input(uint8_t* out, bool prefix, uint32_t seq, std::string_view payload) {
  const size_t input_len = 1 + varint_size(seq) + 1 + varint_size(payload.size()) + payload.size();
  const size_t env_len = 1 + varint_size(input_len) + input_len;
  uint8_t* p = out;
  if (prefix) {
    for (int i = 0; i < 4; ++i) *p++ = static_cast<uint8_t>((env_len >> (8 * i)) & 0xff);
  }
  *p++ = (kInput << 3) | 2;  // 0x7a
  p = put_varint(p, input_len);
  *p++ = 0x08;
  p = put_varint(p, seq);
  *p++ = 0x12;
  p = put_varint(p, payload.size());
  for (char c : payload) *p++ = static_cast<uint8_t>(c);
  return static_cast<size_t>(p - out);
}

/// Writes Envelope{ping: Ping{client_time}}; returns the bytes written (at most 20).
inline size_t encode_ping(uint8_t* out, bool prefix, uint64_t client_time) {
  const size_t ping_len = 1 + varint_size(client_time);
  const size_t env_len = 2 + varint_size(ping_len) + ping_len;
  uint8_t* p = out;
  if (prefix) {
    for (int i = 0; i < 4; ++i) *p++ = static_cast<uint8_t>((env_len >> (8 * i)) & 0xff);
  }
  p = put_varint(p, (kPing << 3) | 2);  // two bytes
  p = put_varint(p, ping_len);
  *p++ = 0x08;
  p = put_varint(p, client_time);
  return static_cast<size_t>(p - out);
}

}  // namespace rookery::load::wire

// TCP framing: every frame is a u32 little-endian length, then that many bytes of one
// Envelope. Outbound buffers are built in this format for both transports (the WebSocket
// transport strips the prefix), so a message is encoded once whatever the transport.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace rookery::net {

inline constexpr size_t kFrameHeaderBytes = 4;

/// Writes `length` as 4 little-endian bytes at `out`.
inline void put_frame_length(char* out, uint32_t length) {
  out[0] = static_cast<char>(length & 0xff);
  out[1] = static_cast<char>((length >> 8) & 0xff);
  out[2] = static_cast<char>((length >> 16) & 0xff);
  out[3] = static_cast<char>((length >> 24) & 0xff);
}

/// Reads 4 little-endian bytes at `in`.
inline uint32_t get_frame_length(const char* in) {
  const auto* p = reinterpret_cast<const unsigned char*>(in);
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

/// Splits a byte stream into frames. Holds only an incomplete trailing frame between calls,
/// so an idle connection costs no buffer memory.
class FrameDecoder {
 public:
  enum class Result { ok, empty_frame, oversize_frame };

  explicit FrameDecoder(uint32_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

  /// Feeds `n` bytes; calls `on_frame(std::string_view)` for each complete frame, in order.
  /// `on_frame` returns false to stop early (e.g. the connection is closing). On a bad length
  /// returns the error and keeps nothing; the caller closes the connection.
  template <class OnFrame>
  Result feed(const char* data, size_t n, OnFrame&& on_frame) {
    if (!partial_.empty()) {
      // Complete the pending frame first, copying only what it needs.
      if (partial_.size() < kFrameHeaderBytes) {
        const size_t take = std::min(n, kFrameHeaderBytes - partial_.size());
        partial_.append(data, take);
        data += take;
        n -= take;
        if (partial_.size() < kFrameHeaderBytes) return Result::ok;
        if (const Result r = check(get_frame_length(partial_.data())); r != Result::ok) {
          reset();
          return r;
        }
      }
      const size_t want = kFrameHeaderBytes + get_frame_length(partial_.data()) - partial_.size();
      const size_t take = std::min(n, want);
      partial_.append(data, take);
      data += take;
      n -= take;
      if (take < want) return Result::ok;
      std::string frame;
      frame.swap(partial_);
      if (!on_frame(std::string_view(frame).substr(kFrameHeaderBytes))) return Result::ok;
    }
    // Fast path: whole frames straight from the caller's buffer, no copy.
    while (n >= kFrameHeaderBytes) {
      const uint32_t len = get_frame_length(data);
      if (const Result r = check(len); r != Result::ok) return r;
      if (n - kFrameHeaderBytes < len) break;
      const std::string_view frame(data + kFrameHeaderBytes, len);
      data += kFrameHeaderBytes + len;
      n -= kFrameHeaderBytes + len;
      if (!on_frame(frame)) return Result::ok;
    }
    if (n > 0) partial_.assign(data, n);
    return Result::ok;
  }

  /// Bytes held for an incomplete frame.
  size_t buffered() const { return partial_.size(); }

  /// Drops any partial frame and releases its memory.
  void reset() { std::string().swap(partial_); }

 private:
  Result check(uint32_t len) const {
    if (len == 0) return Result::empty_frame;
    if (len > max_frame_bytes_) return Result::oversize_frame;
    return Result::ok;
  }

  uint32_t max_frame_bytes_;
  std::string partial_;
};

/// Calls `on_frame(std::string_view)` for each frame in a buffer of whole frames (as built by
/// the server); used by the WebSocket transport to send one message per frame.
template <class OnFrame>
void for_each_frame(std::string_view frames, OnFrame&& on_frame) {
  while (frames.size() >= kFrameHeaderBytes) {
    const uint32_t len = get_frame_length(frames.data());
    if (frames.size() - kFrameHeaderBytes < len) return;
    on_frame(frames.substr(kFrameHeaderBytes, len));
    frames.remove_prefix(kFrameHeaderBytes + len);
  }
}

}  // namespace rookery::net

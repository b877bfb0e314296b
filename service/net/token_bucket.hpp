// Per-connection message rate limit. Eight bytes of state so every session can afford one.
#pragma once

#include <algorithm>
#include <cstdint>

namespace rookery::net {

/// Token bucket: `rate` tokens per second refill a bucket of `burst`; each message takes one.
/// Time is passed in (milliseconds from any monotonic origin) so tests need no sleeping.
class TokenBucket {
 public:
  /// Starts full, so a fresh connection can send `burst` messages at once.
  TokenBucket(uint32_t burst, uint64_t now_ms)
      : tokens_milli_(static_cast<uint32_t>(std::min<uint64_t>(burst * 1000ull, UINT32_MAX))),
        last_ms_(static_cast<uint32_t>(now_ms)) {}

  /// Takes one token if available. `rate` per second, `burst` maximum.
  bool try_take(uint32_t rate, uint32_t burst, uint64_t now_ms) {
    // Milli-tokens keep integer math exact at low rates; 32-bit wrap of the time is harmless
    // because only differences are used.
    const uint32_t now = static_cast<uint32_t>(now_ms);
    const uint64_t elapsed = static_cast<uint32_t>(now - last_ms_);
    last_ms_ = now;
    const uint64_t cap = static_cast<uint64_t>(burst) * 1000;
    const uint64_t refilled = std::min<uint64_t>(cap, tokens_milli_ + elapsed * rate);
    if (refilled < 1000) {
      tokens_milli_ = static_cast<uint32_t>(refilled);
      return false;
    }
    tokens_milli_ = static_cast<uint32_t>(refilled - 1000);
    return true;
  }

 private:
  uint32_t tokens_milli_;
  uint32_t last_ms_;
};

}  // namespace rookery::net

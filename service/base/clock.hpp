// Time sources. Game rules and rooms take the time as an argument so tests can drive it; the
// server passes the real steady clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace rookery {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Millis = std::chrono::milliseconds;

/// Wall-clock milliseconds since the Unix epoch (for stored timestamps and Pong).
inline int64_t unix_millis() {
  return std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Monotonic milliseconds (for durations and rate limits: never jumps with the wall clock).
inline int64_t steady_millis() {
  return std::chrono::duration_cast<Millis>(SteadyClock::now().time_since_epoch()).count();
}

}  // namespace rookery

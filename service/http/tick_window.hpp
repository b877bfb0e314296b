// The console's tick-health figures over a recent window instead of since the process started:
// a figure since start hides a stall an hour in (it sat at 0.05 ms all of a stressed session).
// Prometheus does this with rate() over its own scrapes; the console has no Prometheus, so the
// admin API keeps a few cumulative samples and subtracts the one a window ago.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <string>

#include "base/histogram.hpp"

namespace rookery::http {

/// One room type's tick figures: cumulative since start, or their difference over a window.
struct TickFigures {
  LatencyHistogram duration;
  LatencyHistogram lag;
  LatencyHistogram input_to_state;
  uint64_t overruns = 0;
};

/// Cumulative tick figures by room type, sampled as overviews are built, and their
/// differences over the last `window`. Not thread-safe: the side-port thread owns it.
class TickWindow {
 public:
  using Clock = std::chrono::steady_clock;
  using ByType = std::map<std::string, TickFigures>;

  explicit TickWindow(Clock::duration window = std::chrono::seconds(60),
                      Clock::duration spacing = std::chrono::seconds(5))
      : window_(window), spacing_(spacing) {}

  /// The figures of the last window (or since the oldest sample, if younger), and how many
  /// seconds that covers. Records `now` as a sample if the last one is `spacing` old.
  struct Recent {
    ByType by_type;
    double seconds = 0;
  };
  Recent update(Clock::time_point now, const ByType& cumulative);

 private:
  struct Sample {
    Clock::time_point at;
    ByType figures;
  };
  Clock::duration window_;
  Clock::duration spacing_;
  std::deque<Sample> samples_;  // oldest first; the first is the newest one >= window_ old
};

}  // namespace rookery::http

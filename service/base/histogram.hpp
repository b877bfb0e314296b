// A plain fixed-bucket histogram for counting on one thread (a shard) without atomics. Shards
// each keep their own; the metrics scrape copies them (on their threads) and adds them up.
#pragma once

#include <array>
#include <cstdint>

namespace rookery {

/// Durations in seconds, buckets from 50 us to 1 s: tick durations and lags on a 20-60 Hz loop
/// live in the low end, overruns in the high end.
class LatencyHistogram {
 public:
  static constexpr std::array<double, 14> kBounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                                     0.0025,  0.005,  0.01,    0.025,  0.05,
                                                     0.1,     0.25,   0.5,     1.0};

  /// Records one sample, in seconds.
  void observe(double seconds) {
    size_t i = 0;
    while (i < kBounds.size() && seconds > kBounds[i]) ++i;
    ++counts_[i];  // the last slot is +Inf
    sum_ += seconds;
    ++count_;
  }
  /// Adds another histogram's samples (same buckets).
  void merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    sum_ += other.sum_;
    count_ += other.count_;
  }
  /// Samples in bucket i (not cumulative); i == kBounds.size() is the +Inf overflow.
  uint64_t bucket(size_t i) const { return counts_[i]; }
  double sum() const { return sum_; }
  uint64_t count() const { return count_; }

 private:
  std::array<uint64_t, kBounds.size() + 1> counts_{};
  double sum_ = 0;
  uint64_t count_ = 0;
};

}  // namespace rookery

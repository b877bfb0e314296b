// A plain fixed-bucket histogram for counting on one thread (a shard) without atomics. Shards
// each keep their own; the metrics scrape copies them (on their threads) and adds them up.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace rookery {

/// Durations in seconds, buckets from 1 us to 1 s in 1-2.5-5 steps. A room's tick takes
/// microseconds (a quiet SpellTraction room about 2 us, a busy one tens), so the low end must
/// resolve them; lags and input-to-state times live in the milliseconds, overruns at the top.
class LatencyHistogram {
 public:
  static constexpr std::array<double, 19> kBounds = {
      0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
      0.0025,   0.005,     0.01,     0.025,   0.05,     0.1,     0.25,   0.5,     1.0};

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
  /// The samples recorded after `earlier`, a copy of this histogram taken before.
  LatencyHistogram since(const LatencyHistogram& earlier) const {
    LatencyHistogram d;
    for (size_t i = 0; i < counts_.size(); ++i) d.counts_[i] = counts_[i] - earlier.counts_[i];
    d.sum_ = sum_ - earlier.sum_;
    d.count_ = count_ - earlier.count_;
    return d;
  }
  /// The upper bound of the bucket that holds quantile q (0..1), in seconds; 0 when empty, the
  /// top bound when the quantile is in the overflow bucket.
  double quantile_bound(double q) const {
    if (count_ == 0) return 0;
    const auto target = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
    uint64_t seen = 0;
    for (size_t i = 0; i < kBounds.size(); ++i) {
      seen += counts_[i];
      if (seen >= target) return kBounds[i];
    }
    return kBounds.back();
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

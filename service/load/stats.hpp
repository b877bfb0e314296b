// Counters and histograms a worker keeps, and the line format that carries them to the parent.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rookery::load {

/// Log-linear histogram of microsecond values: exact below 64 us, then 32 buckets per power
/// of two (~3% resolution), up to ~2^40 us. Fixed size, no allocation when recording.
class Histogram {
 public:
  static constexpr size_t kBuckets = 40 * 32;

  static size_t index(uint64_t us) {
    if (us < 64) return static_cast<size_t>(us);
    const int msb = 63 - std::countl_zero(us);
    const int shift = msb - 5;
    const size_t i = static_cast<size_t>(shift + 1) * 32 + ((us >> shift) & 31);
    return i < kBuckets ? i : kBuckets - 1;
  }
  /// Lower bound of bucket i, in us.
  static uint64_t lower(size_t i) {
    if (i < 64) return i;
    const size_t shift = i / 32 - 1;
    return (32 + i % 32) << shift;
  }
  /// Middle of bucket i, in us.
  static double middle(size_t i) {
    if (i < 64) return static_cast<double>(i);
    const size_t shift = i / 32 - 1;
    return static_cast<double>(lower(i)) + static_cast<double>(uint64_t{1} << shift) / 2.0;
  }

  void record(uint64_t us) {
    ++counts_[index(us)];
    ++count_;
    if (us > max_) max_ = us;
  }
  void merge(const Histogram& o) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    if (o.max_ > max_) max_ = o.max_;
  }
  void clear() { *this = Histogram{}; }
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  /// The q-quantile (0..1) in microseconds; 0 when empty. The top bucket reports the max.
  double quantile(double q) const;

  /// "i:c;i:c;...;max:M" (non-empty buckets only).
  std::string encode() const;
  /// Adds what encode() produced.
  void merge_encoded(std::string_view text);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

// Every cumulative counter a worker reports, in one list so encoding and summing stay in step.
#define ROOKERY_LOAD_COUNTERS(X) \
  X(attempts)                    \
  X(connect_ok)                  \
  X(connect_fail)                \
  X(logged_in)                   \
  X(joined)                      \
  X(settled)                     \
  X(connected)                   \
  X(in_rooms)                    \
  X(inflight)                    \
  X(msgs_in)                     \
  X(msgs_out)                    \
  X(bytes_in)                    \
  X(bytes_out)                   \
  X(states_in)                   \
  X(events_in)                   \
  X(inputs_out)                  \
  X(pings_out)                   \
  X(pongs_in)                    \
  X(errors_in)                   \
  X(drops)                       \
  X(timeouts)                    \
  X(protocol_errors)             \
  X(ack_samples)                 \
  X(ack_samples_lost)            \
  X(input_behind)                \
  X(churn_cycles)                \
  X(cpu_us)

struct Counters {
#define ROOKERY_LOAD_FIELD(name) int64_t name = 0;
  ROOKERY_LOAD_COUNTERS(ROOKERY_LOAD_FIELD)
#undef ROOKERY_LOAD_FIELD

  void add(const Counters& o);
  /// " name=value ..." with `prefix` before every name.
  void encode(std::string& out, std::string_view prefix) const;
  /// Sets the field called `name` (without prefix); false when unknown.
  bool set(std::string_view name, int64_t value);
};

/// name -> count, for drop reasons and error codes.
using Tally = std::map<std::string, int64_t>;

/// "k:v;k:v" (keys must not hold ' ', ':' or ';': see clean_key).
std::string encode_tally(const Tally& t);
void merge_tally(Tally& into, std::string_view text);
/// Replaces characters that would break the line format.
std::string clean_key(std::string_view s);

}  // namespace rookery::load

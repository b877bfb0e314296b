// The console's tick window with time injected: figures are differences over the last minute,
// so a stall shows while it lasts and leaves once it is a minute old.
#include "http/tick_window.hpp"

#include <gtest/gtest.h>

namespace rookery::http {
namespace {

using namespace std::chrono_literals;
using Clock = TickWindow::Clock;

// Cumulative figures after `fast` ticks of 20 us and `slow` ticks of 40 ms, `overruns` of them.
TickWindow::ByType figures(int fast, int slow, uint64_t overruns) {
  TickFigures f;
  for (int i = 0; i < fast; ++i) f.duration.observe(0.00002);
  for (int i = 0; i < slow; ++i) f.duration.observe(0.04);
  f.overruns = overruns;
  return {{"spelltraction", f}};
}

TEST(LatencyHistogramTest, BucketsResolveMicrosecondTicks) {
  LatencyHistogram h;
  for (int i = 0; i < 100; ++i) h.observe(0.000002);  // a quiet room's tick
  EXPECT_DOUBLE_EQ(h.quantile_bound(0.99), 0.0000025);
  h.observe(2.0);  // past the top bound: the overflow bucket answers with the top bound
  EXPECT_DOUBLE_EQ(h.quantile_bound(1.0), 1.0);
  EXPECT_DOUBLE_EQ(LatencyHistogram{}.quantile_bound(0.99), 0.0);
}

TEST(LatencyHistogramTest, SinceIsTheDifference) {
  LatencyHistogram before;
  before.observe(0.001);
  LatencyHistogram after = before;
  after.observe(0.1);
  const LatencyHistogram d = after.since(before);
  EXPECT_EQ(d.count(), 1u);
  EXPECT_DOUBLE_EQ(d.sum(), 0.1);
  EXPECT_DOUBLE_EQ(d.quantile_bound(0.5), 0.1);
}

TEST(TickWindowTest, AStallShowsWhileItIsRecentThenLeaves) {
  TickWindow w(60s, 5s);
  const auto t0 = Clock::time_point{} + 1000s;
  // After a healthy hour, the first sample has no window yet: nothing to report, not the hour.
  auto r = w.update(t0, figures(100000, 0, 0));
  EXPECT_DOUBLE_EQ(r.seconds, 0.0);
  EXPECT_EQ(r.by_type.at("spelltraction").duration.count(), 0u);

  // Ten seconds later, 50 slow ticks among 200: since start they are 0.05%, invisible to a p99;
  // over the window they are a quarter of the ticks.
  r = w.update(t0 + 10s, figures(100150, 50, 7));
  EXPECT_DOUBLE_EQ(r.seconds, 10.0);
  const TickFigures& stalled = r.by_type.at("spelltraction");
  EXPECT_EQ(stalled.duration.count(), 200u);
  EXPECT_DOUBLE_EQ(stalled.duration.quantile_bound(0.99), 0.05);
  EXPECT_EQ(stalled.overruns, 7u);

  // Samples every 5 s for two more minutes of healthy ticks: the stall ages out of the window.
  int fast = 100150;
  for (int s = 15; s <= 135; s += 5) {
    fast += 100;
    r = w.update(t0 + std::chrono::seconds(s), figures(fast, 50, 7));
  }
  EXPECT_GE(r.seconds, 60.0);
  EXPECT_LT(r.seconds, 65.0);
  EXPECT_EQ(r.by_type.at("spelltraction").overruns, 0u);
  EXPECT_DOUBLE_EQ(r.by_type.at("spelltraction").duration.quantile_bound(0.99), 0.000025);
}

TEST(TickWindowTest, ATypeFirstSeenInsideTheWindowCountsWhole) {
  TickWindow w(60s, 5s);
  const auto t0 = Clock::time_point{} + 1000s;
  w.update(t0, {});
  const auto r = w.update(t0 + 20s, figures(10, 0, 1));
  EXPECT_EQ(r.by_type.at("spelltraction").duration.count(), 10u);
  EXPECT_EQ(r.by_type.at("spelltraction").overruns, 1u);
}

TEST(TickWindowTest, CallsCloserThanTheSpacingDoNotGrowTheSamples) {
  TickWindow w(60s, 5s);
  const auto t0 = Clock::time_point{} + 1000s;
  for (int i = 0; i < 1000; ++i) w.update(t0 + std::chrono::milliseconds(i), figures(i, 0, 0));
  // One sample (t0): every answer is the difference from it.
  const auto r = w.update(t0 + 999ms, figures(2000, 0, 0));
  EXPECT_EQ(r.by_type.at("spelltraction").duration.count(), 2000u);
}

}  // namespace
}  // namespace rookery::http

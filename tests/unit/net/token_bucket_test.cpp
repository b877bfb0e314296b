// Unit tests for the per-connection rate limiter, with an injected clock.
#include "net/token_bucket.hpp"

#include <gtest/gtest.h>

namespace rookery::net {
namespace {

TEST(TokenBucket, StartsFullThenRefuses) {
  TokenBucket b(5, 1000);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.try_take(10, 5, 1000)) << i;
  EXPECT_FALSE(b.try_take(10, 5, 1000));
}

TEST(TokenBucket, RefillsAtRate) {
  TokenBucket b(1, 0);
  EXPECT_TRUE(b.try_take(10, 1, 0));
  EXPECT_FALSE(b.try_take(10, 1, 50));  // half a token after 50 ms at 10/s
  EXPECT_TRUE(b.try_take(10, 1, 100));  // one token after 100 ms
  EXPECT_FALSE(b.try_take(10, 1, 100));
}

TEST(TokenBucket, NeverHoldsMoreThanBurst) {
  TokenBucket b(3, 0);
  for (int i = 0; i < 3; ++i) b.try_take(100, 3, 0);
  int taken = 0;
  for (int i = 0; i < 10; ++i) taken += b.try_take(100, 3, 60'000) ? 1 : 0;  // a minute idle
  EXPECT_EQ(taken, 3);
}

TEST(TokenBucket, SustainedRateIsEnforced) {
  TokenBucket b(10, 0);
  int taken = 0;
  // 1000 attempts spread over 10 s at 20/s allowed: burst 10 + 200 refilled.
  for (int i = 0; i < 1000; ++i) taken += b.try_take(20, 10, static_cast<uint64_t>(i) * 10) ? 1 : 0;
  EXPECT_GE(taken, 205);
  EXPECT_LE(taken, 210);
}

TEST(TokenBucket, SurvivesClockWrap) {
  const uint64_t near_wrap = 0xFFFFFF00ull;
  TokenBucket b(1, near_wrap);
  EXPECT_TRUE(b.try_take(10, 1, near_wrap));
  EXPECT_TRUE(b.try_take(10, 1, near_wrap + 0x200));  // 32-bit counter wrapped
}

}  // namespace
}  // namespace rookery::net
